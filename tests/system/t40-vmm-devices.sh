#!/bin/bash
# t40-vmm-devices: virtio devices of wafer-vmm with a real guest, in two VM
# runs on the same disk image and tap: (1) the guest writes a marker to its
# virtio-blk disk and reaches the host over virtio-net with the userspace
# datapath (ping and a TCP exchange on a bridge), stats count both, it
# powers off (exit 0); (2) after the restart the marker is read back through
# a read-only attachment, the network works again through vhost-net, and
# console input reaches the guest.
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t40-vmm-devices 175 <<'EOF_RUN'
dd if=/dev/zero of=/tmp/disk.img bs=1M seek=64 count=0 2>/dev/null
brctl addbr br0; ip addr add 10.77.0.1/24 dev br0; ip link set br0 up
tunctl -t tap0 >/dev/null; brctl addif br0 tap0; ip link set tap0 up
# run NAME DISKOPTS VHOST GBLK: one VM; stats saved while the guest waits for console input
run() {
	echo hello-from-host | nc -l -p 7777 > /tmp/tcp.txt &
	vm_start_until $1 "GUEST waiting" 100 --vcpus 1 --memory-mib 128 $GUEST --disk path=/tmp/disk.img,id=data$2 \
		--net tap=tap0,vhost=$3 --rng --cmdline "console=ttyS0 quiet gtest=net gblk=$4 gseed=4242 gwait=1" \
		|| { fail "$1: guest did not finish"; show $1; }
	vmmctl /run/$1.sock stats > /tmp/$1.stats
	vmmctl /run/$1.sock raw '{"cmd":"console-write","data":"go-on\n"}' >/dev/null
	vm_wait $1 40
	path=$(grep -o "net0: [a-z-]* datapath" /tmp/$1.err)
	grep -q "GUEST ping ok" /tmp/$1.console && pass "$1 ($path): guest pings the host bridge" || { fail "$1: ping ($path)"; show $1; }
	grep -q "GUEST tcp: hello-from-host" /tmp/$1.console && grep -q hello-from-guest /tmp/tcp.txt \
		&& pass "$1 ($path): TCP exchange both ways" || { fail "$1: tcp ($path)"; cat /tmp/tcp.txt; }
}
run one "" off write
grep -q "GUEST blk written" /tmp/one.console && pass "blk: marker written" || fail "blk write"
[ "$RC" = 0 ] && grep -q "exit: poweroff" /tmp/one.err && pass "poweroff: exit code 0" || fail "poweroff rc=$RC"
grep -q '"wr_ops":[1-9]' /tmp/one.stats && pass "blk: stats count writes" || { fail "blk stats"; cat /tmp/one.stats; }
grep -q '"tx_packets":[1-9]' /tmp/one.stats && grep -q '"rx_packets":[1-9]' /tmp/one.stats \
	&& pass "net: stats count packets" || { fail "net stats"; cat /tmp/one.stats; }
run two ",readonly" auto read
grep -q "GUEST blk read: wafer-disk-marker-4242" /tmp/two.console && pass "blk: marker read back after restart (read-only)" || fail "blk read back"
grep -q '"rd_ops":[1-9]' /tmp/two.stats && pass "blk: stats count reads" || fail "blk read stats"
grep -q "net0: vhost-net datapath" /tmp/two.err && pass "net: vhost-net used when /dev/vhost-net exists" || fail "vhost not used"
grep -q "GUEST got: go-on" /tmp/two.console && pass "console input reaches the guest" || fail "console input"
EOF_RUN
