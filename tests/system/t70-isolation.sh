#!/bin/bash
# t70-isolation.sh: VM isolation inside the appliance in QEMU, through the
# API (the product image has no shell; GET /api/v1/vms/{id} reports what the
# agent reads in /proc and /sys/fs/cgroup). Slot A's initramfs gets a test
# overlay whose /usr/bin/wafer-vmm is wafer-vmm-test (the same VMM with the
# test hooks of hypervisor/sandbox.c, triggered by wafer_test= on the guest
# command line). Checks: each VMM runs jailed with its own uid, no
# capabilities, no_new_privs, a seccomp filter on every thread, PID 1 of its
# own namespaces, a root holding only its kernel/initrd and device nodes,
# cgroup limits from its spec; a forbidden syscall kills only that VMM and is
# reported with its number; a VMM over its memory.max is OOM-killed and
# reported; the other VM keeps running through both.
. tests/system/lib.sh
CTL=$B/bin/host/waferctl
PKI=$DEV_PKI
GUEST_DIR=$B/guest/outer/guest
VMM_TEST=$B/bin/wafer-vmm-test
[ -x "$CTL" ] && [ -f "$PKI/ca.pem" ] || fail "needs make host-tools"
[ -x "$VMM_TEST" ] || fail "needs make $VMM_TEST"
[ -f "$GUEST_DIR/vmlinuz" ] && [ -f "$GUEST_DIR/initrd" ] || fail "needs the test guest ($GUEST_DIR)"

