#!/bin/bash
# t41-vmm-restore: a VM whose guest prints an increasing counter, and writes,
# reads back and pings through its disk and NIC every second, is paused,
# saved (state and memory) to a file and its VMM ended; a new wafer-vmm
# process started from the file (--restore) carries on: the counter goes on
# from where it stopped with no second boot, and the disk and the network
# still work. A damaged and a truncated file are refused (exit 6) and leave
# nothing running. Prints the pause-to-running time and the file's size
# against guest RAM.
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t41-vmm-restore 300 <<'EOF_RUN'
dd if=/dev/zero of=/tmp/disk.img bs=1M seek=16 count=0 2>/dev/null
brctl addbr br0; ip addr add 10.77.0.1/24 dev br0; ip link set br0 up
tunctl -t tap0 >/dev/null; brctl addif br0 tap0; ip link set tap0 up
ms() { read u _ < /proc/uptime; echo $(( ${u%.*}${u#*.} * 10 )); }
ARGS="--vcpus 1 --memory-mib 128 $GUEST --disk path=/tmp/disk.img --net tap=tap0 --rng"
CMD="quiet gtest=restore"
vm_start_until a "GUEST tick 3 disk=ok net=ok" 150 $ARGS --cmdline "console=ttyS0 $CMD" --state /tmp/a.save \
	|| { fail "the guest never counted with its disk and NIC working"; show a; }
t0=$(ms)
vmmctl /run/a.sock pause || fail "pause"
sleep 1
last=$(grep -o "GUEST tick [0-9]*" /tmp/a.console | tail -1 | grep -o "[0-9]*$")
vmmctl /run/a.sock raw '{"cmd":"save"}' > /tmp/save.json 2>&1
grep -q '"ok":true' /tmp/save.json && pass "saved: $(cat /tmp/save.json)" || { fail "save: $(cat /tmp/save.json)"; show a; }
vmmctl /run/a.sock stop; vm_wait a 20
t_stopped=$(ms)
[ "$RC" = 5 ] && pass "the saved VM's VMM stopped (exit 5)" || fail "stop rc=$RC"
# refused files: nothing runs, exit 6 (the contract's VMM_EXIT_RESTORE)
size=$(stat -c %s /tmp/a.save)
cp /tmp/a.save /tmp/bad.save
printf '\377' | dd of=/tmp/bad.save bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
vm_start bad $ARGS --cmdline "console=ttyS0 $CMD" --restore /tmp/bad.save
vm_wait bad 20
[ "$RC" = 6 ] && grep -q "restore refused: save file: damaged" /tmp/bad.err && pass "a damaged file is refused: $(grep -o 'restore refused.*' /tmp/bad.err)" \
	|| { fail "damaged file: rc=$RC"; cat /tmp/bad.err; }
head -c $((size - 5000)) /tmp/a.save > /tmp/short.save
vm_start short $ARGS --cmdline "console=ttyS0 $CMD" --restore /tmp/short.save
vm_wait short 20
[ "$RC" = 6 ] && grep -q "truncated" /tmp/short.err && pass "a truncated file is refused" || { fail "truncated: rc=$RC"; cat /tmp/short.err; }
pidof wafer-vmm >/dev/null && fail "a refused restore left a wafer-vmm running" || pass "nothing left running"
# the restore
t_b=$(ms)
vm_start b $ARGS --cmdline "console=ttyS0 $CMD" --restore /tmp/a.save
wait_console b "GUEST tick $((last + 1)) " 60 && t1=$(ms) \
	&& pass "restored: the counter carries on at $((last + 1)) ($(grep -o 'restored:.*' /tmp/b.err))" \
	|| { fail "restored guest did not count on from $last"; show b; }
wait_console b "GUEST tick $((last + 3)) disk=ok net=ok" 30 \
	&& pass "after the restore the disk and the NIC work (tick $((last + 3)))" || { fail "disk/net after restore"; show b; }
grep -q "GUEST booted\|Linux version" /tmp/b.console && fail "the restored VM booted again" || pass "no second boot"
first=$(grep -o "GUEST tick [0-9]*" /tmp/b.console | head -1 | grep -o "[0-9]*$")
[ "$first" = $((last + 1)) ] && pass "no tick lost or repeated (last before: $last, first after: $first)" \
	|| fail "first tick after the restore: $first, last before: $last"
alloc=$(du -k /tmp/a.save | cut -f1)
echo "FIGURE pause-to-running: $((t_stopped - t0 + t1 - t_b)) ms (pause, save, end of the VMM: $((t_stopped - t0)) ms; new VMM to the guest's next tick: $((t1 - t_b)) ms)"
echo "FIGURE file: $((size / 1024)) KiB apparent, $alloc KiB allocated, guest RAM 131072 KiB"
echo "FIGURE save: $(cat /tmp/save.json)"
vmmctl /run/b.sock stop; vm_wait b 20
EOF_RUN
