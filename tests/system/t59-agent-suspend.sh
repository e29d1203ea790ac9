#!/bin/bash
# t59-agent-suspend.sh: suspend to the datastore and resume, and snapshots,
# through the API (docs/agent.md, "Suspend and resume", "Snapshots"). The test guest counts a tick a
# second and writes and reads its disk each tick (gtest=restore).
#  1. POST /vms/s1/suspend: 200, state suspended, no VMM left, saved_state
#     with the file's size (guest memory + state) and the save's duration.
#  2. POST /vms/s1/start resumes it: the ticks go on from where they were
#     (no new boot), the disk still reads back what the guest wrote, and the
#     saved state is gone (it must never be resumed twice).
#  3. Suspend again; the saved state is damaged on the datastore (cut in
#     half by the test-only hook: nothing of the API can reach it): the
#     start is refused (500 start_failed, "resume refused"), the VM stays
#     suspended with its saved state and the reason.
#  4. Stop discards the saved state; the next start boots the guest afresh.
#  5. POST /host/reboot?vms=suspend with the VM running and autostart set:
#     the VM is suspended before the reboot and resumed by the autostart
#     after it: the guest's ticks go on across the host's reboot.
# Then snapshots (docs/agent.md, "Snapshots"), on the same VM:
#  6. POST /vms/s1/snapshots {"name":"live"} on the running VM: 201, memory
#     included, the guest paused only for the save and the disk copy
#     (pause_ms printed) and running on afterwards.
#  7. Some ticks later, POST .../live/revert: 200, running again, and the
#     guest carries on from the snapshot's tick, not from where it was, and
#     without a boot; its disk reads back.
#  8. The VM stopped, a snapshot "off" has no memory; started again (a fresh
#     boot), a revert to "off" stops it; a revert to "live" from there
#     resumes the guest at the snapshot's tick once more.
#  9. A clone of "off" (POST /vms with clone_of) boots as a VM of its own
#     beside s1 and its disk works; deleted again.
# 10. Delete both snapshots: the list is empty.
# Prints the suspend and resume times and the snapshot's pause.
. tests/system/lib.sh
. tests/system/init-lib.sh
. tests/system/agent-lib.sh

agent_img box
# the hook waits for an image named t59-damage, then halves the saved state
img_add_overlay box "waitfile:/data/wafer/images/t59-damage,halve:/data/wafer/vms/*/suspend.sav"
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

[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 200 ] || fail "start: $(cat "$T/body")"
wait_tick 5 120
grep -aq 'GUEST tick [0-9]* disk=ok' "$T/body" || fail "the guest's disk check fails before the suspend: $(tail -3 "$T/body")"

# 1. suspend
before=$(last_tick)
t0=$(date +%s%N)
[ "$(code -X POST "$URL/api/v1/vms/s1/suspend")" = 200 ] || fail "suspend: $(cat "$T/body")"
t1=$(date +%s%N)
python3 - "$T/body" <<'PY' || fail "suspended VM: $(cat "$T/body")"
import json, sys
v = json.load(open(sys.argv[1]))
s = v["saved_state"]
assert v["state"] == "suspended", v["state"]
assert "pid" not in v, "a VMM is still there"
assert s["bytes"] >= 128 << 20, s
assert 0 < s["allocated_bytes"] <= s["bytes"], s
assert s["save_duration_ms"] >= 0, s
print("saved: %d bytes, %d allocated, written in %d ms" % (s["bytes"], s["allocated_bytes"], s["save_duration_ms"]))
PY
SAVED=$(jget '["saved_state"]["allocated_bytes"]')
[ "$(code "$URL/api/v1/vms/s1/console")" = 409 ] || fail "a suspended VM has a console: $(head -c 200 "$T/body")"
code "$URL/metrics" > /dev/null
grep -q 'wafer_vm_state{vm="[0-9a-f]*",name="s1",state="suspended"} 1' "$T/body" || fail "/metrics does not say suspended"
pass "suspend in $(( (t1 - t0) / 1000000 )) ms (last tick before: $before): suspended, no VMM, $SAVED bytes on the datastore"

# 2. resume
sleep 3   # a guest that booted afresh would be at tick 1-3 now
t0=$(date +%s%N)
[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 200 ] || fail "resume: $(cat "$T/body")"
t1=$(date +%s%N)
[ "$(jget '["state"]')" = running ] || fail "after the resume: $(cat "$T/body")"
python3 -c 'import json,sys; sys.exit(1 if "saved_state" in json.load(open(sys.argv[1])) else 0)' "$T/body" \
	|| fail "the saved state is still there after the resume"
