#!/bin/bash
# t59-agent-snapshots.sh: snapshots through the API (docs/agent.md,
# "Snapshots"). The test guest counts a tick a second and writes and reads
# its disk each tick (gtest=restore).
#  1. POST /vms/s1/snapshots {"name":"live"} on the running VM: 201, memory
#     included, the guest paused only for the save and the disk copy
#     (pause_ms printed) and running on afterwards.
#  2. Some ticks later, POST .../live/revert: 200, running again, and the
#     guest carries on from the snapshot's tick, not from where it was, and
#     without a boot; its disk reads back.
#  3. The VM stopped, a snapshot "off" has no memory; started again (a fresh
#     boot), a revert to "off" stops it; a revert to "live" from there
#     resumes the guest at the snapshot's tick once more.
#  4. A clone of "off" (POST /vms with clone_of) boots as a VM of its own
#     beside s1 and its disk works; deleted again.
#  5. Delete both snapshots: the list is empty.
. tests/system/lib.sh
. tests/system/agent-lib.sh

agent_img box
agent_boot box
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat "$T/up1.log")"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat "$T/up2.log")"
SPEC='{"name":"s1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=restore"},"disks":[{"size_mib":8}]}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat "$T/body")"

# last_tick: the highest "GUEST tick N" in the console so far (0 if none)
last_tick() {
	code "$URL/api/v1/vms/s1/console" > /dev/null
	grep -ao 'GUEST tick [0-9]*' "$T/body" | awk '{ n = $3 } END { print n + 0 }'
}
wait_tick() {   # wait_tick N SECONDS: until the console shows a tick >= N
	for _ in $(seq "$2"); do [ "$(last_tick)" -ge "$1" ] && return 0; sleep 1; done
	tail -5 "$T/body"; fail "no tick $1 within $2 s"
}
# first_tick: the first tick of the console (a new VMM's console starts empty)
first_tick() { grep -ao 'GUEST tick [0-9]*' "$T/body" | head -n1 | awk '{ print $3 + 0 }'; }

[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 200 ] || fail "start: $(cat "$T/body")"
wait_tick 5 120

# 1. a snapshot of the running VM
before=$(last_tick)
t0=$(date +%s%N)
[ "$(code -X POST -d '{"name":"live"}' "$URL/api/v1/vms/s1/snapshots")" = 201 ] || fail "snapshot: $(cat "$T/body")"
t1=$(date +%s%N)
python3 - "$T/body" <<'PY' || fail "snapshot of the running VM: $(cat "$T/body")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == "live" and s["vm_state"] == "running" and s["memory"], s
assert s["memory_bytes"] >= 128 << 20 and s["disk_bytes"] == 8 << 20, s
assert 0 < s["size_bytes"] < s["memory_bytes"] + s["disk_bytes"], s
assert 0 < s["pause_ms"] <= s["duration_ms"], s
PY
PAUSE=$(jget '["pause_ms"]') DUR=$(jget '["duration_ms"]') SIZE=$(jget '["size_bytes"]')
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "not running after the snapshot: $(cat "$T/body")"
wait_tick $((before + 4)) 60
snap_tick=$before
pass "snapshot of the running VM in $(( (t1 - t0) / 1000000 )) ms (guest paused $PAUSE ms, $DUR ms in all, $SIZE bytes on the datastore); the guest runs on (tick $(last_tick))"
echo "FIGURE t59 snapshot of a running 128 MiB guest: paused $PAUSE ms, $DUR ms in all, $SIZE bytes"

# 2. revert to it: the guest goes back to the snapshot's instant
now=$(last_tick)
t0=$(date +%s%N)
[ "$(code -X POST "$URL/api/v1/vms/s1/snapshots/live/revert")" = 200 ] || fail "revert: $(cat "$T/body")"
t1=$(date +%s%N)
[ "$(jget '["state"]')" = running ] || fail "not running after the revert: $(cat "$T/body")"
wait_tick 1 60
sleep 2
last_tick > /dev/null
grep -aq 'GUEST booted' "$T/body" && fail "the guest booted instead of resuming: $(head -5 "$T/body")"
first=$(first_tick)
[ "$first" -ge "$snap_tick" ] && [ "$first" -le $((snap_tick + 3)) ] && [ "$first" -lt "$now" ] \
	|| fail "the first tick after the revert is $first; the snapshot was at tick $snap_tick, the guest at $now before the revert"
