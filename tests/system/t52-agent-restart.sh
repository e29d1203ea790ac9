#!/bin/bash
# t52-agent-restart.sh: the agent dies (SIGKILL from outside, as a crash
# would) while a VM runs; the VM's wafer-vmm keeps running (same pid), its
# serial console keeps producing output that the restarted agent serves,
# the API shows the VM running, and the re-attached agent can shut it down
# (ACPI; the exit reason is read from the VMM's exit file, as init reaped it)
# and start/stop it again.
# How the agent is killed: the test overlay adds the test-only wafer-testhook
# (initramfs/init/tests/testhook.c) with the actions
#   waitfile:/data/wafer/images/t52-kill,kill:wafer-agent
# The test uploads an image named t52-kill through the API when it wants the
# kill; the hook then SIGKILLs the agent's pid (as init reports it) and waits
# for init to restart the service. Nothing of this is in the product image.
. tests/system/lib.sh
. tests/system/init-lib.sh
. tests/system/agent-lib.sh

agent_img box
img_add_overlay box "waitfile:/data/wafer/images/t52-kill,kill:wafer-agent"
agent_boot box
# last_tick: the highest "GUEST tick N" in the console read through the API
last_tick() {
	code "$URL/api/v1/vms/g1/console" > "$T/cc" || true
	[ "$(cat "$T/cc")" = 200 ] || { echo -1; return; }
	grep -ao 'GUEST tick [0-9]*' "$T/body" | tail -n 1 | awk '{ print $3 + 0 }'
}
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
SPEC='{"name":"g1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=acpi"}}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat $T/body)"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/start")" = 200 ] || fail "start: $(cat $T/body)"
ok=0
for _ in $(seq 120); do t=$(last_tick); [ "${t:-0}" -ge 3 ] && { ok=1; break; }; sleep 1; done
[ $ok = 1 ] || { tail -5 "$T/body"; fail "guest console never showed 'GUEST tick 3'"; }
code "$URL/api/v1/vms/g1" > /dev/null
VMM_PID=$(jget '["pid"]')
pass "VM g1 running (wafer-vmm pid $VMM_PID), console at tick $t"

# Ask the hook to kill the agent: it waits for this file on the datastore.
echo now > "$T/kill"
"${W[@]}" image upload t52-kill "$T/kill" > "$T/up3.log" 2>&1 || fail "trigger upload: $(cat $T/up3.log)"
wait_log box 'test-hook: killed wafer-agent pid [0-9]+' 60 || fail "the hook did not kill the agent"
OLD=$(grep -ao 'test-hook: killed wafer-agent pid [0-9]*' "$T/box.log" | awk '{ print $NF }')
wait_log box 'test-hook: wafer-agent restarted as pid [0-9]+' 60 || fail "init did not restart the agent"
NEW=$(grep -ao 'test-hook: wafer-agent restarted as pid [0-9]*' "$T/box.log" | awk '{ print $NF }')
pass "agent pid $OLD killed with SIGKILL; init restarted it as pid $NEW"

for _ in $(seq 60); do [ "$(code "$URL/api/v1/vms/g1")" = 200 ] && break; sleep 1; done
[ "$(code "$URL/api/v1/vms/g1")" = 200 ] || fail "API did not come back after the agent restart"
[ "$(jget '["state"]')" = running ] || fail "after the agent restart the VM is not running: $(cat $T/body)"
[ "$(jget '["pid"]')" = "$VMM_PID" ] || fail "wafer-vmm pid changed: $VMM_PID -> $(jget '["pid"]')"
t1=$(last_tick)
[ "$t1" -ge "$t" ] || fail "console after restart: tick $t1 < $t before"
sleep 4
t2=$(last_tick)
[ "$t2" -gt "$t1" ] || fail "console output stopped after the agent restart (tick $t1, then $t2)"
pass "after the agent restart: VM running, same wafer-vmm pid, console goes on (tick $t -> $t1 -> $t2)"
code "$URL/api/v1/host/logs" > /dev/null
grep -q "g1: re-attached to wafer-vmm pid $VMM_PID" "$T/body" || fail "no re-attach line in the host log"
pass "host log: g1: re-attached to wafer-vmm pid $VMM_PID"

[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/shutdown")" = 200 ] || fail "shutdown after re-attach: $(cat $T/body)"
for _ in $(seq 90); do code "$URL/api/v1/vms/g1" >/dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 1; done
[ "$(jget '["state"]')" = stopped ] || fail "re-attached VM did not stop after shutdown: $(cat $T/body)"
# init reaped the VMM (not the agent's child any more); the reason comes from
# the VMM's exit file (--exit-fd, vm_exitfile.c)
case "$(jget '["exit_reason"]')" in
poweroff) pass "the re-attached agent shut the VM down: the guest powered off (ACPI), reason from the VMM's log line";;
shutdown-timeout*) pass "the re-attached agent shut the VM down after the timeout (reason from the VMM's log line)";;
*) fail "after shutdown of the re-attached VM, reason '$(jget '["exit_reason"]')': $(cat $T/body)";;
esac
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/start")" = 200 ] || fail "start again: $(cat $T/body)"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/g1/stop")" = 200 ] || fail "stop: $(cat $T/body)"
for _ in $(seq 20); do code "$URL/api/v1/vms/g1" >/dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 0.5; done
[ "$(jget '["state"]')" = stopped ] || fail "after stop: $(cat $T/body)"
pass "the restarted agent starts and stops VMs as before"
qemu_kill box
openapi_check
