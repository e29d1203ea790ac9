#!/bin/bash
# bench-vmm.sh (`make bench-vmm`): wafer-vmm side by side with Debian's QEMU
# (-M microvm and -M q35, KVM) inside the appliance kernel in QEMU TCG, same
# guest kernel, initrd, memory and vCPUs. Prints BENCH lines; not a test.
#  - boot: process start -> guest powered off right after its init ran (s)
#  - rss: resident memory excluding the guest RAM mapping, guest idle (KiB)
#  - blk: sequential 64 MiB read/write in the guest on a tmpfs-backed image
#  - starts: wafer-vmm processes started per second (until `status` answers)
# The QEMU binary and its libraries are the build machine's (Debian), copied
# into the benchmark's cpio; nothing is downloaded.
set -u
cd "$(dirname "$0")/../.."
# two outer vCPUs, as the figures in docs/vmm.md were measured (the system
# tests use one: tests/system/lib.sh)
export QEMU_SMP=${QEMU_SMP:-2}
. tests/system/vmm-lib.sh
QEMU_BIN=${QEMU_BIN:-/usr/bin/qemu-system-x86_64}

vmm_root_hook() {
	local root=$1 lib
	cp -L "$QEMU_BIN" "$root/bin/qemu"
	for lib in $(ldd "$QEMU_BIN" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
		mkdir -p "$root$(dirname $lib)"; cp -L "$lib" "$root$lib"
	done
	mkdir -p "$root/usr/share/qemu"
	for f in bios-256k.bin qboot.rom bios-microvm.bin linuxboot_dma.bin kvmvapic.bin; do
		for d in /usr/share/qemu /usr/share/seabios; do
			[ -e $d/$f ] && cp -L $d/$f "$root/usr/share/qemu/" && break
		done
	done
	true
}

vmm_run bench-vmm 900 <<'EOF_RUN'
up() { read u _ < /proc/uptime; echo ${u%.*}${u#*.}; }          # centiseconds
secs() { echo "$(($1/100)).$(printf %02d $(($1%100)))"; }
K="-kernel /guest/vmlinuz -initrd /guest/initrd"
Q="timeout 300 qemu -L /usr/share/qemu -enable-kvm -cpu host -m 256 -smp 2 -nodefaults -no-user-config -display none -no-reboot -serial file:/tmp/q.console"
rss_extra() {   # KiB resident outside mappings of >= 256 MiB (the guest RAM)
	awk '/^Size:/ {sz=$2} /^Rss:/ { if (sz < 262144) r += $2; t += $2 } END { print r, t }' /proc/$1/smaps
}
dd if=/dev/zero of=/tmp/bench.img bs=1M count=0 seek=128 2>/dev/null

for round in 1 2; do
	a=$(up); wafer-vmm --id b --vcpus 2 --memory-mib 256 $GUEST --control /run/b.sock \
		--cmdline "console=ttyS0 quiet gtest=smp" 2>/tmp/b.err; b=$(up)
	echo "BENCH boot wafer-vmm round $round: $(secs $((b-a))) s ($(grep -o 'boot time [0-9]* ms' /tmp/b.err))"
	for m in microvm q35; do
		rm -f /tmp/q.console
		a=$(up); $Q -M $m $K -append "console=ttyS0 quiet gtest=smp" >/dev/null 2>/tmp/q.err; b=$(up)
		grep -q "GUEST booted" /tmp/q.console 2>/dev/null && ok="" || ok=" (INVALID: guest did not boot: $(head -c 200 /tmp/q.err))"
		echo "BENCH boot qemu-$m round $round: $(secs $((b-a))) s$ok"
	done
done

vm_start r --vcpus 2 --memory-mib 256 $GUEST --cmdline "console=ttyS0 quiet gtest=idle"
wait_console r "GUEST tick 3" 120
echo "BENCH rss wafer-vmm (KiB, outside guest RAM / total): $(rss_extra $(cat /tmp/r.pid))"
vmmctl /run/r.sock stop; vm_wait r 20
for m in microvm q35; do
	rm -f /tmp/q.console
	$Q -M $m $K -append "console=ttyS0 quiet gtest=idle" >/dev/null 2>&1 &
	qp=$!; i=0
	while ! grep -q "GUEST tick 3" /tmp/q.console 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
	echo "BENCH rss qemu-$m (KiB, outside guest RAM / total): $(rss_extra $qp)"
	kill $qp; wait $qp
done

a=$(up); wafer-vmm --id k --vcpus 1 --memory-mib 256 $GUEST --disk path=/tmp/bench.img --control /run/k.sock \
	--cmdline "console=ttyS0 quiet gtest=blkbench" 2>/dev/null &
sleep 1; vmmctl /run/k.sock console follow > /tmp/k.console 2>/dev/null; wait
echo "BENCH blk wafer-vmm (centiseconds for 64 MiB): $(grep -o 'read_cs=[0-9]* write_cs=[0-9]*' /tmp/k.console)"
rm -f /tmp/q.console
$Q -M q35 $K -drive file=/tmp/bench.img,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0 \
	-append "console=ttyS0 quiet gtest=blkbench" >/dev/null 2>&1
echo "BENCH blk qemu-q35 (centiseconds for 64 MiB): $(grep -o 'read_cs=[0-9]* write_cs=[0-9]*' /tmp/q.console)"

a=$(up)
for i in 1 2 3 4 5 6 7 8 9 10; do
	wafer-vmm --id s$i --vcpus 1 --memory-mib 64 $GUEST --control /run/s$i.sock \
		--cmdline "console=ttyS0 quiet gtest=idle" 2>/dev/null &
	j=0; until vmmctl /run/s$i.sock status 2>/dev/null | grep -q running || [ $j -gt 300 ]; do sleep 0.02; j=$((j+1)); done
done
b=$(up)
echo "BENCH starts wafer-vmm: 10 VMs (1 vCPU, 64 MiB) running in $(secs $((b-a))) s"
for i in 1 2 3 4 5 6 7 8 9 10; do vmmctl /run/s$i.sock stop 2>/dev/null; done
wait
EOF_RUN
