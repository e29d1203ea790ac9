#!/bin/bash
# t40-vmm-control: the control socket with a running guest: status, pause
# (the guest's ticks stop) and resume (they go on), malformed requests get
# errors and leave the socket usable, a second client does not disturb the
# console follower, balloon target + guest stats, graceful shutdown via the
# ACPI power button; then a hostile guest driver writes garbage into its
# virtqueues: the device is marked broken, the VMM keeps answering, and a
# hard stop ends it with exit code 5.
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t40-vmm-control 175 <<'EOF_RUN'
S=/run/c.sock
ticks() { grep -c "GUEST tick" /tmp/c.console; }
vm_start_until c "GUEST tick 2" 60 --vcpus 2 --memory-mib 256 $GUEST --balloon --rng --cmdline "console=ttyS0 quiet gtest=acpi" || { fail "guest did not start ticking"; show c; }
vmmctl $S status | grep -q '"state":"running"' && pass "status: running" || fail "status running"
vmmctl $S pause && vmmctl $S status | grep -q '"state":"paused"' && pass "pause: state paused" || fail "pause"
a=$(ticks); sleep 3; b=$(ticks)
[ "$a" = "$b" ] && pass "pause: guest stopped ($a ticks)" || fail "pause: ticks went on $a -> $b"
vmmctl $S resume; sleep 3; c=$(ticks)
[ "$c" -gt "$b" ] && pass "resume: guest runs again ($b -> $c ticks)" || fail "resume: ticks $b -> $c"
r=$(vmmctl $S raw 'this is not json'); echo "$r" | grep -q '"ok":false' && pass "bad JSON refused: $r" || fail "bad JSON: $r"
r=$(vmmctl $S raw '{"cmd":"reformat-host"}'); echo "$r" | grep -q '"ok":false' && pass "unknown cmd refused" || fail "unknown cmd: $r"
r=$(vmmctl $S raw '{"cmd":"status","bogus":1}'); echo "$r" | grep -q '"ok":false' && pass "unknown member refused" || fail "unknown member: $r"
r=$(vmmctl $S raw '{"cmd":"balloon","target_mib":999999}'); echo "$r" | grep -q '"ok":false' && pass "balloon out of range refused" || fail "balloon range: $r"
vmmctl $S balloon 160 && pass "balloon target set" || fail "balloon"
sleep 4; vmmctl $S stats >/dev/null; sleep 1; vmmctl $S stats > /tmp/c.stats
a=$(grep -o '"actual_mib":[0-9]*' /tmp/c.stats | cut -d: -f2); [ "${a:-256}" -lt 256 ] && pass "balloon: guest gave memory back ($(grep -o '"actual_mib":[0-9]*' /tmp/c.stats))" || fail "balloon actual: $(cat /tmp/c.stats)"
grep -q '"total_memory":[1-9]' /tmp/c.stats && pass "balloon: guest memory stats reported" || fail "balloon stats"
grep -q '"exits":[1-9]' /tmp/c.stats && grep -q '"vcpu_time_ns":[1-9]' /tmp/c.stats && pass "stats: exits and vCPU time" || fail "stats"
n1=$(wc -c < /tmp/c.console); sleep 2; n2=$(wc -c < /tmp/c.console)
[ "$n2" -gt "$n1" ] && pass "console follower still streaming after other clients" || fail "follower stalled"
vmmctl $S shutdown 30 && pass "shutdown requested"
vm_wait c 40
[ "$RC" = 0 ] && grep -q "exit: poweroff" /tmp/c.err && pass "ACPI power button: guest powered off" || { fail "shutdown rc=$RC"; show c; }

S=/run/h.sock
vm_start_until h "GUEST hostile summary" 90 --vcpus 1 --memory-mib 128 $GUEST --rng --cmdline "console=ttyS0 quiet gtest=hostile" || { fail "hostile tool did not finish"; show h; }
grep "GUEST hostile" /tmp/h.console
grep -q "GUEST hostile summary: \([0-9]*\)/\1 contained" /tmp/h.console && pass "hostile queues: every case contained" || fail "hostile: not all contained"
vmmctl $S status > /tmp/h.status
grep -q '"broken":\["rng0"\]' /tmp/h.status && pass "status lists the broken device" || fail "status: $(cat /tmp/h.status)"
grep -q '"state":"running"' /tmp/h.status && pass "VMM still running after hostile guest" || fail "VMM state"
grep -q "virtio-rng rng0: broken" /tmp/h.err && pass "broken device logged" || fail "no log line"
vmmctl $S stop
vm_wait h 20
[ "$RC" = 5 ] && grep -q "exit: stopped" /tmp/h.err && pass "hard stop: exit code 5" || { fail "stop rc=$RC"; show h; }
[ ! -e $S ] && pass "control socket removed at exit" || fail "socket left behind"
EOF_RUN
