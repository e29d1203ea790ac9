#!/bin/bash
# t51-agent-vm-lifecycle.sh: through the API of the appliance in QEMU (with
# the development CA pre-installed on the config partition): upload the test
# guest's kernel and initrd with waferctl (SHA-256 verified), upload a 100 MiB
# image, create a VM, start it, read its serial console through the API,
# see its state in events and metrics, shut it down gracefully (ACPI), start
# and hard-stop it; reboot the host and find the definitions kept and an
# autostart VM running again; delete them; errors on the way are JSON with the
# right status.
. tests/system/lib.sh
. tests/system/agent-lib.sh

agent_img box
agent_boot box
pass "API up with the pre-installed development CA"

"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
pass "guest kernel and initrd uploaded (SHA-256 verified)"
head -c $((100 << 20)) /dev/urandom > "$T/big.img"
t0=$(date +%s.%N)
"${W[@]}" image upload big "$T/big.img" > "$T/up3.log" 2>&1 || fail "100 MiB upload: $(cat $T/up3.log)"
t1=$(date +%s.%N)
grep -q "sha256 $(sha256sum "$T/big.img" | cut -d' ' -f1)" "$T/up3.log" || fail "100 MiB upload: wrong checksum"
pass "100 MiB image uploaded in $(echo "$t1 - $t0" | bc) s"
rm -f "$T/big.img"
st=$(code -X DELETE "$URL/api/v1/images/big"); [ "$st" = 204 ] || fail "delete big image: HTTP $st $(cat $T/body 2>/dev/null)"

SPEC='{"name":"g1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=acpi"},"disks":[{"size_mib":8}],"nics":[{}]}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat $T/body)"
ID=$(jget '["id"]')
[ "$(code -X POST -d '{"name":"g2","vcpus":100000,"memory_mib":128,"boot":{"kernel":"vmlinuz"}}' "$URL/api/v1/vms")" = 400 ] \
	|| fail "too many vCPUs not refused"
pass "VM created ($ID); a spec with too many vCPUs refused"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/start")" = 200 ] || fail "start: $(cat $T/body)"
[ "$(jget '["state"]')" = running ] || fail "state after start: $(cat $T/body)"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/start")" = 409 ] || fail "starting a running VM was not a 409"
pass "VM started; a second start is a 409"
ok=0
for _ in $(seq 90); do
	code "$URL/api/v1/vms/g1/console" >/dev/null
	grep -q "GUEST tick 3" "$T/body" && { ok=1; break; }
	sleep 1
done
[ $ok = 1 ] || { tail -5 "$T/body"; fail "guest console through the API never showed 'GUEST tick 3'"; }
pass "guest serial console read through the API: $(grep -a -m1 'GUEST booted' "$T/body")"
[ "$(code "$URL/metrics")" = 200 ] && grep -q "wafer_vm_state{vm=\"$ID\",name=\"g1\",state=\"running\"} 1" "$T/body" \
	|| fail "metrics do not show the running VM"
curl -sk -m 3 "${A[@]}" "$URL/api/v1/events?since=0" > "$T/events" 2>/dev/null
grep -q '"type":"vm.state".*"state":"running"' "$T/events" || fail "no vm.state running event"
pass "metrics and events show the VM running"

[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/shutdown")" = 200 ] || fail "shutdown: $(cat $T/body)"
for _ in $(seq 90); do code "$URL/api/v1/vms/g1" >/dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 1; done
[ "$(jget '["state"]')" = stopped ] || fail "after shutdown: $(cat $T/body)"
case "$(jget '["exit_reason"]')" in
poweroff) pass "graceful shutdown: the guest powered off (ACPI power button, S5)";;
*) fail "after shutdown the guest did not power off by itself: $(cat $T/body)";;
esac
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/start")" = 200 ] || fail "restart: $(cat $T/body)"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/stop")" = 200 ] || fail "stop: $(cat $T/body)"
for _ in $(seq 20); do code "$URL/api/v1/vms/g1" >/dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 0.5; done
[ "$(jget '["state"]')" = stopped ] || fail "after stop: $(cat $T/body)"
pass "hard stop: stopped, reason $(jget '["exit_reason"]')"