grep -a 'GUEST tick' "$T/body" | tail -n 2 | grep -q 'disk=ok' || fail "the disk does not read back after the revert: $(tail -3 "$T/body")"
code "$URL/api/v1/events?since=0&follow=0" > /dev/null
grep -q "reverted to snapshot 'live'" "$T/body" || fail "no vm.state event with the revert's reason"
pass "revert in $(( (t1 - t0) / 1000000 )) ms: the guest goes on from tick $first (snapshot at $snap_tick, it was at $now), no boot, disk=ok"

# 3. a snapshot without memory; a revert to it stops a running VM
[ "$(code -X POST "$URL/api/v1/vms/s1/stop")" = 200 ] || fail "stop: $(cat "$T/body")"
[ "$(code -X POST -d '{"name":"off"}' "$URL/api/v1/vms/s1/snapshots")" = 201 ] || fail "snapshot of the stopped VM: $(cat "$T/body")"
[ "$(jget '["memory"]')" = False ] && [ "$(jget '["vm_state"]')" = stopped ] || fail "snapshot 'off': $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 200 ] || fail "start: $(cat "$T/body")"
for _ in $(seq 120); do code "$URL/api/v1/vms/s1/console" > /dev/null; grep -aq 'GUEST booted' "$T/body" && break; sleep 1; done
grep -aq 'GUEST booted' "$T/body" || fail "no fresh boot after the stop"
[ "$(code -X POST "$URL/api/v1/vms/s1/snapshots/off/revert")" = 200 ] || fail "revert to off: $(cat "$T/body")"
[ "$(jget '["state"]')" = stopped ] || fail "a revert to a snapshot without memory did not stop the VM: $(cat "$T/body")"
code "$URL/api/v1/host" > /dev/null
[ "$(jget '["vmm_processes"]')" = 0 ] || fail "a VMM is left: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/s1/snapshots/live/revert")" = 200 ] && [ "$(jget '["state"]')" = running ] \
	|| fail "revert to live from stopped: $(cat "$T/body")"
wait_tick 1 60
first=$(first_tick)
grep -aq 'GUEST booted' "$T/body" && fail "booted instead of resuming the second time"
[ "$first" -ge "$snap_tick" ] && [ "$first" -le $((snap_tick + 3)) ] || fail "second revert: first tick $first, snapshot at $snap_tick"
pass "snapshot 'off' of the stopped VM has no memory; a revert to it stops the running VM; 'live' resumes at tick $first again"

# 4. a clone of "off" boots beside s1
[ "$(code -X POST -d '{"name":"c1","clone_of":{"vm":"s1","snapshot":"off"}}' "$URL/api/v1/vms")" = 201 ] || fail "clone: $(cat "$T/body")"
[ "$(jget '["state"]')" = stopped ] || fail "the clone is not stopped: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/c1/start")" = 200 ] || fail "start of the clone: $(cat "$T/body")"
for _ in $(seq 120); do code "$URL/api/v1/vms/c1/console" > /dev/null; grep -aq 'GUEST tick [0-9]* disk=ok' "$T/body" && break; sleep 1; done
grep -aq 'GUEST booted' "$T/body" && grep -aq 'GUEST tick [0-9]* disk=ok' "$T/body" || fail "the clone did not boot with a working disk: $(tail -3 "$T/body")"
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "s1 is no longer running: $(cat "$T/body")"
[ "$(code -X DELETE "$URL/api/v1/vms/c1")" = 409 ] || fail "a running clone was deleted: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/c1/stop")" = 200 ] && [ "$(code -X DELETE "$URL/api/v1/vms/c1")" = 204 ] || fail "stop and delete of the clone: $(cat "$T/body")"
pass "a clone of 'off' boots beside s1 with a disk that works; deleted"

# 5. delete them
for s in live off; do
	[ "$(code -X DELETE "$URL/api/v1/vms/s1/snapshots/$s")" = 204 ] || fail "delete $s: $(cat "$T/body")"
done
[ "$(code "$URL/api/v1/vms/s1/snapshots")" = 200 ] && [ "$(jget '["snapshots"]')" = "[]" ] || fail "left: $(cat "$T/body")"
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "the VM was touched: $(cat "$T/body")"
pass "both snapshots deleted, the VM runs on"
openapi_check
