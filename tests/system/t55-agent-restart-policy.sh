#!/bin/bash
# t55-agent-restart-policy.sh: a VM's restart policy through the API of the
# appliance in QEMU. A guest that crashes (it reboots with reboot=t: a triple
# fault, wafer-vmm exit 4) under "on-failure" with restart_max 2 is started
# again twice, after 1 s and 2 s, each a vm.restart event, then the policy
# gives up (vm.restart gave_up) and the VM stays crashed; a guest that powers
# off under "always" is started again; under "on-failure" a poweroff is not a
# failure; an operator's stop is never undone by a policy.
. tests/system/lib.sh
. tests/system/agent-lib.sh

agent_img box
agent_boot box
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
spec() {   # NAME GTEST POLICY MAX [CMDLINE EXTRA]
	echo "{\"name\":\"$1\",\"vcpus\":1,\"memory_mib\":128,\"restart\":\"$3\",\"restart_max\":$4,\"boot\":{\"kernel\":\"vmlinuz\",\"initrd\":\"initrd\",\"cmdline\":\"console=ttyS0 quiet gtest=$2 ${5:-}\"}}"
}
events() { curl -sk -m 3 "${A[@]}" "$URL/api/v1/events?since=0" 2>/dev/null | sed -n 's/^data: //p' > "$T/events"; }
# restart events of VM NAME: "attempt delay_ms gave_up" per line
restarts_of() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("type") == "vm.restart" and e["data"].get("name") == sys.argv[2]:
        d = e["data"]; print(d["attempt"], d.get("delay_ms", "-"), "gave_up" if d.get("gave_up") else "-")' "$T/events" "$1"
}

[ "$(code -X POST -d "$(spec crashy reboot on-failure 2 reboot=t)" "$URL/api/v1/vms")" = 201 ] || fail "create crashy: $(cat $T/body)"
[ "$(jget '["spec"]["restart"]')" = on-failure ] && [ "$(jget '["spec"]["restart_max"]')" = 2 ] || fail "spec: $(cat $T/body)"
code -X POST "$URL/api/v1/vms/crashy/start" > /dev/null
for _ in $(seq 120); do
	events
	restarts_of crashy | grep -q gave_up && break
	sleep 1
done
restarts_of crashy > "$T/crashy.restarts"
[ "$(cat "$T/crashy.restarts")" = "$(printf '1 1000 -\n2 2000 -\n2 - gave_up')" ] ||
	fail "crashy's vm.restart events: $(cat "$T/crashy.restarts" | tr '\n' ';')"
[ "$(code "$URL/api/v1/vms/crashy")" = 200 ] || fail "GET crashy: $(cat $T/body)"
[ "$(jget '["state"]')" = crashed ] || fail "crashy after the policy gave up: $(cat $T/body)"
jget '["exit_reason"]' | grep -q 'triple fault' || fail "crashy's reason: $(cat $T/body)"
[ "$(jget '["restarts"]')" = 2 ] && [ "$(jget '.get("restart_attempts")')" = 2 ] || fail "crashy's counts: $(cat $T/body)"
[ "$(jget '.get("next_restart_ms")')" = None ] || fail "crashy still has a restart scheduled: $(cat $T/body)"
pass "on-failure, restart_max 2: a crashing guest started again after 1 s and 2 s, then left crashed (vm.restart events)"

# the policy can be switched off by PATCH
[ "$(code -X PATCH -d '{"restart":"never"}' "$URL/api/v1/vms/crashy")" = 200 ] || fail "PATCH crashy: $(cat $T/body)"
[ "$(jget '["spec"]["restart"]')" = never ] || fail "PATCH restart never: $(cat $T/body)"

[ "$(code -X POST -d "$(spec phoenix poweroff always 1)" "$URL/api/v1/vms")" = 201 ] || fail "create phoenix: $(cat $T/body)"
[ "$(code -X POST -d "$(spec calm poweroff on-failure 3)" "$URL/api/v1/vms")" = 201 ] || fail "create calm: $(cat $T/body)"
code -X POST "$URL/api/v1/vms/phoenix/start" > /dev/null
code -X POST "$URL/api/v1/vms/calm/start" > /dev/null
for _ in $(seq 90); do
	events
	restarts_of phoenix | grep -q gave_up && break
	sleep 1
done
[ "$(restarts_of phoenix | tr '\n' ';')" = "1 1000 -;1 - gave_up;" ] || fail "phoenix's vm.restart events: $(restarts_of phoenix | tr '\n' ';')"
[ "$(code "$URL/api/v1/vms/phoenix")" = 200 ] && [ "$(jget '["state"]')" = stopped ] &&
	[ "$(jget '["exit_reason"]')" = poweroff ] || fail "phoenix: $(cat $T/body)"
for _ in $(seq 30); do code "$URL/api/v1/vms/calm" > /dev/null; [ "$(jget '["state"]')" = stopped ] && break; sleep 1; done
[ "$(jget '["state"]')" = stopped ] && [ "$(jget '["exit_reason"]')" = poweroff ] || fail "calm: $(cat $T/body)"
[ -z "$(restarts_of calm)" ] || fail "calm (on-failure) was restarted after a poweroff: $(restarts_of calm)"
pass "always: a guest that powered off started again (then the limit); on-failure: a poweroff is not restarted"

[ "$(code -X POST -d "$(spec steady acpi always 3)" "$URL/api/v1/vms")" = 201 ] || fail "create steady: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/steady/start")" = 200 ] || fail "start steady: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/steady/stop")" = 200 ] || fail "stop steady: $(cat $T/body)"
sleep 3
events
[ "$(code "$URL/api/v1/vms/steady")" = 200 ] && [ "$(jget '["state"]')" = stopped ] || fail "steady after stop: $(cat $T/body)"
[ -z "$(restarts_of steady)" ] || fail "an operator's stop was undone by the policy: $(restarts_of steady)"
pass "always: an operator's stop is not undone"
openapi_check
qemu_kill box
