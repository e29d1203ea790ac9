#!/bin/bash
# t58-fleet-update.sh: `waferctl fleet update` rolls a signed bundle over two
# appliances booted side by side (BIOS/GRUB, update_grace = 10), contexts
# a (box1), b (box2, a running VM) and c (nothing listens there).
#  1. Without --stop-vms: a is updated (rebooted into slot B, version N+1
#     committed), the run stops at b because a VM runs there (exit 1, says
#     where and why), c is not tried; box2 still runs version N on slot A
#     and its VM was not touched.
#  2. With --suspend-vms: a is skipped (already at N+1), b's VM is suspended
#     to the datastore, b is updated and committed, the VM is resumed: its
#     guest goes on counting where it was, without a boot, on the new
#     version; the run then stops at c (unreachable): exit 1, "updated: b".
#  3. Version N+2 with --stop-vms, with context a removed (run 1 showed a
#     host without VMs updated; one update less keeps the test shorter):
#     b's VM shut down through ACPI, b updated, the VM started again (a fresh
#     boot), stopped at c.
# Then `waferctl vm move` between the two (docs/agent.md, "Moving a VM
# between hosts"), context a added again:
#  4. A running guest with a disk (gtest=restore: a tick a second, its disk
#     written and read back each tick) moves from b to a: suspended on b,
#     exported, imported on a (its boot images too: a has none), resumed
#     there: its ticks go on without a boot, its disk reads back, the same
#     id and MAC; b has no such VM left.
#  5. A move to c (unreachable) fails with exit 1 and the VM runs on a again.
#  6. Moved back to b while stopped: stopped on b, gone from a.
. tests/system/lib.sh
. tests/system/update-lib.sh
. tests/system/agent-lib.sh

