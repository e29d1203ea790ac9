#!/bin/bash
# t58-fleet-update.sh: `waferctl fleet update` rolls a signed bundle over two
# appliances booted side by side (BIOS/GRUB, update_grace = 10), contexts
# a (box1), b (box2, a running VM) and c (nothing listens there).
#  1. Without --stop-vms: a is updated (rebooted into slot B, version N+1
#     committed), the run stops at b because a VM runs there (exit 1, says
#     where and why), c is not tried; box2 still runs version N on slot A
#     and its VM was not touched.
#  2. With --stop-vms: a is skipped (already at N+1), b's VM is shut down
#     through ACPI, b is updated and committed, the VM is started again; the
#     run then stops at c (unreachable): exit 1, "updated: b".
. tests/system/lib.sh
. tests/system/update-lib.sh
. tests/system/agent-lib.sh

GRACE=10
upd_bundle n1 "$VER_N1" "$(_ov n1 "$VER_N1")"
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

# 2. --stop-vms: a skipped, b's VM shut down, b updated, the VM started again, stopped at c
t0=$(date +%s)
"$CTL" fleet update "$T/n1.update" --stop-vms > "$T/fu2.out" 2>&1; rc=$?
cat "$T/fu2.out"
[ $rc = 1 ] || fail "run 2: exit $rc, expected 1 (c is unreachable)"
grep -q "a: already runs version $VER_N1" "$T/fu2.out" || fail "run 2: a not skipped"
grep -q 'shutting down VM g1' "$T/fu2.out" && grep -q 'starting VM g1 again' "$T/fu2.out" || fail "run 2: g1 not stopped and started"
grep -q '^fleet update: stopped at c: ' "$T/fu2.out" && grep -q '^  updated: b$' "$T/fu2.out" || fail "run 2: wrong summary"
host_is box2 "$VER_N1" B || fail "box2 is not on $VER_N1 committed on slot B: $(cat "$T/upd.kv" | tr '\n' ' ')"
URL=https://127.0.0.1:${P[box2]}
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g1 not running after the update: $(cat "$T/body")"
pass "run 2 ($(( $(date +%s) - t0 )) s): a skipped, g1 shut down, b updated to $VER_N1 and committed, g1 running again; stopped at c (unreachable)"
openapi_check