wait_tick $((before + 3)) 60
grep -aq 'GUEST booted' "$T/body" && fail "the guest booted again instead of resuming: $(head -5 "$T/body")"
first=$(grep -ao 'GUEST tick [0-9]*' "$T/body" | head -n1 | awk '{ print $3 }')
[ "$first" -ge "$before" ] || fail "the first tick after the resume is $first, before the suspend it was $before"
grep -a 'GUEST tick' "$T/body" | tail -n 2 | grep -q 'disk=ok' || fail "the disk does not read back after the resume: $(tail -3 "$T/body")"
pass "resume in $(( (t1 - t0) / 1000000 )) ms: ticks go on from $first (was $before), no new boot, disk=ok; the saved state is removed"

# 3. suspend again; a damaged saved state is refused and kept
[ "$(code -X POST "$URL/api/v1/vms/s1/suspend")" = 200 ] || fail "second suspend: $(cat "$T/body")"
echo now > "$T/damage"
"${W[@]}" image upload t59-damage "$T/damage" > "$T/up3.log" 2>&1 || fail "trigger upload: $(cat "$T/up3.log")"
wait_log box 'test-hook: halve /data/wafer/vms/[0-9a-f]*/suspend.sav: done' 60 || fail "the hook did not damage the saved state"
# the hook runs again at the next boot (step 5): without its trigger it only waits
[ "$(code -X DELETE "$URL/api/v1/images/t59-damage")" = 204 ] || fail "cannot remove the trigger: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 500 ] || fail "a damaged saved state was not refused: $(cat "$T/body")"
grep -q 'resume refused' "$T/body" || fail "unclear refusal: $(cat "$T/body")"
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = suspended ] || fail "not suspended after the refusal: $(cat "$T/body")"
grep -q 'resume refused: the saved state does not load' "$T/body" && grep -q '"saved_state"' "$T/body" \
	|| fail "the reason or the saved state is missing: $(cat "$T/body")"
code "$URL/api/v1/host/logs" > /dev/null
grep -q 'restore refused' "$T/body" || fail "the VMM's reason is not in the host log"
pass "a damaged saved state: start refused (500, 'resume refused'), VM still suspended with its saved state; host log: $(grep -o 'restore refused[^"]*' "$T/body" | head -n1 | cut -c1-100)"

# 4. stop discards it; the next start boots afresh
[ "$(code -X POST "$URL/api/v1/vms/s1/stop")" = 200 ] || fail "stop of a suspended VM: $(cat "$T/body")"
[ "$(jget '["state"]')" = stopped ] && grep -q 'saved state discarded' "$T/body" || fail "stop did not discard: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/s1/start")" = 200 ] || fail "start after the discard: $(cat "$T/body")"
for _ in $(seq 120); do code "$URL/api/v1/vms/s1/console" > /dev/null; grep -aq 'GUEST booted' "$T/body" && break; sleep 1; done
if ! grep -aq 'GUEST booted' "$T/body"; then   # is the vCPU running at all?
	for i in 1 2; do code "$URL/metrics" > /dev/null; grep -E '^wafer_vm_(cpu_seconds|exits)_total' "$T/body"; sleep 5; done
	code "$URL/api/v1/vms/s1" > /dev/null; cat "$T/body"; echo
	fail "no fresh boot after the discard: $(tail -3 "$T/body")"
fi
code "$URL/api/v1/events?since=0&follow=0" > /dev/null
grep -q '"state":"suspended"' "$T/body" || fail "no vm.state event 'suspended'"
pass "stop of the suspended VM: saved state discarded, the next start boots afresh"

# 5. the host reboots with its VMs suspended; autostart resumes them
[ "$(code -X PATCH -d '{"autostart":true}' "$URL/api/v1/vms/s1")" = 200 ] || fail "autostart: $(cat "$T/body")"
wait_tick 3 120
before=$(last_tick)
[ "$(code -X POST "$URL/api/v1/host/reboot?vms=bogus")" = 400 ] || fail "vms=bogus accepted: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/host/reboot?vms=suspend")" = 202 ] || fail "reboot with vms=suspend: $(cat "$T/body")"
grep -q '"suspended":\["s1"\]' "$T/body" || fail "the reply does not name s1 as suspended: $(cat "$T/body")"
t0=$(date +%s)
sleep 5
for _ in $(seq 180); do [ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] && break; sleep 1; done
[ "$(jget '["state"]')" = running ] || fail "s1 not running after the host's reboot: $(cat "$T/body")"
code "$URL/api/v1/host" > /dev/null
up=$(jget '["uptime_s"]')
[ "${up%.*}" -lt $(( $(date +%s) - t0 + 5 )) ] || fail "the host did not reboot (uptime $up s)"
wait_tick $((before + 2)) 60
grep -aq 'GUEST booted' "$T/body" && fail "s1 booted again instead of resuming after the host's reboot"
pass "host reboot with vms=suspend: s1 suspended, host up again after $(( $(date +%s) - t0 )) s, s1 resumed by autostart (ticks $before -> $(last_tick), no boot)"