GRACE=10
VER_N2=${VER_N%.*}.$(( ${VER_N##*.} + 2 ))
upd_bundle n1 "$VER_N1" "$(_ov n1 "$VER_N1")"
upd_bundle n2 "$VER_N2" "$(_ov n2 "$VER_N2")"
for b in box1 box2; do
	agent_img $b
	upd_conf "$T/$b.img" "update_grace = $GRACE"
done
# both boot at once; then wait for each API
qemu_start box1 bios
qemu_start box2 bios
declare -A P F
for b in box1 box2; do
	URL=https://127.0.0.1:$(api_port $b)
	for _ in $(seq 180); do [ "$(code "$URL/api/v1/host")" = 200 ] && break; sleep 1; done
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "$b: API did not come up"
	P[$b]=$(api_port $b) F[$b]=$(jget '["fingerprint"]')
done
export WAFERCTL_CONFIG=$T/waferctl.conf
"$CTL" context add a -H 127.0.0.1:${P[box1]} "${A[@]}" --fingerprint "${F[box1]}" > /dev/null &&
"$CTL" context add b -H 127.0.0.1:${P[box2]} "${A[@]}" --fingerprint "${F[box2]}" > /dev/null &&
"$CTL" context add c -H 127.0.0.1:1 "${A[@]}" --fingerprint "${F[box2]}" > /dev/null || fail "context add"

# host_is BOX VERSION SLOT: the host runs VERSION on SLOT, committed, no try
host_is() {
	URL=https://127.0.0.1:${P[$1]}
	upd_status "running_version=$2" "running_slot=$3" "committed=$3" 'trying=' > /dev/null
}

# a VM on box2 (the test guest answers the ACPI power button)
URL=https://127.0.0.1:${P[box2]}
"$CTL" --context b image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat "$T/up1.log")"
"$CTL" --context b image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat "$T/up2.log")"
SPEC='{"name":"g1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=acpi"}}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/g1/start")" = 200 ] || fail "start: $(cat "$T/body")"
for _ in $(seq 120); do code "$URL/api/v1/vms/g1/console" > /dev/null; grep -q 'GUEST acpid running' "$T/body" && break; sleep 1; done
grep -q 'GUEST acpid running' "$T/body" || fail "the guest on box2 did not come up"
pass "box1 and box2 up (version $VER_N, slot A); VM g1 runs on box2"

# 1. a updated, stopped at b (a VM runs), c not tried
t0=$(date +%s)
"$CTL" fleet update "$T/n1.update" > "$T/fu1.out" 2>&1; rc=$?
cat "$T/fu1.out"
[ $rc = 1 ] || fail "run 1: exit $rc, expected 1"
grep -q "^fleet update: stopped at b: 1 VM(s) running (g1)" "$T/fu1.out" || fail "run 1: not stopped at b for its VM"
grep -q '^  updated: a$' "$T/fu1.out" && grep -q '^  not tried: c$' "$T/fu1.out" || fail "run 1: wrong summary"
host_is box1 "$VER_N1" B || fail "box1 is not on $VER_N1 committed on slot B: $(cat "$T/upd.kv" | tr '\n' ' ')"
host_is box2 "$VER_N" A || fail "box2 changed: $(cat "$T/upd.kv" | tr '\n' ' ')"
URL=https://127.0.0.1:${P[box2]}
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g1 on box2 was touched: $(cat "$T/body")"
pass "run 1 ($(( $(date +%s) - t0 )) s): a updated to $VER_N1 (slot B committed); stopped at b (VM g1 running), b untouched, c not tried"

# console_ticks: the console of g1 on box2 in $T/body; prints the last tick
console_ticks() {
	URL=https://127.0.0.1:${P[box2]}
	code "$URL/api/v1/vms/g1/console" > /dev/null
	grep -ao 'GUEST tick [0-9]*' "$T/body" | awk '{ n = $3 } END { print n + 0 }'
}

# 2. --suspend-vms: a skipped, b's VM suspended, b updated, the VM resumed, stopped at c
before=$(console_ticks)
t0=$(date +%s)
"$CTL" fleet update "$T/n1.update" --suspend-vms > "$T/fu2.out" 2>&1; rc=$?
cat "$T/fu2.out"
[ $rc = 1 ] || fail "run 2: exit $rc, expected 1 (c is unreachable)"
grep -q "a: already runs version $VER_N1" "$T/fu2.out" || fail "run 2: a not skipped"
grep -q 'suspending VM g1' "$T/fu2.out" && grep -q 'resuming VM g1' "$T/fu2.out" || fail "run 2: g1 not suspended and resumed"
grep -q '^fleet update: stopped at c: ' "$T/fu2.out" && grep -q '^  updated: b$' "$T/fu2.out" || fail "run 2: wrong summary"
host_is box2 "$VER_N1" B || fail "box2 is not on $VER_N1 committed on slot B: $(cat "$T/upd.kv" | tr '\n' ' ')"
URL=https://127.0.0.1:${P[box2]}
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g1 not running after the update: $(cat "$T/body")"
for _ in $(seq 30); do after=$(console_ticks); [ "$after" -gt "$before" ] && break; sleep 1; done
[ "$after" -gt "$before" ] || fail "g1's guest does not go on after the resume (tick $before before, $after after)"
grep -aq 'GUEST booted' "$T/body" && fail "g1's guest booted again instead of resuming"
pass "run 2 ($(( $(date +%s) - t0 )) s): a skipped, g1 suspended, b updated to $VER_N1 and committed, g1 resumed on it (ticks $before -> $after, no boot); stopped at c (unreachable)"

# 3. --stop-vms: b to N+2, its VM shut down and started again (a fresh boot), stopped at c
"$CTL" context rm a > /dev/null || fail "context rm a"
t0=$(date +%s)
"$CTL" fleet update "$T/n2.update" --stop-vms > "$T/fu3.out" 2>&1; rc=$?
cat "$T/fu3.out"
[ $rc = 1 ] || fail "run 3: exit $rc, expected 1 (c is unreachable)"
grep -q 'shutting down VM g1' "$T/fu3.out" && grep -q 'starting VM g1 again' "$T/fu3.out" || fail "run 3: g1 not stopped and started"
grep -q '^fleet update: stopped at c: ' "$T/fu3.out" && grep -q '^  updated: b$' "$T/fu3.out" || fail "run 3: wrong summary"
host_is box2 "$VER_N2" A || fail "box2 is not on $VER_N2 committed on slot A: $(cat "$T/upd.kv" | tr '\n' ' ')"
URL=https://127.0.0.1:${P[box2]}
for _ in $(seq 120); do console_ticks > /dev/null; grep -aq 'GUEST booted' "$T/body" && break; sleep 1; done
grep -aq 'GUEST booted' "$T/body" || fail "g1 did not boot again after run 3"
pass "run 3 ($(( $(date +%s) - t0 )) s): b updated to $VER_N2 (slot A), g1 shut down and booted again; stopped at c"

# 4. vm move b -> a of a running guest with a disk
"$CTL" context add a -H 127.0.0.1:${P[box1]} "${A[@]}" --fingerprint "${F[box1]}" > /dev/null || fail "context add a"
on() { URL=https://127.0.0.1:${P[$1]}; }
on box2
SPEC2='{"name":"g2","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=restore"},"disks":[{"size_mib":8}],"nics":[{}]}'
[ "$(code -X POST -d "$SPEC2" "$URL/api/v1/vms")" = 201 ] || fail "create g2: $(cat "$T/body")"
ID=$(jget '["id"]') MAC=$(jget '["spec"]["nics"][0]["mac"]')
[ "$(code -X POST "$URL/api/v1/vms/g2/start")" = 200 ] || fail "start g2: $(cat "$T/body")"
g2_tick() {   # g2_tick BOX: the highest tick on g2's console there
	on "$1"
	code "$URL/api/v1/vms/g2/console" > /dev/null
	grep -ao 'GUEST tick [0-9]*' "$T/body" | awk '{ n = $3 } END { print n + 0 }'
}
for _ in $(seq 120); do [ "$(g2_tick box2)" -ge 4 ] && break; sleep 1; done
[ "$(g2_tick box2)" -ge 4 ] || fail "g2 did not come up on box2: $(tail -3 "$T/body")"
before=$(g2_tick box2)
"$CTL" --context b vm move g2 --to a > "$T/mv1.out" 2>&1; rc=$?
cat "$T/mv1.out"
[ $rc = 0 ] || fail "move b -> a: exit $rc"
grep -q '^moved g2 to a in ' "$T/mv1.out" || fail "move b -> a: no summary"
on box1
[ "$(code "$URL/api/v1/vms/g2")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g2 not running on box1: $(cat "$T/body")"
[ "$(jget '["id"]')" = "$ID" ] && [ "$(jget '["spec"]["nics"][0]["mac"]')" = "$MAC" ] || fail "g2 on box1 has another id or MAC: $(cat "$T/body")"
for _ in $(seq 60); do [ "$(g2_tick box1)" -gt "$before" ] && break; sleep 1; done
after=$(g2_tick box1)
[ "$after" -gt "$before" ] || fail "g2's ticks do not go on on box1 ($before before, $after after)"
grep -aq 'GUEST booted' "$T/body" && fail "g2 booted again on box1 instead of resuming"
grep -a 'GUEST tick' "$T/body" | tail -n 2 | grep -q 'disk=ok' || fail "g2's disk does not read back on box1: $(tail -3 "$T/body")"
[ "$(code "$URL/api/v1/images")" = 200 ] && grep -q '"name":"vmlinuz"' "$T/body" && grep -q '"name":"initrd"' "$T/body" \
	|| fail "the boot images did not come along: $(cat "$T/body")"
on box2
[ "$(code "$URL/api/v1/vms/g2")" = 404 ] || fail "g2 is still on box2: $(cat "$T/body")"
MOVED=$(sed -n 's/.*: \([0-9]*\) bytes$/\1/p' "$T/mv1.out") DOWN=$(sed -n 's/.*suspended for \([0-9.]*\) s.*/\1/p' "$T/mv1.out")
pass "g2 moved b -> a running: $MOVED bytes, the guest suspended $DOWN s; ticks $before -> $after on box1, no boot, disk=ok, same id and MAC, boot images along; gone from box2"
echo "FIGURE t58 vm move: a running 128 MiB guest with an 8 MiB disk moved in $MOVED bytes, suspended $DOWN s"

# 5. to an unreachable host: refused, g2 runs on a again
"$CTL" --context a --timeout 5 vm move g2 --to c > "$T/mv2.out" 2>&1; rc=$?
cat "$T/mv2.out"
[ $rc = 1 ] || fail "move to c: exit $rc, expected 1"
grep -q 'it runs on the source again' "$T/mv2.out" || fail "move to c: does not say g2 runs again"
on box1
[ "$(code "$URL/api/v1/vms/g2")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g2 not running on box1 after the failed move: $(cat "$T/body")"
pass "a move to an unreachable host fails (exit 1) and g2 runs on a again"

# 6. a -> b, stopped
[ "$(code -X POST "$URL/api/v1/vms/g2/stop")" = 200 ] || fail "stop on box1: $(cat "$T/body")"
"$CTL" --context a vm move g2 --to b > "$T/mv3.out" 2>&1 || fail "move a -> b: $(cat "$T/mv3.out")"
[ "$(code "$URL/api/v1/vms/g2")" = 404 ] || fail "g2 is still on box1"
on box2
[ "$(code "$URL/api/v1/vms/g2")" = 200 ] && [ "$(jget '["state"]')" = stopped ] || fail "g2 not stopped on box2: $(cat "$T/body")"
pass "g2 moved back a -> b stopped"
openapi_check
