# t30-init-syslog: remote syslog over TCP: with syslog = tcp://10.0.2.2:PORT
# (QEMU's user network reaches the build machine's loopback there), init
# forwards the log ring from boot on as RFC 5424 messages with octet-counting
# framing: kernel messages, init's own and the services' output.
. tests/system/lib.sh
. tests/system/init-lib.sh

command -v socat >/dev/null || fail "socat missing"
port=$(free_port)
socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "OPEN:$T/syslog-rx.log,creat,append" &
echo $! > "$T/socat.pid"
testhook_overlay "$T/hook.cpio.zst" ""
cat "$PXE_DIR/initramfs.img" "$T/hook.cpio.zst" > "$T/initrd.img"
qemu_direct sl "$T/initrd.img" "wafer.slot=pxe quiet wafer.syslog=tcp://10.0.2.2:$port"
wait_log sl 'IPv4 +10\.0\.2\.15/24 \(dhcp\)' 120 || fail "no DHCP address"
i=0; while ! grep -aq 'udhcpc - - - udhcpc: lease of 10.0.2.15' "$T/syslog-rx.log" 2>/dev/null && [ $i -lt 120 ]; do sleep 0.25; i=$((i+1)); done
grep -aq 'udhcpc - - - udhcpc: lease of 10.0.2.15' "$T/syslog-rx.log" || fail "udhcpc's output not forwarded: $(head -c 300 "$T/syslog-rx.log" 2>/dev/null)"
grep -aqE '^[0-9]+ <[0-7]>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z wafer-[0-9a-f]{6} kernel - - - Linux version' "$T/syslog-rx.log" ||
	fail "first kernel message not forwarded as an octet-counted RFC 5424 frame"
grep -aqE ' <30>1 [^ ]+ wafer-[0-9a-f]{6} wafer-init - - - Wafer [0-9.]+ \(x86_64\) slot pxe booting' "$T/syslog-rx.log" ||
	fail "init's banner not forwarded"
# octet counting: every frame's length prefix matches the message that follows
python3 - "$T/syslog-rx.log" <<'PY' || fail "bad octet-counting framing"
import sys
d = open(sys.argv[1], 'rb').read(); i = n = 0
while i < len(d):
    sp = d.index(b' ', i); ln = int(d[i:sp]); msg = d[sp+1:sp+1+ln]
    assert msg.startswith(b'<') and len(msg) == ln, (i, msg[:40])
    i = sp + 1 + ln; n += 1
print(n, "frames")
PY
pass "log ring forwarded over TCP syslog (RFC 5424, octet counting) from boot on"
qemu_kill sl
