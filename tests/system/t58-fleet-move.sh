#!/bin/bash
# t58-fleet-move.sh: `waferctl vm move` carries a VM between two appliances
# booted side by side, relayed by waferctl (docs/agent.md, "Moving a VM
# between hosts"). Contexts a (box1), b (box2), c (nothing listens there).
#  1. A running guest with a disk (gtest=restore: a tick a second, its disk
#     written and read back each tick) moves from a to b: suspended on a,
#     exported, imported on b (its boot images too: b has none), resumed
#     there: its ticks go on without a boot, its disk reads back, the same
#     id and MAC; a has no VM left.
#  2. A move to c (unreachable) fails with exit 1 and the VM runs on b again.
#  3. Moved back to a while stopped: stopped on a, gone from b.
# Prints the bytes moved and the time the guest was suspended.
. tests/system/lib.sh
. tests/system/agent-lib.sh

for b in box1 box2; do agent_img $b; done
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
on() { URL=https://127.0.0.1:${P[$1]}; }

on box1
"$CTL" --context a image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat "$T/up1.log")"
"$CTL" --context a image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat "$T/up2.log")"
SPEC='{"name":"g1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=restore"},"disks":[{"size_mib":8}],"nics":[{}]}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat "$T/body")"
ID=$(jget '["id"]') MAC=$(jget '["spec"]["nics"][0]["mac"]')
[ "$(code -X POST "$URL/api/v1/vms/g1/start")" = 200 ] || fail "start: $(cat "$T/body")"
last_tick() {   # last_tick BOX: the highest tick on g1's console there
	on "$1"
	code "$URL/api/v1/vms/g1/console" > /dev/null
	grep -ao 'GUEST tick [0-9]*' "$T/body" | awk '{ n = $3 } END { print n + 0 }'
}
for _ in $(seq 120); do [ "$(last_tick box1)" -ge 4 ] && break; sleep 1; done
[ "$(last_tick box1)" -ge 4 ] || fail "g1 did not come up on box1: $(tail -3 "$T/body")"
pass "box1 and box2 up; g1 runs on box1 (a)"

# 1. a -> b, running
before=$(last_tick box1)
"$CTL" --context a vm move g1 --to b > "$T/mv1.out" 2>&1; rc=$?
cat "$T/mv1.out"
[ $rc = 0 ] || fail "move a -> b: exit $rc"
grep -q '^moved g1 to b in ' "$T/mv1.out" || fail "move a -> b: no summary"
on box2
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g1 not running on box2: $(cat "$T/body")"
[ "$(jget '["id"]')" = "$ID" ] && [ "$(jget '["spec"]["nics"][0]["mac"]')" = "$MAC" ] || fail "g1 on box2 has another id or MAC: $(cat "$T/body")"
for _ in $(seq 60); do [ "$(last_tick box2)" -gt "$before" ] && break; sleep 1; done
after=$(last_tick box2)
[ "$after" -gt "$before" ] || fail "g1's ticks do not go on on box2 ($before before, $after after)"
grep -aq 'GUEST booted' "$T/body" && fail "g1 booted again on box2 instead of resuming"
grep -a 'GUEST tick' "$T/body" | tail -n 2 | grep -q 'disk=ok' || fail "g1's disk does not read back on box2: $(tail -3 "$T/body")"
on box1
[ "$(code "$URL/api/v1/vms/g1")" = 404 ] || fail "g1 is still on box1: $(cat "$T/body")"
code "$URL/api/v1/host" > /dev/null
[ "$(jget '["vmm_processes"]')" = 0 ] || fail "a VMM is left on box1"
on box2
[ "$(code "$URL/api/v1/images")" = 200 ] && grep -q '"name":"vmlinuz"' "$T/body" && grep -q '"name":"initrd"' "$T/body" \
	|| fail "the boot images did not come along: $(cat "$T/body")"
MOVED=$(sed -n 's/.*: \([0-9]*\) bytes$/\1/p' "$T/mv1.out") DOWN=$(sed -n 's/.*suspended for \([0-9.]*\) s.*/\1/p' "$T/mv1.out")
pass "g1 moved a -> b running: $MOVED bytes, the guest suspended $DOWN s; ticks $before -> $after on box2, no boot, disk=ok, same id and MAC; nothing left on box1"
echo "FIGURE t58-move: a running 128 MiB guest with an 8 MiB disk moved in $MOVED bytes, suspended $DOWN s"

# 2. to an unreachable host: refused, g1 runs on b again
"$CTL" --context b --timeout 5 vm move g1 --to c > "$T/mv2.out" 2>&1; rc=$?
cat "$T/mv2.out"
[ $rc = 1 ] || fail "move to c: exit $rc, expected 1"
grep -q 'it runs on the source again' "$T/mv2.out" || fail "move to c: does not say g1 runs again"
on box2
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g1 not running on box2 after the failed move: $(cat "$T/body")"
pass "a move to an unreachable host fails (exit 1) and g1 runs on b again"

# 3. b -> a, stopped
[ "$(code -X POST "$URL/api/v1/vms/g1/stop")" = 200 ] || fail "stop on box2: $(cat "$T/body")"
"$CTL" --context b vm move g1 --to a > "$T/mv3.out" 2>&1 || fail "move b -> a: $(cat "$T/mv3.out")"
[ "$(code "$URL/api/v1/vms/g1")" = 404 ] || fail "g1 is still on box2"
on box1
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = stopped ] || fail "g1 not stopped on box1: $(cat "$T/body")"
pass "g1 moved back b -> a stopped"
openapi_check
