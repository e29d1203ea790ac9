#!/bin/bash
# t54-agent-concurrency.sh: 16 clients send 1,000 start/stop/pause/resume/
# delete/create requests in all on the same three VMs of the appliance in
# QEMU (real jailed VMMs under nested KVM; tests/system/vm-concurrency.py
# checks every reply against a serial order and the final states against the
# last accepted requests). Afterwards the host runs exactly one VMM process
# and one VM cgroup per running or paused VM, and none once all are stopped
# and deleted: no VMM is orphaned. (Issue 20, item 8.)
. tests/system/lib.sh
. tests/system/agent-lib.sh

agent_img box
agent_boot box
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
SPEC='{"name":"x","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet"}}'
VMS=(c0 c1 c2)
for vm in "${VMS[@]}"; do
	[ "$(code -X POST -d "${SPEC/\"x\"/\"$vm\"}" "$URL/api/v1/vms")" = 201 ] || fail "create $vm: $(cat $T/body)"
done
pass "API up, guest uploaded, VMs ${VMS[*]} created"

# reads while a start (with its boot check) and a stop are in progress
[ "$(code -X POST "$URL/api/v1/vms/c1/start")" = 200 ] || fail "start c1: $(cat $T/body)"
python3 tests/system/vm-reads-during-ops.py "$URL" "$PKI/admin.pem" "$PKI/admin.key" c0 c1 > "$T/reads.log" 2>&1
rc=$?
sed 's/^/  /' "$T/reads.log"
[ $rc = 0 ] || fail "reads during a start and a stop: $(grep FAIL "$T/reads.log" | head -3)"
pass "GET /api/v1/vms and /api/v1/host answered while c0 started and c1 stopped, none queued behind them (p50 <= 100 ms, max <= 250 ms)"
[ "$(code -X POST "$URL/api/v1/vms/c0/stop")" = 200 ] || fail "stop c0: $(cat $T/body)"

# VM states and the host's VMM census: "running paused processes cgroups"
census() {
	local run=0 pause=0
	for vm in "${VMS[@]}"; do
		[ "$(code "$URL/api/v1/vms/$vm")" = 200 ] || continue
		case "$(jget '["state"]')" in running) run=$((run + 1));; paused) pause=$((pause + 1));; esac
	done
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "GET /api/v1/host: $(cat $T/body)"
	echo "$run $pause $(jget '["vmm_processes"]') $(jget '["vm_cgroups"]')"
}

CLIENTS=${T54_CLIENTS:-16} OPS=${T54_OPS:-1000} python3 tests/system/vm-concurrency.py \
	"$URL" "$PKI/admin.pem" "$PKI/admin.key" "$SPEC" "${VMS[@]}" > "$T/concurrency.log" 2>&1
rc=$?
sed 's/^/  /' "$T/concurrency.log" | grep -v '^  FAIL' | head -30
grep -q '^FAIL' "$T/concurrency.log" && { grep '^FAIL' "$T/concurrency.log" | head -20; fail "replies or final states contradict a serial order"; }
[ $rc = 0 ] || fail "vm-concurrency.py exited $rc: $(tail -5 $T/concurrency.log)"
pass "$(sed -n 's/^figures: \([0-9]* requests.*\), seed.*/\1/p' "$T/concurrency.log"): every reply fits a serial order, final states match"

# how long vm_lock was held during the storm (the agent times every hold)
[ "$(code "$URL/metrics")" = 200 ] || fail "GET /metrics: $(cat $T/body)"
lock=$(awk '/^wafer_agent_vm_lock_holds_total /{h=$2} /^wafer_agent_vm_lock_holds_over_10ms_total /{o10=$2}
	/^wafer_agent_vm_lock_holds_over_100ms_total /{o100=$2}
	/^wafer_agent_vm_lock_hold_max_seconds/{m=$2; w=$1; sub(/.*holder="/, "", w); sub(/".*/, "", w)}
	END {printf "%d holds, %d over 10 ms, %d over 100 ms, longest %.1f ms in %s", h, o10, o100, m * 1000, w}' "$T/body")
echo "FIGURE t54 vm_lock: $lock"
pass "vm_lock during the storm: $lock"

read -r run pause procs cgs < <(census)
[ "$procs" = $((run + pause)) ] && [ "$cgs" = $((run + pause)) ] \
	|| fail "after the storm: $run running + $pause paused VMs, but $procs VMM processes and $cgs VM cgroups"
pass "after the storm: $run running, $pause paused; $procs VMM processes, $cgs VM cgroups"

for vm in "${VMS[@]}"; do
	st=$(code -X POST -d '{}' "$URL/api/v1/vms/$vm/stop")
	case "$st" in 200|404|409) ;; *) fail "stop $vm: HTTP $st $(cat $T/body)";; esac
	st=$(code -X DELETE "$URL/api/v1/vms/$vm")
	case "$st" in 204|404) ;; *) fail "delete $vm: HTTP $st $(cat $T/body)";; esac
done
read -r run pause procs cgs < <(census)
[ "$procs" = 0 ] && [ "$cgs" = 0 ] || fail "all VMs stopped and deleted, but $procs VMM processes and $cgs VM cgroups are left"
[ "$(code "$URL/api/v1/vms")" = 200 ] && [ "$(jget '["vms"]')" = "[]" ] || fail "VMs left: $(cat $T/body)"
pass "all stopped and deleted: no VMM process, no VM cgroup, no VM left"
