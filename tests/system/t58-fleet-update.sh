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
openapi_check