# first_tick: the first tick of the console (a new VMM's console starts empty)
first_tick() { grep -ao 'GUEST tick [0-9]*' "$T/body" | head -n1 | awk '{ print $3 + 0 }'; }

wait_tick $((before + 5)) 60

# 6. a snapshot of the running VM
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
wait_tick $((before + 8)) 60
snap_tick=$before
pass "snapshot of the running VM in $(( (t1 - t0) / 1000000 )) ms (guest paused $PAUSE ms, $DUR ms in all, $SIZE bytes on the datastore); the guest runs on (tick $(last_tick))"
echo "FIGURE t59 snapshot of a running 128 MiB guest: paused $PAUSE ms, $DUR ms in all, $SIZE bytes"

# 7. revert to it: the guest goes back to the snapshot's instant
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
[ "$first" -ge "$snap_tick" ] && [ "$first" -le $((snap_tick + 4)) ] && [ "$first" -lt "$now" ] \
	|| fail "the first tick after the revert is $first; the snapshot was at tick $snap_tick, the guest at $now before the revert"
grep -a 'GUEST tick' "$T/body" | tail -n 2 | grep -q 'disk=ok' || fail "the disk does not read back after the revert: $(tail -3 "$T/body")"
code "$URL/api/v1/events?since=0&follow=0" > /dev/null
grep -q "reverted to snapshot 'live'" "$T/body" || fail "no vm.state event with the revert's reason"
pass "revert in $(( (t1 - t0) / 1000000 )) ms: the guest goes on from tick $first (snapshot at $snap_tick, it was at $now), no boot, disk=ok"

# 8. a snapshot without memory; a revert to it stops a running VM
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
[ "$first" -ge "$snap_tick" ] && [ "$first" -le $((snap_tick + 4)) ] || fail "second revert: first tick $first, snapshot at $snap_tick"
pass "snapshot 'off' of the stopped VM has no memory; a revert to it stops the running VM; 'live' resumes at tick $first again"

# 9. a clone of "off" boots beside s1
[ "$(code -X POST -d '{"name":"c1","clone_of":{"vm":"s1","snapshot":"off"}}' "$URL/api/v1/vms")" = 201 ] || fail "clone: $(cat "$T/body")"
[ "$(jget '["state"]')" = stopped ] || fail "the clone is not stopped: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/c1/start")" = 200 ] || fail "start of the clone: $(cat "$T/body")"
for _ in $(seq 120); do code "$URL/api/v1/vms/c1/console" > /dev/null; grep -aq 'GUEST tick [0-9]* disk=ok' "$T/body" && break; sleep 1; done
grep -aq 'GUEST booted' "$T/body" && grep -aq 'GUEST tick [0-9]* disk=ok' "$T/body" || fail "the clone did not boot with a working disk: $(tail -3 "$T/body")"
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "s1 is no longer running: $(cat "$T/body")"
[ "$(code -X DELETE "$URL/api/v1/vms/c1")" = 409 ] || fail "a running clone was deleted: $(cat "$T/body")"
[ "$(code -X POST "$URL/api/v1/vms/c1/stop")" = 200 ] && [ "$(code -X DELETE "$URL/api/v1/vms/c1")" = 204 ] || fail "stop and delete of the clone: $(cat "$T/body")"
pass "a clone of 'off' boots beside s1 with a disk that works; deleted"

# 10. delete them
for s in live off; do
	[ "$(code -X DELETE "$URL/api/v1/vms/s1/snapshots/$s")" = 204 ] || fail "delete $s: $(cat "$T/body")"
done
[ "$(code "$URL/api/v1/vms/s1/snapshots")" = 200 ] && [ "$(jget '["snapshots"]')" = "[]" ] || fail "left: $(cat "$T/body")"
[ "$(code "$URL/api/v1/vms/s1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "the VM was touched: $(cat "$T/body")"
pass "both snapshots deleted, the VM runs on"
openapi_check
