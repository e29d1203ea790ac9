# t30-init-pxe: a stateless PXE-style boot (kernel + initramfs + a config
# archive carrying /etc/wafer/wafer.conf): /config is a RAM copy, the config
# archive's settings apply, a kernel command-line key overrides the file, and
# a bad line in the archive's wafer.conf is reported; with
# wafer.ctrl_alt_del=reboot, Ctrl-Alt-Del reboots the host in order;
# malformed input on init's sockets gets errors and init keeps serving, and a
# process that is not a service cannot log under a service's tag; tty1
# shows the status screen and Alt-F2 cannot switch away from it.
. tests/system/lib.sh
. tests/system/init-lib.sh

mkdir -p "$T/cfg/etc/wafer/trust"
printf 'hostname = fromfile\nipv6 = off\nntp = 10.0.2.2\nbogus_key = 1\n' > "$T/cfg/etc/wafer/wafer.conf"
testhook_overlay "$T/cfg.cpio.zst" "status,hostile,logdump" "$T/cfg"
cat "$PXE_DIR/initramfs.img" "$T/cfg.cpio.zst" > "$T/initrd.img"
qemu_direct pxe "$T/initrd.img" "wafer.slot=pxe wafer.boot=pxe quiet wafer.hostname=fromcmdline wafer.ctrl_alt_del=reboot"
wait_log pxe 'slot pxe( via pxe)? booting' 120 || fail "no banner"
wait_log pxe 'IPv4 +10\.0\.2\.15/24 \(dhcp\)' 120 || fail "no DHCP address"
wait_log pxe 'host fromcmdline' 5 || fail "command-line override not applied"
wait_log pxe 'Storage +stateless' 5 || fail "not stateless"
wait_log pxe "/config/wafer.conf:4: unknown key 'bogus_key'" 5 || fail "bad line of the PXE wafer.conf not reported"
grep -aqE '^  IPv6 ' "$T/pxe.log" && fail "ipv6 = off not applied"
wait_log pxe 'test-hook: status rc=0' 60 || fail "no status over init.sock"
wait_log pxe 'stateless=1' 5 || fail "status does not say stateless"
pass "stateless boot with a config archive and a command-line override"
wait_log pxe 'test-hook: hostile ok \(status rc=0\)' 60 || fail "init did not survive malformed socket input"
wait_log pxe 'test-hook: log end \(0\)' 60 || fail "no log dump after the hostile input"
grep -aq 'test-hook: log [0-9]* +[0-9]*ms 30 hostile-test: after the junk' "$T/pxe.log" || fail "intake stream lost after junk"
grep -aq 'test-hook: log [0-9]* +[0-9]*ms 30 uid0:wafer-agent: forged by a child of the hook' "$T/pxe.log" \
	|| fail "a line from a process that is no service passed as the agent's"
grep -aq 'ms 30 wafer-agent: forged' "$T/pxe.log" && fail "a forged wafer-agent line kept its claimed tag"
pass "malformed input on init.sock, log.sock, log-in.sock: errors, init keeps serving; a non-service process cannot log as a service"
# The local screen (tty1) shows the status too and Alt-F2 cannot switch away.
sleep 1
qmp pxe '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"alt"},{"type":"qcode","data":"f2"}]}}'
sleep 2
qmp pxe "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$T/b.ppm\"}}"
lit=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(sum(1 for x in d[15:] if x > 40))' "$T/b.ppm") ||
	fail "no screendump"
[ "$lit" -gt 10000 ] || fail "tty1 is blank after Alt-F2 ($lit lit bytes): it switched to an empty VT"
pass "tty1 shows the status screen; Alt-F2 cannot switch away"
wait_log pxe 'Ctrl-Alt-Del reboots the host' 5 || fail "ctrl_alt_del = reboot not shown"
qmp pxe '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"ctrl"},{"type":"qcode","data":"alt"},{"type":"qcode","data":"delete"}]}}'
wait_log pxe 'Rebooting: stopping services' 30 || fail "Ctrl-Alt-Del did not start an orderly reboot"
i=0; while [ "$(grep -ac 'slot pxe booting' "$T/pxe.log")" -lt 2 ] && [ $i -lt 360 ]; do sleep 0.25; i=$((i+1)); done
[ "$(grep -ac 'slot pxe booting' "$T/pxe.log")" -ge 2 ] || fail "no second boot after Ctrl-Alt-Del"
pass "ctrl_alt_del = reboot: Ctrl-Alt-Del reboots in order"
qemu_kill pxe
