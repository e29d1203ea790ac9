#!/bin/bash
# t50-agent-enroll-mtls.sh: the appliance's API in QEMU: a host with an empty
# trust store shows an enrollment token on its status screen (serial
# console); enrollment works once and only once; afterwards mutual TLS is
# required (no cert, a foreign CA's cert, an expired cert → refused in the
# handshake), a reader cannot write (403 JSON), an admin can; the host
# identity and the enrolled CA survive a reboot.
. tests/system/lib.sh
CTL=$B/bin/host/waferctl
PKI=$DEV_PKI
[ -x "$CTL" ] && [ -f "$PKI/ca.pem" ] || fail "needs make host-tools ($CTL, $PKI)"

img_copy box
qemu_start box bios
wait_log box 'Enrollment +OPEN - token [A-Z0-9-]+' 120 || fail "no enrollment token on the status screen"
TOKEN=$(grep -aoE 'token [A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/box.log" | tail -1 | cut -d' ' -f2)
PORT=$(api_port box)
URL=https://127.0.0.1:$PORT
pass "enrollment token shown: $TOKEN"

# wait for the API
for _ in $(seq 60); do
	curl -sk -o /dev/null "$URL/api/v1/host" && break
	sleep 1
done
code() { curl -sk -o "$T/body" -w '%{http_code}' "$@" 2>/dev/null; }
auth() { echo --cert "$PKI/$1.pem" --key "$PKI/$1.key"; }

[ "$(code "$URL/api/v1/host")" = 401 ] || fail "GET host without a certificate before enrollment was not 401"
pass "before enrollment only /enroll is open (401 elsewhere)"
PEM=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$PKI/ca.pem")
[ "$(code -X POST -d "{\"token\":\"WRONG-TOKEN\",\"ca_pem\":$PEM}" "$URL/api/v1/enroll")" = 403 ] || fail "a wrong token was not refused"
# waferctl enroll (host certificate not yet known: --insecure is acceptable only here)
$CTL -H 127.0.0.1:$PORT --insecure --cert "$PKI/admin.pem" --key "$PKI/admin.key" --config "$T/ctl.conf" --context box \
	enroll "$TOKEN" "$PKI/ca.pem" > "$T/enroll.log" 2>&1 || fail "enroll failed: $(cat $T/enroll.log)"
grep -q '"enrolled":true' "$T/enroll.log" || fail "enroll answer: $(cat $T/enroll.log)"
grep -q "context 'box' saved" "$T/enroll.log" && grep -qx current=box "$T/ctl.conf" || fail "no context saved: $(cat $T/enroll.log)"
$CTL --config "$T/ctl.conf" host > "$T/host.log" 2>&1 || fail "waferctl through the enrolled context: $(cat $T/host.log)"
pass "enrolled the development CA with waferctl; the host is context 'box', pinned by its fingerprint"
[ "$(code $(auth admin) -X POST -d "{\"token\":\"$TOKEN\",\"ca_pem\":$PEM}" "$URL/api/v1/enroll")" = 409 ] || fail "second enrollment not refused"
pass "enrollment is closed afterwards (409)"

[ "$(code "$URL/api/v1/host")" = 000 ] || fail "no-cert request was not refused in the handshake"
[ "$(code $(auth foreign) "$URL/api/v1/host")" = 000 ] || fail "foreign-CA cert accepted"
[ "$(code $(auth expired) "$URL/api/v1/host")" = 000 ] || fail "expired cert accepted"
pass "no cert, foreign CA and expired cert refused"
[ "$(code $(auth reader) -X POST -d '{}' "$URL/api/v1/vms")" = 403 ] || fail "reader could write"
grep -q '"code":"forbidden"' "$T/body" || fail "403 body is not a JSON error: $(cat $T/body)"
pass "reader write refused with a JSON 403"
[ "$(code $(auth admin) "$URL/api/v1/host")" = 200 ] || fail "admin GET host failed"
FP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$T/body")
# the agent runs with only the capabilities it uses (docs/isolation.md)
python3 - "$T/body" > "$T/privs.txt" <<'PY' || fail "agent privileges: $(cat $T/privs.txt)"
import json, sys
a = json.load(open(sys.argv[1]))["agent"]
eff, bnd, prm = (int(a[k], 16) for k in ("cap_eff", "cap_bnd", "cap_prm"))
print("CapEff", a["cap_eff"], "CapBnd", a["cap_bnd"], "kept:", ",".join(a["capabilities"]),
      "on demand:", ",".join(a["on_demand"]))
banned = {16: "sys_module", 17: "sys_rawio", 19: "sys_ptrace", 22: "sys_boot", 25: "sys_time"}
bad = [n for b, n in banned.items() if eff >> b & 1]
bad += [n for b, n in banned.items() if b != 19 and bnd >> b & 1]  # gone for good
bad += ["inh/amb not empty"] if int(a["cap_inh"], 16) or int(a["cap_amb"], 16) else []
bad += ["no_new_privs not set"] if a["no_new_privs"] != 1 else []
bad += ["core dumps allowed"] if a["core_limit"] != 0 else []
bad += ["effective not within permitted"] if eff & ~prm else []
bad += ["sys_admin not kept"] if not eff >> 21 & 1 else []
if bad:
    print("not dropped:", bad)
    sys.exit(1)
PY
pass "agent privileges: $(head -1 "$T/privs.txt")"
grep -q '"kvm":true' "$T/body" && pass "host reports KVM available" || log "host reports no KVM"
$CTL -H 127.0.0.1:$PORT --cert "$PKI/admin.pem" --key "$PKI/admin.key" --fingerprint "$FP" host > "$T/host.log" 2>&1 \
	|| fail "waferctl host with the pinned fingerprint failed: $(cat $T/host.log)"
pass "waferctl host works with the pinned fingerprint $FP"

# reboot through the API; identity and trust store persist on the config partition
[ "$(code $(auth admin) -X POST -d '{}' "$URL/api/v1/host/reboot")" = 202 ] || fail "reboot not accepted: $(cat $T/body)"
wait_log box 'Enrollment +closed|Enrollment +CLOSED' 1 >/dev/null 2>&1 || true
sleep 5
for _ in $(seq 120); do
	[ "$(code $(auth admin) "$URL/api/v1/host")" = 200 ] && grep -q "$FP" "$T/body" && break
	sleep 1
done
grep -q "$FP" "$T/body" || fail "after the reboot the API did not answer with the same identity"
[ "$(code "$URL/api/v1/host")" = 000 ] || fail "after the reboot a no-cert request was not refused"
pass "after a reboot: same host identity, trust store kept"
