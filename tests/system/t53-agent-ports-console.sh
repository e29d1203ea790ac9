#!/bin/bash
# t53-agent-ports-console.sh: (1) only the API port is open on the appliance:
# the kernel's socket tables through GET /api/v1/host/listeners show one TCP
# listener (443, wafer-agent) and UDP sockets only of the DHCP and NTP
# clients; from the outside, QEMU forwards a list of well-known TCP ports
# (added at run time over QMP) and each one is closed while 443 answers.
# (2) the interactive WebSocket console: waferctl vm console --interactive
# types a command into the test guest's shell and reads its output back; a
# reader certificate is refused (403) and a stopped VM is a 409.
. tests/system/lib.sh
. tests/system/agent-lib.sh

agent_img box
agent_boot box
# NTP and DHCP clients bind their sockets once they run: wait for both.
wait_log box 'Services +udhcpc up, ntpd up' 60 || fail "udhcpc/ntpd not up"
sleep 3

# (1a) the kernel's own view, through the API
[ "$(code "$URL/api/v1/host/listeners")" = 200 ] || fail "listeners: $(cat $T/body)"
python3 - "$T/body" > "$T/listeners.txt" <<'PY' || fail "unexpected listeners: $(cat $T/listeners.txt)"
import json, sys
d = json.load(open(sys.argv[1]))
ls = d["listeners"]
for l in ls:
    print(l["proto"], l["family"], l["address"], l["port"], l["process"])
tcp = [l for l in ls if l["proto"] == "tcp"]
udp = [l for l in ls if l["proto"] == "udp"]
bad = [l for l in tcp if l["port"] != 443 or l["process"] != "wafer-agent"]
bad += [l for l in udp if l["process"] not in ("udhcpc", "udhcpc6", "ntpd")]
if not tcp or bad or d["unparsed_lines"]:
    print("not allowed:", bad, "unparsed:", d["unparsed_lines"])
    sys.exit(1)
PY
udp=$(awk '$1 == "udp" { printf "%s/%s ", $5, $4 }' "$T/listeners.txt")
pass "listeners: $(grep -c '^tcp' "$T/listeners.txt") TCP (443 wafer-agent only), UDP: ${udp:-none}"
# the reader role may read it; without a certificate nothing answers
[ "$(curl -sk -m 10 -o /dev/null -w '%{http_code}' --cert "$PKI/reader.pem" --key "$PKI/reader.key" "$URL/api/v1/host/listeners")" = 200 ] \
	|| fail "reader cannot read listeners"

# (1b) from the outside: forward well-known ports to the appliance at run time
probe() { # probe PORT: "open" if the connection stays up for 2 s (a server waits for us; the agent
	# gives a silent client 3 s for its TLS handshake), else "closed"
	if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3 >/dev/null" 2>/dev/null; then echo closed
	elif [ $? = 124 ]; then echo open; else echo closed; fi
}
open=() closed=()
for p in 443 22 23 80 111 2049 5900 8080 8443 9090 16509 2375 6443; do
	hp=$(free_port)
	qmp box "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"hostfwd_add n0 tcp:127.0.0.1:$hp-:$p\"}}"
	case "$(probe "$hp")" in open) open+=("$p");; *) closed+=("$p");; esac
done
[ "${open[*]}" = 443 ] || fail "ports answering from outside: ${open[*]:-none} (expected only 443)"
pass "from outside: 443 answers; closed: ${closed[*]}"

# (2) interactive console
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
SPEC='{"name":"sh1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=shell"}}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat $T/body)"
"${W[@]}" vm console sh1 --interactive < /dev/null > "$T/ws0.out" 2> "$T/ws0.err" && fail "console of a stopped VM accepted"
grep -q '409' "$T/ws0.err" || fail "stopped VM: $(cat $T/ws0.err)"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/sh1/start")" = 200 ] || fail "start: $(cat $T/body)"
ok=0
for _ in $(seq 120); do
	code "$URL/api/v1/vms/sh1/console" > /dev/null
	grep -q "GUEST shell" "$T/body" && { ok=1; break; }
	sleep 1
done
[ $ok = 1 ] || { tail -5 "$T/body"; fail "guest shell never started"; }
sleep 2
"$CTL" -H 127.0.0.1:$PORT --cert "$PKI/reader.pem" --key "$PKI/reader.key" --fingerprint "$FP" \
	vm console sh1 --interactive < /dev/null > /dev/null 2> "$T/ws1.err" && fail "reader got the interactive console"
grep -q '403' "$T/ws1.err" || fail "reader: $(cat $T/ws1.err)"
pass "interactive console refused: stopped VM 409, reader role 403"
{ sleep 1; printf 'echo WS-$((6*7))-OK; echo U-$(uname -s)-U\n'; sleep 4; } | \
	timeout 30 "${W[@]}" vm console sh1 --interactive > "$T/ws.out" 2> "$T/ws.err" \
	|| fail "interactive console: $(cat "$T/ws.err")"
grep -aq 'WS-42-OK' "$T/ws.out" || { tail -c 300 "$T/ws.out"; fail "the guest's answer did not come back over the WebSocket"; }
grep -aq 'U-Linux-U' "$T/ws.out" || fail "second command's output missing"
code "$URL/api/v1/vms/sh1/console" > /dev/null
grep -aq 'WS-42-OK' "$T/body" || fail "the typed command's output is not in the console log"
pass "WebSocket console: typed 'echo WS-\$((6*7))-OK; echo U-\$(uname -s)-U', read back WS-42-OK and U-Linux-U"
# hostile WebSocket clients: each gets its connection closed, nothing else changes
python3 - 127.0.0.1 "$PORT" "$PKI/admin.pem" "$PKI/admin.key" > "$T/wshostile.txt" 2>&1 <<'PY' || fail "hostile WebSocket frames: $(cat "$T/wshostile.txt")"
import os, socket, ssl, struct, sys
host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert, key)
def ws():
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=20))
    s.sendall(b"GET /api/v1/vms/sh1/console HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, head   # RFC 6455's example key/accept pair
    return s
def closed_after(s, data):
    s.sendall(data)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return True
    except (ConnectionError, ssl.SSLError):
        return True
    except socket.timeout:
        return False
cases = {
    "unmasked frame": b"\x82\x03abc",
    "64-bit length": b"\x82\xff" + struct.pack(">Q", 1 << 40) + os.urandom(4),
    "frame over 4 KiB": b"\x82\xfe" + struct.pack(">H", 5000) + os.urandom(4),
    "reserved opcode": b"\x83\x80" + os.urandom(4),
}
for name, data in cases.items():
    assert closed_after(ws(), data), name + ": connection not closed"
    print("closed on", name)
s = ws()          # ping is answered with a pong carrying the same data
m = os.urandom(4)
s.sendall(b"\x89\x84" + m + bytes(c ^ m[i % 4] for i, c in enumerate(b"ping")))
buf = b""
while b"\x8a\x04ping" not in buf:
    buf += s.recv(65536)
print("pong received")
s.sendall(b"\x88\x82" + m + bytes(c ^ m[i % 4] for i, c in enumerate(b"\x03\xe8")))
PY
[ "$(code "$URL/api/v1/vms/sh1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "VM not running after hostile frames"
pass "hostile WebSocket frames (unmasked, 64-bit length, over 4 KiB, reserved opcode) close the connection; ping gets a pong; VM still running"
[ "$(code -X POST -d '{}' "$URL/api/v1/vms/sh1/stop")" = 200 ] || fail "stop: $(cat $T/body)"
qemu_kill box