img_copy box 1024
img_mkdir_config "$T/box.img" trust
img_put_config "$T/box.img" "$PKI/ca.pem" trust/dev-ca.pem
mkdir -p "$T/ov/usr/bin"
cp "$VMM_TEST" "$T/ov/usr/bin/wafer-vmm"
overlay_cpio "$T/ov" "$T/ov.cpio"
zstd -q -f "$T/ov.cpio" -o "$T/ov.cpio.zst" || fail "zstd failed"
img_get_boot "$T/box.img" A/initramfs.img "$T/initramfs.img" || fail "cannot read A/initramfs.img"
cat "$T/ov.cpio.zst" >> "$T/initramfs.img"
img_put_boot "$T/box.img" "$T/initramfs.img" A/initramfs.img
qemu_start box bios
PORT=$(api_port box)
URL=https://127.0.0.1:$PORT
A=(--cert "$PKI/admin.pem" --key "$PKI/admin.key")
code() { curl -sk -o "$T/body" -w '%{http_code}' "${A[@]}" "$@" 2>/dev/null; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$T/body" "$1"; }
for _ in $(seq 120); do [ "$(code "$URL/api/v1/host")" = 200 ] && break; sleep 1; done
[ "$(code "$URL/api/v1/host")" = 200 ] || fail "API did not come up"
FP=$(jget '["fingerprint"]')
W=("$CTL" -H 127.0.0.1:$PORT "${A[@]}" --fingerprint "$FP")
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
pass "API up, guest kernel and initrd uploaded"

spec() { # NAME CMDLINE_EXTRA [EXTRA_JSON]
	echo "{\"name\":\"$1\",\"vcpus\":1,\"memory_mib\":128,\"boot\":{\"kernel\":\"vmlinuz\",\"initrd\":\"initrd\",\"cmdline\":\"console=ttyS0 quiet $2\"},\"disks\":[{\"size_mib\":8}],\"nics\":[{}]${3:-}}"
}
[ "$(code -X POST -d "$(spec bad1 '' ',"cpus":"0-999"')" "$URL/api/v1/vms")" = 400 ] && grep -q "does not exist" "$T/body" \
	|| fail "cpus beyond the host not refused: $(cat $T/body)"
[ "$(code -X POST -d "$(spec bad2 '' ',"cpus":"3-1"')" "$URL/api/v1/vms")" = 400 ] || fail "backwards cpus range not refused"
[ "$(code -X POST -d "$(spec bad3 '' ',"cpu_limit_pct":500')" "$URL/api/v1/vms")" = 400 ] || fail "cpu_limit_pct over vcpus*100 not refused"
pass "invalid cpus / cpu_limit_pct refused with 400: $(jget '["error"]["message"]')"

for v in va vb; do
	extra=''; [ $v = va ] && extra=',"cpus":"0","cpu_limit_pct":50'
	[ "$(code -X POST -d "$(spec $v '' "$extra")" "$URL/api/v1/vms")" = 201 ] || fail "create $v: $(cat $T/body)"
	t0=$(date +%s%N)
	[ "$(code -X POST -d '{}' "$URL/api/v1/vms/$v/start")" = 200 ] || fail "start $v: $(cat $T/body)"
	log "$v: start request answered in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
for v in va vb; do
	ok=0 again=0
	for _ in $(seq 90); do
		code "$URL/api/v1/vms/$v/console" >/dev/null
		grep -q "GUEST tick 2" "$T/body" && { ok=1; break; }
		# Nested under QEMU's TCG, about one guest boot in six triple-faults
		# (docs/vmm.md, "Testing under nested TCG"): start such a VM again,
		# at most twice, loudly. No assertion expects a triple fault.
		code "$URL/api/v1/vms/$v" >/dev/null
		if grep -q '"state":"crashed"' "$T/body" && grep -q 'triple fault' "$T/body" && [ $again -lt 2 ]; then
			again=$((again + 1))
			echo "FLAKY-VM: $v: triple fault at boot (attempt $again); starting it again"
			[ "$(code -X POST -d '{}' "$URL/api/v1/vms/$v/start")" = 200 ] || fail "restart $v: $(cat $T/body)"
		fi
		sleep 1
	done
	[ $ok = 1 ] || { code "$URL/api/v1/vms/$v" >/dev/null; fail "$v never ticked under its jail and seccomp: $(cat $T/body)"; }
done
pass "two jailed VMs boot their guests (seccomp filters allow everything a running VM does)"

code "$URL/api/v1/vms/va" > /dev/null; cp "$T/body" "$T/va.json"
code "$URL/api/v1/vms/vb" > /dev/null; cp "$T/body" "$T/vb.json"
python3 - "$T/va.json" "$T/vb.json" <<'PY' || fail "isolation of va/vb not as expected (see above)"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
ok = True
def check(cond, what):
    global ok
    print(("  ok   " if cond else "  FAIL ") + what)
    ok = ok and cond
for v in (a, b):
    i = v["isolation"]; n = v["spec"]["name"]
    check(v["jailed"] is True and i["jailed"] is True, f"{n}: jailed")
    check(i["uid"] >= 100000 and i["uid"] == i["gid"] == i["jail_uid"], f"{n}: own uid/gid {i['uid']}")
    check(i["cap_eff"] == "0000000000000000" and i["cap_prm"] == "0000000000000000", f"{n}: CapEff/CapPrm 0")
    check(i["cap_bnd"] == "0000000000000000", f"{n}: bounding set empty")
    check(i["no_new_privs"] == 1, f"{n}: no_new_privs")
    kw = i["unfiltered_threads"]
    check(i["seccomp_threads"] >= 2 and i["seccomp_threads"] + len(kw) == i["threads"] and all(t.startswith(("kvm-", "vhost-")) for t in kw),
          f"{n}: seccomp on {i['seccomp_threads']}/{i['threads']} threads (unfiltered kernel workers: {kw})")
    check(i["pid_in_namespace"] == 1, f"{n}: PID 1 of its own PID namespace (sees no other process)")
    check(all(i["namespaces_own"].values()), f"{n}: own namespaces {i['namespaces_own']}")
    allowed = {"/boot/kernel", "/boot/initrd", "/dev/kvm", "/dev/urandom", "/dev/vhost-net"}
    check(set(i["root_files"]) <= allowed and "/dev/kvm" in i["root_files"], f"{n}: root holds only {sorted(i['root_files'])}")
    cg = i["cgroup"]
    check(cg["path"] == "/wafer/" + v["id"], f"{n}: cgroup {cg['path']}")
    check(int(cg["memory.max"]) == (128 + 64 + 4) << 20, f"{n}: memory.max {cg['memory.max']}")
    check(cg["pids.max"] == "17" and cg["cpu.weight"] == "100", f"{n}: pids.max {cg['pids.max']}, cpu.weight {cg['cpu.weight']}")
    check(cg["memory.current"] > 0 and cg["pids.current"] >= 2 and cg["cpu.usage_usec"] > 0,
          f"{n}: usage memory {cg['memory.current']} pids {cg['pids.current']} cpu {cg['cpu.usage_usec']} us")
check(a["isolation"]["uid"] != b["isolation"]["uid"], "va and vb have different uids")
check(a["isolation"]["cgroup"]["cpu.max"] == "50000 100000", "va: cpu.max from cpu_limit_pct 50")
check(a["isolation"]["cgroup"]["cpuset.cpus"] == "0", "va: pinned to CPU 0")
check(b["isolation"]["cgroup"]["cpu.max"] == "max 100000", "vb: no quota")
sys.exit(0 if ok else 1)
PY
pass "own uid, no capabilities, no_new_privs, seccomp on every thread, own namespaces, minimal root, cgroup limits"

ticks() { code "$URL/api/v1/vms/vb/console" >/dev/null; grep -ac "GUEST tick" "$T/body"; }
crash_test() { # NAME HOOK REASON_REGEX
	[ "$(code -X POST -d "$(spec $1 "wafer_test=$2")" "$URL/api/v1/vms")" = 201 ] || fail "create $1: $(cat $T/body)"
	local before; before=$(ticks)
	code -X POST -d '{}' "$URL/api/v1/vms/$1/start" > /dev/null
	for _ in $(seq 60); do
		code "$URL/api/v1/vms/$1" >/dev/null
		[ "$(jget '["state"]')" = crashed ] && break
		sleep 1
	done
	[ "$(jget '["state"]')" = crashed ] || fail "$1: not crashed: $(cat $T/body)"
	REASON=$(jget '["exit_reason"]')
	echo "$REASON" | grep -qE "$3" || fail "$1: reason '$REASON' does not match $3"
	curl -sk -m 3 "${A[@]}" "$URL/api/v1/events?since=0" > "$T/events" 2>/dev/null
	grep -q "\"type\":\"security\"" "$T/events" && grep -q "$(echo "$REASON" | cut -c1-20)" "$T/events" \
		|| fail "$1: no security event: $(grep security "$T/events" | tail -2)"
	sleep 3
	code "$URL/api/v1/vms/vb" >/dev/null
	[ "$(jget '["state"]')" = running ] || fail "vb not running after $1: $(cat $T/body)"
	[ "$(ticks)" -gt "$before" ] || fail "vb's guest stopped ticking after $1"
	qemu_alive box || fail "the appliance died"
}
crash_test vsys sigsys '^seccomp: syscall 41$'
pass "forbidden syscall: VMM killed, reported as '$REASON' (+ security event), vb keeps running"
crash_test voom oom '^oom: '
pass "memory over memory.max: VMM OOM-killed, reported as '$REASON', vb keeps running"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/vb/stop")" = 200 ] || fail "stop vb: $(cat $T/body)"
pass "vb stopped normally at the end"
