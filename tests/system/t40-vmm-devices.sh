#!/bin/bash
# t40-vmm-devices: virtio devices of wafer-vmm with a real guest: a marker
# written to a virtio-blk disk survives a VM restart; the guest reaches the
# host over virtio-net (tap on a bridge: ping and a TCP exchange), with the
# userspace datapath and with vhost-net; stats
# count disk and network traffic; console input reaches the guest.
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t40-vmm-devices 170 <<'EOF_RUN'
dd if=/dev/zero of=/tmp/disk.img bs=1M seek=64 count=0 2>/dev/null
vm_start bw --vcpus 1 --memory-mib 128 $GUEST --disk path=/tmp/disk.img,id=data \
	--cmdline "console=ttyS0 quiet gtest=blkwrite gseed=4242"
vm_wait bw 60
grep -q "GUEST blk written" /tmp/bw.console && [ "$RC" = 0 ] && grep -q "exit: poweroff" /tmp/bw.err && pass "blk: marker written, VM powered off" || { fail "blk write rc=$RC"; show bw; }
vm_start br --vcpus 1 --memory-mib 128 $GUEST --disk path=/tmp/disk.img,id=data,readonly \
	--cmdline "console=ttyS0 quiet gtest=blkread gwait=1"
wait_console br "GUEST waiting" 60
vmmctl /run/br.sock stats > /tmp/br.stats
vmmctl /run/br.sock raw '{"cmd":"console-write","data":"go-on\n"}' >/dev/null
vm_wait br 30
grep -q "GUEST blk read: wafer-disk-marker-4242" /tmp/br.console && pass "blk: marker read back after restart" || { fail "blk read back"; show br; }
grep -q "GUEST got: go-on" /tmp/br.console && pass "console input reaches the guest" || fail "console input"
grep -q '"rd_ops":[1-9]' /tmp/br.stats && pass "blk: stats count reads" || { fail "blk stats"; cat /tmp/br.stats; }

brctl addbr br0; ip addr add 10.77.0.1/24 dev br0; ip link set br0 up
tunctl -t tap0 >/dev/null; brctl addif br0 tap0; ip link set tap0 up
# the userspace datapath, then vhost-net (/dev/vhost-net exists: modules loaded)
for mode in off auto; do
	echo hello-from-host | nc -l -p 7777 > /tmp/tcp.txt &
	vm_start net --vcpus 1 --memory-mib 128 $GUEST --net tap=tap0,vhost=$mode --rng \
		--cmdline "console=ttyS0 quiet gtest=net gwait=1"
	wait_console net "GUEST waiting" 60
	vmmctl /run/net.sock stats > /tmp/net.stats
	vmmctl /run/net.sock raw '{"cmd":"console-write","data":"go-on\n"}' >/dev/null
	vm_wait net 30
	path=$(grep -o "net0: [a-z-]* datapath" /tmp/net.err)
	grep -q "GUEST ping ok" /tmp/net.console && pass "net ($path): guest pings the host bridge" || { fail "net ping ($path)"; show net; }
	grep -q "GUEST tcp: hello-from-host" /tmp/net.console && grep -q hello-from-guest /tmp/tcp.txt \
		&& pass "net ($path): TCP exchange both ways" || { fail "net tcp ($path)"; cat /tmp/tcp.txt; }
	if [ $mode = off ]; then
		grep -q '"tx_packets":[1-9]' /tmp/net.stats && grep -q '"rx_packets":[1-9]' /tmp/net.stats \
			&& pass "net: stats count packets" || { fail "net stats"; cat /tmp/net.stats; }
	else
		[ "$path" = "net0: vhost-net datapath" ] && pass "net: vhost-net used when /dev/vhost-net exists" || fail "vhost not used: $path"
	fi
done
EOF_RUN
