# t30-init-net: static IPv4 on a management VLAN from command-line keys
# (br0 over eth0.7, no DHCP client, resolv.conf from `dns`); an i6300esb
# watchdog is armed; link loss shows on the status screen; hotplug: a NIC
# added to the running host (QMP device_add of an e1000e, a driver nothing
# loaded before) gets its module loaded from the uevent; then an orderly
# poweroff over init.sock ends QEMU.
. tests/system/lib.sh
. tests/system/init-lib.sh

testhook_overlay "$T/hook.cpio.zst" "status,waitmsg:watchdog: armed,waitmsg:loaded e1000e,poweroff"
cat "$PXE_DIR/initramfs.img" "$T/hook.cpio.zst" > "$T/initrd.img"
qemu_direct net "$T/initrd.img" "wafer.slot=pxe quiet wafer.ipv4=static wafer.ipv4_address=10.0.2.20/24 wafer.ipv4_gateway=10.0.2.2 wafer.vlan=7 wafer.dns=10.0.2.3 wafer.ipv6=off" \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 -device i6300esb
wait_log net 'slot pxe( via pxe)? booting' 120 || fail "no banner"
wait_log net 'Network +br0 over eth0\.7 \(link up\)' 120 || fail "br0 not over the VLAN port"
wait_log net 'IPv4 +10\.0\.2\.20/24 \(static\)' 30 || fail "static address not shown"
wait_log net 'API +https://10\.0\.2\.20/' 5 || fail "API URL not from the static address"
wait_log net 'test-hook: status rc=0' 60 || fail "no status"
wait_log net 'service\.udhcpc=down' 5 || fail "udhcpc runs although ipv4 = static"
grep -aqE 'Problems:' "$T/net.log" && fail "unexpected problems: $(grep -a -A3 'Problems:' "$T/net.log" | tail -3)"
pass "static IPv4 on VLAN 7 from command-line keys"
wait_log net 'test-hook: seen wafer-init: watchdog: armed, 60 s timeout' 30 || fail "the i6300esb watchdog was not armed"
pass "hardware watchdog (i6300esb) found by coldplug and armed"
mark net
qmp net '{"execute":"set_link","arguments":{"name":"n0","up":false}}'
wait_since net '! no link on eth0' 20 || fail "lost link not reported"
wait_since net 'Network +br0 over eth0\.7 \(link DOWN\)' 5 || fail "link state not shown"
mark net
qmp net '{"execute":"set_link","arguments":{"name":"n0","up":true}}'
wait_since net 'Network +br0 over eth0\.7 \(link up\)' 20 || fail "link back not shown"
sleep 1; last_screen net | grep -aq 'no link on eth0' && fail "no-link problem not cleared"
pass "link loss and return shown on the status screen"
qmp net '{"execute":"netdev_add","arguments":{"type":"user","id":"n1"}}'
qmp net '{"execute":"device_add","arguments":{"driver":"e1000e","netdev":"n1","bus":"rp1","id":"hot1"}}'
wait_log net 'test-hook: seen wafer-init: modules: loaded e1000e' 90 || fail "hotplugged NIC's driver not loaded"
pass "hotplug: e1000e loaded for a NIC added at run time"
wait_log net 'Powering off: stopping services' 60 || fail "no orderly poweroff"
wait_exit net 60 || fail "the host did not power off"
pass "orderly poweroff over init.sock: QEMU exited"