# Pause, resume and reboot through the API.
state_is() { [ "$(jget '["state"]')" = "$1" ]; }
[ "$(code -X POST "$URL/api/v1/vms/g1/start")" = 200 ] && state_is running || fail "start again: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/g1/pause")" = 200 ] && state_is paused || fail "pause: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/g1/pause")" = 409 ] || fail "pausing a paused VM was not refused: $(cat $T/body)"
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && state_is paused || fail "GET after pause: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/g1/resume")" = 200 ] && state_is running || fail "resume: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/g1/resume")" = 409 ] || fail "resuming a running VM was not refused: $(cat $T/body)"
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] || fail "GET before reboot: $(cat $T/body)"
pid0=$(jget '["pid"]') restarts0=$(jget '["restarts"]')
[ "$(code -X POST "$URL/api/v1/vms/g1/reboot")" = 200 ] && state_is running || fail "reboot: $(cat $T/body)"
pid1=$(jget '["pid"]') restarts1=$(jget '["restarts"]')
[ "$pid1" != "$pid0" ] && [ "$restarts1" = $((restarts0 + 1)) ] ||
	fail "reboot: wafer-vmm pid $pid0 -> $pid1, restarts $restarts0 -> $restarts1"
pass "pause and resume (each refused twice in a row), reboot: a new wafer-vmm (pid $pid0 -> $pid1), restarts $restarts1"

# The same actions as tasks: Prefer: respond-async answers 202 with the task,
# which ends when the action is done.
async() {   # async VERB WANT_STATE
	local st task
	st=$(code -D "$T/hdr" -H 'Prefer: respond-async' -X POST "$URL/api/v1/vms/g1/$1")
	[ "$st" = 202 ] || fail "$1 with Prefer: respond-async: HTTP $st $(cat $T/body)"
	task=$(jget '["id"]')
	grep -qi "^Location: /api/v1/tasks/$task" "$T/hdr" || fail "$1: no Location of task $task: $(cat $T/hdr)"
	[ "$(jget '["kind"]')" = "vm.$1" ] && [ "$(jget '["target"]')" = g1 ] || fail "$1: task $(cat $T/body)"
	for _ in $(seq 120); do
		[ "$(code "$URL/api/v1/tasks/$task")" = 200 ] || fail "task $task: $(cat $T/body)"
		[ "$(jget '["state"]')" != running ] && break
		sleep 0.5
	done
	[ "$(jget '["state"]')" = succeeded ] || fail "$1 task: $(cat $T/body)"
	[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && state_is "$2" || fail "after the $1 task: $(cat $T/body)"
}
async stop stopped
async start running
async shutdown stopped
pass "stop, start and shutdown as tasks (Prefer: respond-async -> 202, Location; the task ends with the VM stopped/running/powered off)"
# Persistence across a host reboot: definitions and disks stay on the
# datastore, and an autostart VM comes back running by itself.
SPEC3='{"name":"g3","vcpus":1,"memory_mib":128,"autostart":true,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet"},"disks":[{"size_mib":4}]}'
[ "$(code -X POST -d "$SPEC3" "$URL/api/v1/vms")" = 201 ] || fail "create autostart VM: $(cat $T/body)"
[ "$(code -X POST -d '{}' "$URL/api/v1/host/reboot")" = 202 ] || fail "host reboot not accepted: $(cat $T/body)"
sleep 5
for _ in $(seq 180); do [ "$(code "$URL/api/v1/host")" = 200 ] && break; sleep 1; done
[ "$(code "$URL/api/v1/host")" = 200 ] || fail "API did not come back after the host reboot"
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] && [ "$(jget '["state"]')" = stopped ] || fail "g1 after reboot: $(cat $T/body)"
ok=0
for _ in $(seq 120); do
	code "$URL/api/v1/vms/g3/console" >/dev/null
	grep -q "GUEST tick 2" "$T/body" && { ok=1; break; }
	sleep 1
done
[ $ok = 1 ] || fail "autostart VM g3 did not run after the host reboot: $(code "$URL/api/v1/vms/g3"; cat $T/body)"
[ "$(code "$URL/api/v1/vms/g3")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "g3 state after reboot: $(cat $T/body)"
pass "after a host reboot: g1's definition kept (stopped), autostart VM g3 running"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g3/stop")" = 200 ] || fail "stop g3: $(cat $T/body)"
for _ in $(seq 20); do code "$URL/api/v1/vms/g3" >/dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 0.5; done
[ "$(code -X DELETE "$URL/api/v1/vms/g3")" = 204 ] || fail "delete g3: $(cat $T/body)"

[ "$(code -X DELETE "$URL/api/v1/images/vmlinuz")" = 409 ] || fail "deleting an image in use was not refused"
[ "$(code -X DELETE "$URL/api/v1/vms/g1")" = 204 ] || fail "delete VM: $(cat $T/body)"
[ "$(code "$URL/api/v1/vms/g1")" = 404 ] || fail "deleted VM still there"
pass "VM deleted; images in use could not be deleted before"
openapi_check
