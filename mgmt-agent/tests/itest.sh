#!/bin/bash
# itest.sh: local integration test of the host build of wafer-agent on
# 127.0.0.1 (no QEMU): mutual TLS (no cert, foreign CA, expired, reader
# writing, no role), enrollment once and only once, API errors, image upload
# with SHA-256, VM definitions persisted across an agent restart, waferctl
# with a pinned fingerprint, host updates into a temporary folder standing in
# for the boot partition. Usage: itest.sh build/x86_64
set -u
B=${1:-build/x86_64}
AGENT=$B/bin/host/wafer-agent
CTL=$B/bin/host/waferctl
T=$(mktemp -d /tmp/wafer-itest.XXXXXX)
PORT=$((20000 + $$ % 20000))
PKI=$T/pki
URL=https://127.0.0.1:$PORT
fails=0 passes=0
AGENT_PID=
AGENT_EXTRA=()

cleanup() { [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

ok()   { passes=$((passes+1)); echo "ok   $*"; }
bad()  { fails=$((fails+1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; [ -z "${ITEST_DEBUG:-}" ] || { echo "  body: $(head -c 600 $T/body 2>/dev/null) curl: $(cat $T/curl.err 2>/dev/null)"; tail -5 $T/agent.log; }; fi; }

start_agent() {
	$AGENT --port $PORT --listen 127.0.0.1 --config-dir $T/config --data-dir $T/data \
		--run-dir $T/run --etc-dir $T/etc --vmm /nonexistent/wafer-vmm --log-level debug \
		--request-ms 2000 --handshake-ms 2000 --max-header 4096 "${AGENT_EXTRA[@]}" 2>>$T/agent.log &
	AGENT_PID=$!
	for _ in $(seq 50); do
		[ -s $T/run/status/agent ] && (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
		sleep 0.1
	done
	echo "agent did not start"; cat $T/agent.log; exit 1
}
stop_agent() { kill $AGENT_PID; wait $AGENT_PID 2>/dev/null; AGENT_PID=; }

# curl as ROLE (admin, reader, norole, expired, foreign, none); prints the status code
c() {
	local who=$1; shift
	local auth=()
	[ "$who" != none ] && auth=(--cert $PKI/$who.pem --key $PKI/$who.key)
	local out rc rec
	rm -f $T/body   # curl leaves no file for an empty reply: no stale body
	out=$(curl -sS -o $T/body -w '%{http_code} %{method} %{url_effective} %{content_type}' \
		--cacert $T/config/identity/host.pem "${auth[@]}" "$@" 2>$T/curl.err)
	rc=$?
	[ -e $T/body ] || : > $T/body
	# every complete response is kept for the check against docs/openapi.yaml at the end
	if [ $rc = 0 ]; then
		rec=$T/responses/$(date +%s%N)-$BASHPID-$RANDOM
		echo "$out" > $rec.meta && cp $T/body $rec.body
	fi
	printf '%s' "${out%% *}"
}
body_has() { grep -q -- "$1" $T/body; }

mkdir -p $T/config $T/data $T/run $T/etc $T/responses
export -f c body_has
export T PKI URL
$CTL pki dev $PKI >/dev/null || { echo "pki failed"; exit 1; }
start_agent

# --- identity and status file
check "status file says enrollment open" grep -q '^enrollment=open$' $T/run/status/agent
TOKEN=$(sed -n 's/^token=//p' $T/run/status/agent)
FP=$(sed -n 's/^fingerprint=//p' $T/run/status/agent)
check "token shown" test -n "$TOKEN"
OFP=$(openssl x509 -in $T/config/identity/host.pem -noout -fingerprint -sha256 | sed 's/.*=//')
check "fingerprint matches the stored certificate" test "$FP" = "$OFP"
check "host key is ECDSA P-256" bash -c "openssl pkey -in $T/config/identity/host.key -noout -text | grep -q 'P-256'"

# --- before enrollment: only /enroll without a certificate
check "no cert before enrollment: 401" test "$(c none $URL/api/v1/host)" = 401
check "admin cert not trusted yet: 401" test "$(c admin $URL/api/v1/host)" = 401
PEM=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' $PKI/ca.pem)
check "enroll with wrong token: 403" test "$(c none -X POST -H 'Content-Type: application/json' \
	-d "{\"token\":\"WRONG\",\"ca_pem\":$PEM}" $URL/api/v1/enroll)" = 403
check "status file holding the token is 0600" test "$(stat -c %a $T/run/status/agent)" = 600
# the token with its last character changed (to X, or Y when it ends in X: else it would be the token)
LAST=X; [ "${TOKEN: -1}" = X ] && LAST=Y
WRONG_ENROLL=(-X POST -H 'Content-Type: application/json' -d "{\"token\":\"${TOKEN%?}$LAST\",\"ca_pem\":$PEM}" $URL/api/v1/enroll)
check "wrong tokens 2-6 from one address: 403 each" bash -c 'for i in 2 3 4 5 6; do test "$(c none "$@")" = 403 || exit 1; done' _ "${WRONG_ENROLL[@]}"
check "7th guess at once: 429 with Retry-After" bash -c 'test "$(c none -D $T/hdr "$@")" = 429 && grep -qi "^Retry-After: 1" $T/hdr' _ "${WRONG_ENROLL[@]}"
check "another address is not held up: 403" test "$(c none --interface 127.0.0.2 "${WRONG_ENROLL[@]}")" = 403
sleep 1.2
check "enroll with unknown field: 400" test "$(c none -X POST -d "{\"token\":\"$TOKEN\",\"x\":1}" $URL/api/v1/enroll)" = 400
check "enroll a leaf (not a CA): 400" test "$(c none -X POST -d "{\"token\":\"$TOKEN\",\"ca_pem\":$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' $PKI/admin.pem)}" $URL/api/v1/enroll)" = 400
check "enroll: 201" test "$(c none -X POST -d "{\"token\":\"$TOKEN\",\"ca_pem\":$PEM}" $URL/api/v1/enroll)" = 201
check "status file says enrollment closed, no token" bash -c "grep -q '^enrollment=closed$' $T/run/status/agent && ! grep -q '^token=' $T/run/status/agent"
check "CA stored in the trust store" test -s $T/config/trust/enrolled-ca.pem

# --- mutual TLS after enrollment
st=$(c none $URL/api/v1/host); check "no client cert: refused in the handshake (got $st)" test "$st" = 000
st=$(c foreign $URL/api/v1/host); check "cert from a foreign CA: refused (got $st)" test "$st" = 000
st=$(c expired $URL/api/v1/host); check "expired cert: refused (got $st)" test "$st" = 000
check "enroll again (admin): 409 closed" test "$(c admin -X POST -d "{\"token\":\"$TOKEN\",\"ca_pem\":$PEM}" $URL/api/v1/enroll)" = 409
check "admin GET host: 200" test "$(c admin $URL/api/v1/host)" = 200
check "host shows the fingerprint" body_has "$FP"
check "reader GET host: 200" test "$(c reader $URL/api/v1/host)" = 200
check "reader POST vms: 403" test "$(c reader -X POST -d '{}' $URL/api/v1/vms)" = 403
check "403 is a JSON error" body_has '"code":"forbidden"'
check "cert without a wafer role: 403" test "$(c norole $URL/api/v1/host)" = 403

# --- trust: the role from the subject's one O=, revocation by a CRL
# mkcert NAME SUBJECT SERIAL [CA]: a client certificate in $PKI signed by CA (ca)
mkcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $PKI/$1.key -subj "$2" 2>/dev/null |
	openssl x509 -req -CA $PKI/${4:-ca}.pem -CAkey $PKI/${4:-ca}.key -set_serial $3 -days 30 -out $PKI/$1.pem \
		-extfile <(printf 'extendedKeyUsage=critical,clientAuth\nkeyUsage=critical,digitalSignature\n') 2>/dev/null
}
# mkcrl OUT CA [EXTRA...]: a CRL signed by CA revoking serial 5EA1 (leaked)
mkcrl() {
	local out=$1 ca=$2; shift 2
	printf 'R\t301231000000Z\t261201000000Z\t5EA1\tunknown\t/CN=leaked/O=wafer:admin\n' > $T/crl-index.txt
	echo 01 > $T/crl-number
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s\ndefault_md=sha256\ndefault_crl_days=30\n' \
		$T/crl-index.txt $T/crl-number > $T/crl.cnf
	openssl ca -gencrl -config $T/crl.cnf -keyfile $PKI/$ca.key -cert $PKI/$ca.pem -out $out "$@" 2>/dev/null
}
mkcert twoorg '/CN=sneaky/O=wafer:reader/O=wafer:admin' 0x7001
mkcert leaked '/CN=leaked/O=wafer:admin' 0x5EA1
mkcrl $T/crl.pem ca; mkcrl $T/foreign-crl.pem foreign-ca; mkcrl $T/stale-crl.pem ca -crlsec 1
check "a subject with two O= has no role: 403" test "$(c twoorg $URL/api/v1/host)" = 403
check "leaked admin works before revocation" test "$(c admin $URL/api/v1/host)" = 200 -a "$(c leaked $URL/api/v1/host)" = 200
check "no CRL yet: GET 404" test "$(c reader $URL/api/v1/host/trust/crl)" = 404
check "CRL PUT by a reader: 403" test "$(c reader -X PUT --data-binary @$T/crl.pem $URL/api/v1/host/trust/crl)" = 403
check "CRL that is not a CRL: 400" bash -c "test \"\$(c admin -X PUT --data-binary @$PKI/ca.pem $URL/api/v1/host/trust/crl)\" = 400 && grep -q invalid_crl $T/body"
check "CRL of a foreign CA: 400" bash -c "test \"\$(c admin -X PUT --data-binary @$T/foreign-crl.pem $URL/api/v1/host/trust/crl)\" = 400 && grep -q 'not from a CA in the trust store' $T/body"
# an impostor CA: the trusted CA's name on another key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $PKI/impostor-ca.key -days 30 \
	-subj "$(openssl x509 -in $PKI/ca.pem -noout -subject -nameopt compat | sed 's/^subject=//')" -out $PKI/impostor-ca.pem 2>/dev/null
mkcrl $T/impostor-crl.pem impostor-ca
check "CRL with the trusted CA's name but another key: 400" bash -c "test \"\$(c admin -X PUT --data-binary @$T/impostor-crl.pem $URL/api/v1/host/trust/crl)\" = 400 && grep -q 'not signed by that CA' $T/body"
sleep 1.5
check "CRL past its nextUpdate: 400" bash -c "test \"\$(c admin -X PUT --data-binary @$T/stale-crl.pem $URL/api/v1/host/trust/crl)\" = 400 && grep -q 'out of date' $T/body"
check "leaked admin still works after refused CRLs" test "$(c leaked $URL/api/v1/host)" = 200
check "CRL of the trusted CA (PEM): 200, one revoked" bash -c "test \"\$(c admin -X PUT --data-binary @$T/crl.pem $URL/api/v1/host/trust/crl)\" = 200 && grep -q '\"revoked\":1' $T/body"
check "revoked admin refused at the handshake" test "$(c leaked $URL/api/v1/host)" = 000
check "other admin and reader still served" test "$(c admin $URL/api/v1/host)" = 200 -a "$(c reader $URL/api/v1/host)" = 200
check "GET the CRL: 200 with its issuer" bash -c "test \"\$(c reader $URL/api/v1/host/trust/crl)\" = 200 && grep -q 'wafer' $T/body"
openssl crl -in $T/crl.pem -outform DER -out $T/crl.der
check "the same CRL as DER: 200" test "$(c admin -X PUT --data-binary @$T/crl.der $URL/api/v1/host/trust/crl)" = 200
check "TLS 1.1 refused" bash -c "! curl -s -o /dev/null --tls-max 1.1 --cacert $T/config/identity/host.pem --cert $PKI/admin.pem --key $PKI/admin.key $URL/api/v1/host"
check "TLS 1.2 with AEAD works" test "$(c admin --tlsv1.2 --tls-max 1.2 $URL/api/v1/host)" = 200
check "TLS 1.2 CBC suite refused" bash -c "! curl -s -o /dev/null --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA256 --cacert $T/config/identity/host.pem --cert $PKI/admin.pem --key $PKI/admin.key $URL/api/v1/host"

# --- HTTP and API errors
check "unknown path: 404" test "$(c admin $URL/api/v1/nothing)" = 404
check "wrong method: 405" test "$(c admin -X DELETE $URL/api/v1/host)" = 405
check "bad JSON: 400 with offset" bash -c "test \"\$(c admin -X POST -d '{\"name\":' $URL/api/v1/vms)\" = 400 && grep -q 'offset' $T/body"
check "body on a GET route: 413" test "$(c admin -X GET -d 'x' $URL/api/v1/host)" = 413
check "huge header: 431" test "$(c admin -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)" $URL/api/v1/host)" = 431
check "body over the route limit: 413" test "$(c admin -X POST -H 'Content-Type: application/json' --data-binary @<(head -c 70000 /dev/zero | tr '\0' ' ') $URL/api/v1/vms)" = 413
check "invalid id characters: 400" test "$(c admin $URL/api/v1/vms/a%24b)" = 400
check "unknown VM: 404" test "$(c admin $URL/api/v1/vms/nosuchvm)" = 404

# --- images
head -c 3000000 /dev/urandom > $T/kernel.img
SHA=$(sha256sum $T/kernel.img | cut -d' ' -f1)
check "upload with a wrong sha256: 400" test "$(c admin -X PUT --data-binary @$T/kernel.img "$URL/api/v1/images/kern?sha256=$(echo -n x | sha256sum | cut -d' ' -f1)")" = 400
check "... and nothing stored" test ! -e $T/data/wafer/images/kern
check "upload (chunked) with the right sha256: 201" test "$(c admin -X PUT -H 'Transfer-Encoding: chunked' --data-binary @$T/kernel.img "$URL/api/v1/images/kern?sha256=$SHA")" = 201
check "stored image is identical" cmp -s $T/kernel.img $T/data/wafer/images/kern
check "image list has it" bash -c "test \"\$(c reader $URL/api/v1/images)\" = 200 && grep -q '\"name\":\"kern\"' $T/body"

# --- names at the limit (64, lib/wafer_contract.h): stored whole, 65 refused
N63=$(printf 'n%.0s' $(seq 63)); N64=${N63}n; N65=${N64}n
SMALL_SHA=$(printf 'img' | sha256sum | cut -d' ' -f1)
check "image names of 63 and 64 characters: 201" bash -c "test \"\$(c admin -X PUT --data-binary img $URL/api/v1/images/$N63?sha256=$SMALL_SHA)\" = 201 && test \"\$(c admin -X PUT --data-binary img $URL/api/v1/images/$N64?sha256=$SMALL_SHA)\" = 201"
check "image stored under its whole 64-character name" test -e $T/data/wafer/images/$N64
check "image name of 65 characters: 400 naming the limit" bash -c "test \"\$(c admin -X PUT --data-binary img $URL/api/v1/images/$N65?sha256=$SMALL_SHA)\" = 400 && grep -q 'longer than 64 characters' $T/body"
check "VM name of 65 characters: 400 naming the limit" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"$N65\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"kern\"}}' $URL/api/v1/vms)\" = 400 && grep -q 'the limit is 64' $T/body"
check "kernel, initrd, disk image of 65 characters: 400 naming the limit" bash -c "for b in '\"boot\":{\"kernel\":\"$N65\"}' '\"boot\":{\"kernel\":\"kern\",\"initrd\":\"$N65\"}' '\"boot\":{\"kernel\":\"kern\"},\"disks\":[{\"image\":\"$N65\"}]'; do test \"\$(c admin -X POST -d \"{\\\"name\\\":\\\"x65\\\",\\\"vcpus\\\":1,\\\"memory_mib\\\":64,\$b}\" $URL/api/v1/vms)\" = 400 && grep -q 'image name is 65 characters long; the limit is 64' $T/body || exit 1; done"
check "VM of a 64-character name booting the 64-character image: 201, both whole" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"$N64\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"$N64\",\"initrd\":\"$N64\"},\"disks\":[{\"image\":\"$N64\"}]}' $URL/api/v1/vms)\" = 201 && grep -q '\"name\":\"$N64\"' $T/body && grep -q '\"kernel\":\"$N64\"' $T/body && grep -q '\"initrd\":\"$N64\"' $T/body"
N64ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' $T/body 2>/dev/null)
check "the 64-character image is in use: 409; the 63-character one is not: 204" bash -c "test \"\$(c admin -X DELETE $URL/api/v1/images/$N64)\" = 409 && test \"\$(c admin -X DELETE $URL/api/v1/images/$N63)\" = 204"
check "the VM found by its 64-character name, then removed" bash -c "test \"\$(c admin $URL/api/v1/vms/$N64)\" = 200 && test \"\$(c admin -X DELETE $URL/api/v1/vms/$N64ID)\" = 204 && test \"\$(c admin -X DELETE $URL/api/v1/images/$N64)\" = 204"

# --- VMs
SPEC='{"name":"web1","vcpus":1,"memory_mib":64,"boot":{"kernel":"kern","cmdline":"console=ttyS0 quiet"},"disks":[{"size_mib":16}],"nics":[{}],"autostart":false}'
check "spec with unknown field: 400" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"kern\"},\"colour\":1}' $URL/api/v1/vms)\" = 400 && grep -q \"unknown field 'colour'\" $T/body"
check "too many vCPUs: 400" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"a\",\"vcpus\":100000,\"memory_mib\":64,\"boot\":{\"kernel\":\"kern\"}}' $URL/api/v1/vms)\" = 400 && grep -q 'vcpus' $T/body"
check "missing image: 400" test "$(c admin -X POST -d '{"name":"a","vcpus":1,"memory_mib":64,"boot":{"kernel":"nope"}}' $URL/api/v1/vms)" = 400
check "create VM: 201" test "$(c admin -X POST -H 'Content-Type: application/json' -d "$SPEC" $URL/api/v1/vms)" = 201
VMID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' $T/body)
check "MAC generated" body_has '"mac":"52:54:00:'
check "duplicate name: 409" test "$(c admin -X POST -d "$SPEC" $URL/api/v1/vms)" = 409
check "definition persisted" test -s $T/data/wafer/vms/$VMID.json
check "sparse disk created" test -e $T/data/wafer/vms/$VMID/disk0.img
check "get by name" test "$(c reader $URL/api/v1/vms/web1)" = 200
check "patch autostart" bash -c "test \"\$(c admin -X PATCH -d '{\"autostart\":true}' $URL/api/v1/vms/$VMID)\" = 200 && grep -q '\"autostart\":true' $T/body"
check "patch bad value: 400, nothing changed" bash -c "test \"\$(c admin -X PATCH -d '{\"vcpus\":0}' $URL/api/v1/vms/$VMID)\" = 400 && test \"\$(c admin $URL/api/v1/vms/$VMID)\" = 200 && grep -q '\"vcpus\":1' $T/body"
check "pause a stopped VM: 409" test "$(c admin -X POST -d '{}' $URL/api/v1/vms/$VMID/pause)" = 409
check "host reboot with vms=bogus: 400 (nothing else happens)" bash -c "test \"\$(c admin -X POST '$URL/api/v1/host/reboot?vms=bogus')\" = 400 && body_has \"'suspend'\""
check "suspend a stopped VM: 409, nothing saved" bash -c "test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/suspend)\" = 409 && body_has 'is stopped' && test ! -e $T/data/wafer/vms/$VMID/suspend.sav"
check "start without a bridge/VMM: clear error" bash -c "st=\$(c admin -X POST -d '{}' $URL/api/v1/vms/$VMID/start); [ \$st = 409 -o \$st = 500 ] && grep -q 'error' $T/body"
# RFC 9112 6.3: a POST with neither Content-Length nor chunked framing has an empty body
printf 'POST /api/v1/vms/%s/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' $VMID > $T/nolen.req
check "POST .../start with no body and no Content-Length (curl -X POST): not 411" bash -c \
	"openssl s_client -quiet -connect 127.0.0.1:$PORT -cert $PKI/admin.pem -key $PKI/admin.key < $T/nolen.req 2>/dev/null | head -1 | grep -v ' 411 ' | grep -q 'HTTP/1.1 [245]'"
printf 'POST /api/v1/vms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > $T/nolen2.req
check "POST /api/v1/vms with no framed body: 411 (a body is required)" bash -c \
	"openssl s_client -quiet -connect 127.0.0.1:$PORT -cert $PKI/admin.pem -key $PKI/admin.key < $T/nolen2.req 2>/dev/null | head -1 | grep -q ' 411 '"
check "delete image in use: 409" test "$(c admin -X DELETE $URL/api/v1/images/kern)" = 409
check "events replay has vm.created" bash -c "curl -sS -m 2 --cacert $T/config/identity/host.pem --cert $PKI/reader.pem --key $PKI/reader.key '$URL/api/v1/events?since=0' 2>/dev/null | grep -q 'vm.created'"
check "tasks list the upload" bash -c "test \"\$(c reader $URL/api/v1/tasks)\" = 200 && grep -q 'image.upload' $T/body"
check "metrics (reader)" bash -c "test \"\$(c reader $URL/metrics)\" = 200 && grep -q 'wafer_vm_vcpus{vm=\"$VMID\"' $T/body"

# --- one JSON writer: hostile text echoed back stays JSON (agent-layers issue, item 4)
out=$(python3 $(dirname "$0")/json_echo.py $PORT $T/config/identity/host.pem $PKI/admin.pem $PKI/admin.key 2>&1); echo "     $out" | head -5
check "quotes, backslashes and control characters in names, paths and bodies: every response and event is JSON" \
	bash -c "echo '$out' | grep -q '^responses=' && ! echo '$out' | grep -q '^FAIL'"

# --- floods: an admin is served within 2 s (hostile-input issue, item 4)
FLOOD=$(dirname "$0")/flood.py
HOSTPEM=$T/config/identity/host.pem
out=$(python3 $FLOOD idle $PORT 300 $HOSTPEM $PKI/admin.pem $PKI/admin.key); echo "     $out"
check "300 idle unauthenticated connections (half from the admin's address): admin answered in < 2 s" \
	bash -c "echo '$out' | grep -q 'admin_status=200 ' && test \$(echo '$out' | sed 's/.*admin_ms=//') -lt 2000"
check "... and the oldest unauthenticated connections were evicted" bash -c \
	"test \"\$(c reader $URL/metrics)\" = 200 && grep -qE '^wafer_agent_connections_evicted_total [1-9]' $T/body"
out=$(python3 $FLOOD streams $PORT 50 $HOSTPEM $PKI/reader.pem $PKI/reader.key $PKI/admin.pem $PKI/admin.key); echo "     $out"
# (an earlier events stream of the reader may still hold one of its 16)
check "50 follow streams from one reader: at most 16 open, the rest 429, admin answered in < 2 s" \
	bash -c "echo '$out' | grep -qE '^opened=1[56] refused=3[45] admin_status=200 ' && test \$(echo '$out' | sed 's/.*admin_ms=//') -lt 2000"

# --- persistence across an agent restart; a saved state on the datastore
# (as a suspend leaves it) makes the VM suspended
head -c 4096 /dev/urandom > $T/data/wafer/vms/$VMID/suspend.sav
truncate -s 128M $T/data/wafer/vms/$VMID/suspend.sav
# and what a snapshot and a revert cut short by a crash leave behind
mkdir -p $T/data/wafer/vms/$VMID/snapshots/.new-half
echo half > $T/data/wafer/vms/$VMID/snapshots/.new-half/disk0.img
echo half > $T/data/wafer/vms/$VMID/disk0.img.revert
printf 'DISK-A' | dd of=$T/data/wafer/vms/$VMID/disk0.img bs=1 seek=1048576 conv=notrunc status=none
stop_agent
start_agent
check "VM survives an agent restart" bash -c "test \"\$(c admin $URL/api/v1/vms/$VMID)\" = 200 && grep -q '\"autostart\":true' $T/body"
check "a VM with a saved state is suspended after an agent restart (saved_state: size, allocated)" bash -c "c admin $URL/api/v1/vms/$VMID >/dev/null && python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); s=v[\"saved_state\"]; sys.exit(0 if v[\"state\"]==\"suspended\" and s[\"bytes\"]==128<<20 and 4096<=s[\"allocated_bytes\"]<1<<20 and s[\"saved_ms\"]>0 else 1)' $T/body"
check "suspended: PATCH of vcpus refused (409, the machine is saved), autostart allowed; pause, shutdown, suspend 409" bash -c "test \"\$(c admin -X PATCH -d '{\"vcpus\":2}' $URL/api/v1/vms/$VMID)\" = 409 && body_has 'until it resumes' && test \"\$(c admin -X PATCH -d '{\"autostart\":true}' $URL/api/v1/vms/$VMID)\" = 200 && for a in pause shutdown suspend; do test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/\$a)\" = 409 || exit 1; done && body_has 'start resumes it, stop discards its saved state'"
# --- snapshots (vm_snapshot.c): files on the datastore, no VMM needed
SN=$T/data/wafer/vms/$VMID/snapshots
check "leftovers of an unfinished snapshot and revert removed at load" bash -c "test ! -e $SN/.new-half && test ! -e $T/data/wafer/vms/$VMID/disk0.img.revert"
check "snapshot of a suspended VM: 201, memory included, disks and saved state copied sparse" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"s1\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 201 && python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s[\"name\"]==\"s1\" and s[\"vm_state\"]==\"suspended\" and s[\"memory\"] and s[\"memory_bytes\"]==128<<20 and s[\"disk_bytes\"]==16<<20 and 0<s[\"size_bytes\"]<1<<20 and s[\"created_ms\"]>0 else 1)' $T/body && cmp -s $T/data/wafer/vms/$VMID/disk0.img $SN/s1/disk0.img && cmp -s $T/data/wafer/vms/$VMID/suspend.sav $SN/s1/state.sav && test ! -e $SN/.new-s1"
check "snapshot errors: name taken 409, bad name 400, no name 400, unknown field 400, reader 403, unknown VM 404" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"s1\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 409 && body_has 'already' && test \"\$(c admin -X POST -d '{\"name\":\".hidden\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 400 && body_has 'is invalid' && test \"\$(c admin -X POST -d '{}' $URL/api/v1/vms/$VMID/snapshots)\" = 400 && test \"\$(c admin -X POST -d '{\"name\":\"x\",\"memory\":false}' $URL/api/v1/vms/$VMID/snapshots)\" = 400 && test \"\$(c reader -X POST -d '{\"name\":\"x\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 403 && test \"\$(c admin -X POST -d '{\"name\":\"x\"}' $URL/api/v1/vms/nosuchvm/snapshots)\" = 404 && test ! -e $SN/x"
check "snapshot list and get (reader); an unknown snapshot 404" bash -c "test \"\$(c reader $URL/api/v1/vms/web1/snapshots)\" = 200 && python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))[\"snapshots\"]; sys.exit(0 if [s[\"name\"] for s in l]==[\"s1\"] else 1)' $T/body && test \"\$(c reader $URL/api/v1/vms/web1/snapshots/s1)\" = 200 && body_has '\"memory\":true' && test \"\$(c reader $URL/api/v1/vms/web1/snapshots/nope)\" = 404 && body_has \"no snapshot 'nope'\""
 bash -c "test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/stop)\" = 200 && body_has '\"state\":\"stopped\"' && body_has 'saved state discarded' && test ! -e $T/data/wafer/vms/$VMID/suspend.sav"
printf 'DISK-B' | dd of=$T/data/wafer/vms/$VMID/disk0.img bs=1 seek=1048576 conv=notrunc status=none
check "snapshot of a stopped VM: disks only (memory false)" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"s2\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 201 && body_has '\"memory\":false' && body_has '\"vm_state\":\"stopped\"' && test ! -e $SN/s2/state.sav && cmp -s $T/data/wafer/vms/$VMID/disk0.img $SN/s2/disk0.img"
check "revert to the suspended snapshot: disk content, saved state and suspended back" bash -c "test \"\$(c admin -X PATCH -d '{\"vcpus\":2}' $URL/api/v1/vms/$VMID)\" = 200 && test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/snapshots/s1/revert)\" = 200 && body_has '\"state\":\"suspended\"' && body_has \"reverted to snapshot 's1'\" && body_has '\"vcpus\":1' && body_has '\"autostart\":true' && dd if=$T/data/wafer/vms/$VMID/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-A && cmp -s $T/data/wafer/vms/$VMID/suspend.sav $SN/s1/state.sav && ! ls $T/data/wafer/vms/$VMID | grep -q revert"
check "revert to the stopped snapshot: stopped, saved state gone, its disk back" bash -c "test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/snapshots/s2/revert)\" = 200 && body_has '\"state\":\"stopped\"' && test ! -e $T/data/wafer/vms/$VMID/suspend.sav && dd if=$T/data/wafer/vms/$VMID/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-B"
check "revert to an unknown snapshot: 404, nothing changed" bash -c "test \"\$(c admin -X POST $URL/api/v1/vms/$VMID/snapshots/nope/revert)\" = 404 && test \"\$(c admin $URL/api/v1/vms/$VMID)\" = 200 && body_has '\"state\":\"stopped\"'"
check "snapshot as a task (Prefer: respond-async): 202, the task vm.snapshot succeeds with its bytes" bash -c "test \"\$(c admin -X POST -H 'Prefer: respond-async' -d '{\"name\":\"s3\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 202 && body_has '\"kind\":\"vm.snapshot\"' && id=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"id\"])' $T/body) && for i in \$(seq 50); do c reader $URL/api/v1/tasks/\$id > /dev/null; grep -q '\"state\":\"running\"' $T/body || break; sleep 0.1; done; body_has '\"state\":\"succeeded\"' && body_has '\"target\":\"web1/s3\"' && body_has '\"progress\":1' && test -s $SN/s3/snapshot.json"
check "delete a snapshot: 204, its files gone; again 404" bash -c "test \"\$(c admin -X DELETE $URL/api/v1/vms/$VMID/snapshots/s3)\" = 204 && test ! -e $SN/s3 && test \"\$(c admin -X DELETE $URL/api/v1/vms/$VMID/snapshots/s3)\" = 404 && test \"\$(c reader $URL/api/v1/vms/web1/snapshots)\" = 200 && python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))[\"snapshots\"]; sys.exit(0 if [s[\"name\"] for s in l]==[\"s1\",\"s2\"] else 1)' $T/body"
check "clone from a snapshot (POST /vms with clone_of): 201, stopped, the snapshot's disk and definition, a MAC of its own" bash -c "c admin $URL/api/v1/vms/web1 > /dev/null && mac=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"spec\"][\"nics\"][0][\"mac\"])' $T/body) && test \"\$(c admin -X POST -d '{\"name\":\"cl1\",\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"s1\"}}' $URL/api/v1/vms)\" = 201 && body_has '\"state\":\"stopped\"' && body_has '\"memory_mib\":64' && ! body_has \"\$mac\" && body_has '\"mac\":\"52:54:00:' && id=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"id\"])' $T/body) && dd if=$T/data/wafer/vms/\$id/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-A && test ! -e $T/data/wafer/vms/\$id/suspend.sav && ! ls $T/data/wafer/vms/\$id | grep -q 'src\\|new'"
check "clone with a change (memory_mib 128) of the stopped snapshot: its disk" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"cl2\",\"memory_mib\":128,\"clone_of\":{\"vm\":\"$VMID\",\"snapshot\":\"s2\"}}' $URL/api/v1/vms)\" = 201 && body_has '\"memory_mib\":128' && id=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"id\"])' $T/body) && dd if=$T/data/wafer/vms/\$id/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-B"
check "clone errors: unknown snapshot or VM, no name, disks given, a bad clone_of: 400 naming it; a name taken: 409" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"cl3\",\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"nope\"}}' $URL/api/v1/vms)\" = 400 && body_has \"'clone_of.snapshot': VM 'web1' has no snapshot 'nope'\" && test \"\$(c admin -X POST -d '{\"name\":\"cl3\",\"clone_of\":{\"vm\":\"novm\",\"snapshot\":\"s1\"}}' $URL/api/v1/vms)\" = 400 && body_has \"'clone_of.vm'\" && test \"\$(c admin -X POST -d '{\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"s1\"}}' $URL/api/v1/vms)\" = 400 && body_has 'the clone' && test \"\$(c admin -X POST -d '{\"name\":\"cl3\",\"disks\":[],\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"s1\"}}' $URL/api/v1/vms)\" = 400 && test \"\$(c admin -X POST -d '{\"name\":\"cl3\",\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"s1\",\"x\":1}}' $URL/api/v1/vms)\" = 400 && test \"\$(c admin -X POST -d '{\"name\":\"cl3\",\"clone_of\":\"s1\"}' $URL/api/v1/vms)\" = 400 && test \"\$(c admin -X POST -d '{\"name\":\"cl1\",\"clone_of\":{\"vm\":\"web1\",\"snapshot\":\"s1\"}}' $URL/api/v1/vms)\" = 409 && test \"\$(c admin $URL/api/v1/vms/cl3)\" = 404"
check "waferctl snapshot clone VM NAME NEW: says the new VM" bash -c "env WAFER_HOST=127.0.0.1:$PORT WAFER_CERT=$PKI/admin.pem WAFER_KEY=$PKI/admin.key $CTL --fingerprint $FP snapshot clone web1 s2 cl4 | grep -qE '^cl4 \\([0-9a-f]{12}\\) created from snapshot s2 of web1: stopped\$' && test \"\$(c admin -X DELETE $URL/api/v1/vms/cl4)\" = 204"
check "deleting the clones leaves the snapshots" bash -c "test \"\$(c admin -X DELETE $URL/api/v1/vms/cl1)\" = 204 && test \"\$(c admin -X DELETE $URL/api/v1/vms/cl2)\" = 204 && test -s $SN/s1/disk0.img && test -s $SN/s2/disk0.img"
check "a damaged snapshot record: GET 500 saying so, left out of the list, revert 500 with nothing changed, delete 204" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"s4\"}' $URL/api/v1/vms/$VMID/snapshots)\" = 201 && echo '{\"name\":\"s4\",\"vm_state\":\"flying\"' > $SN/s4/snapshot.json && test \"\$(c admin $URL/api/v1/vms/web1/snapshots/s4)\" = 500 && body_has 'is damaged' && test \"\$(c admin $URL/api/v1/vms/web1/snapshots)\" = 200 && ! body_has '\"s4\"' && body_has '\"s1\"' && test \"\$(c admin -X POST $URL/api/v1/vms/web1/snapshots/s4/revert)\" = 500 && body_has 'is damaged' && dd if=$T/data/wafer/vms/$VMID/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-B && test \"\$(c admin -X DELETE $URL/api/v1/vms/web1/snapshots/s4)\" = 204 && test ! -e $SN/s4"
check "deleting a VM removes its snapshots" bash -c "test \"\$(c admin -X POST -d '{\"name\":\"snapvm\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"kern\"},\"disks\":[{\"size_mib\":4}]}' $URL/api/v1/vms)\" = 201 && id=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"id\"])' $T/body) && test \"\$(c admin -X POST -d '{\"name\":\"k\"}' $URL/api/v1/vms/snapvm/snapshots)\" = 201 && test -d $T/data/wafer/vms/\$id/snapshots/k && test \"\$(c admin -X DELETE $URL/api/v1/vms/snapvm)\" = 204 && test ! -e $T/data/wafer/vms/\$id"
# --- export and import (vm_transfer.c, lib/vmexport.c)
check "export of a stopped VM: 200, a WAFERVM1 stream with its kernel and disk data, not its holes; a reader 403, unknown 404" bash -c "test \"\$(c admin $URL/api/v1/vms/web1/export)\" = 200 && cp $T/body $T/web1.wafervm && head -c 8 $T/web1.wafervm | grep -q WAFERVM1 && s=\$(stat -c %s $T/web1.wafervm) && test \$s -gt 3000000 && test \$s -lt 3400000 && test \"\$(c reader $URL/api/v1/vms/web1/export)\" = 403 && test \"\$(c admin $URL/api/v1/vms/nosuchvm/export)\" = 404"
check "import of a VM whose name is taken: 409, nothing left behind" bash -c "test \"\$(c admin -X POST -H 'Content-Type: application/octet-stream' --data-binary @$T/web1.wafervm $URL/api/v1/vms/import)\" = 409 && body_has \"named 'web1' already exists\" && test -z \"\$(ls -A $T/data/wafer/import 2>/dev/null)\""
check "import of a damaged or cut stream: 400 with the reason, nothing left" bash -c "cp $T/web1.wafervm $T/bad.wafervm && printf 'X' | dd of=$T/bad.wafervm bs=1 seek=2000000 conv=notrunc status=none && c admin -X DELETE $URL/api/v1/vms/web1 >/dev/null; test \"\$(c admin -X POST --data-binary @$T/bad.wafervm $URL/api/v1/vms/import)\" = 400 && body_has 'checksum' && head -c 1000000 $T/web1.wafervm > $T/cut.wafervm && test \"\$(c admin -X POST --data-binary @$T/cut.wafervm $URL/api/v1/vms/import)\" = 400 && body_has 'ends early' && test \"\$(c admin -X POST --data-binary 'GARBAGE!' $URL/api/v1/vms/import)\" = 400 && body_has 'not a Wafer VM stream' && test \"\$(c admin $URL/api/v1/vms/web1)\" = 404 && test -z \"\$(ls -A $T/data/wafer/import 2>/dev/null)\""
check "import (chunked) of the exported VM: 201, the same id, name, MAC, definition and disk" bash -c "test \"\$(c admin -X POST -H 'Transfer-Encoding: chunked' --data-binary @$T/web1.wafervm $URL/api/v1/vms/import)\" = 201 && body_has '\"id\":\"$VMID\"' && body_has '\"state\":\"stopped\"' && body_has '\"autostart\":true' && dd if=$T/data/wafer/vms/$VMID/disk0.img bs=1 skip=1048576 count=6 status=none | grep -q DISK-B && test \$(stat -c %s $T/data/wafer/vms/$VMID/disk0.img) = 16777216 && test -s $T/data/wafer/vms/$VMID.json && test -z \"\$(ls -A $T/data/wafer/import 2>/dev/null)\""
check "trust store survives: no-cert refused" test "$(c none $URL/api/v1/host)" = 000
check "identity unchanged" test "$(sed -n 's/^fingerprint=//p' $T/run/status/agent)" = "$FP"
check "CRL survives: the revoked admin is still refused" test "$(c leaked $URL/api/v1/host)" = 000
check "DELETE the CRL: 204, then the leaked admin works again" bash -c "test \"\$(c admin -X DELETE $URL/api/v1/host/trust/crl)\" = 204 && test \"\$(c leaked $URL/api/v1/host)\" = 200"
check "DELETE again: 404" test "$(c admin -X DELETE $URL/api/v1/host/trust/crl)" = 404

# --- waferctl
W=(env WAFER_HOST=127.0.0.1:$PORT WAFER_CERT=$PKI/admin.pem WAFER_KEY=$PKI/admin.key $CTL)
check "waferctl host with pinned fingerprint" bash -c "${W[*]} --fingerprint $FP host | grep -q fingerprint"
check "waferctl with a wrong pin fails" bash -c "! ${W[*]} --fingerprint $(echo $FP | tr 'A-F' 'a-f' | rev) host 2>/dev/null"
check "waferctl: a 65-character VM or image name is refused before any request (exit 2, says the limit)" bash -c "${W[*]} vm show $N65 2>$T/n65.err; test \$? = 2 && grep -q 'the limit is 64' $T/n65.err && ${W[*]} image rm $N65 2>/dev/null; test \$? = 2"
check "waferctl --timeout abc is refused (exit 2)" bash -c "${W[*]} --timeout abc host >/dev/null 2>&1; test \$? = 2"
check "waferctl vm list" bash -c "${W[*]} --fingerprint $FP vm list | grep -q web1"
check "waferctl image upload" bash -c "${W[*]} --fingerprint $FP image upload small $T/kernel.img | grep -q 'sha256 $SHA'"
# contexts: several hosts in one settings file
CF=$T/ctl.conf
check "waferctl context add: the file is written (0600) with the context, current" bash -c "$CTL --config $CF context add lab1 -H 127.0.0.1:$PORT --cert $PKI/admin.pem --key $PKI/admin.key --fingerprint $FP && $CTL --config $CF context add lab2 -H 127.0.0.1:1 --cert $PKI/reader.pem --key $PKI/reader.key --fingerprint $FP && test \$(stat -c %a $CF) = 600 && grep -qx current=lab1 $CF && grep -qx '\[lab2\]' $CF"
check "waferctl vm move: no --to or an unknown context 2; to the same host 2; to an unreachable host 1 with the VM still here, stopped and not busy" bash -c "{ ${W[*]} --fingerprint $FP vm move web1 2>/dev/null; test \$? = 2; } && { ${W[*]} --config $CF --fingerprint $FP vm move web1 --to nope 2>$T/mv.err; test \$? = 2; } && grep -q \"no context 'nope'\" $T/mv.err && { ${W[*]} --config $CF --fingerprint $FP vm move web1 --to lab1 2>$T/mv.err; test \$? = 2; } && grep -q 'is the host the VM is on' $T/mv.err && { ${W[*]} --config $CF --fingerprint $FP --timeout 3 vm move web1 --to lab2 > $T/mv.out 2>$T/mv.err; test \$? = 1; } && grep -q 'import on the target' $T/mv.err && grep -q 'was not moved; it is still on the source' $T/mv.err && test \"\$(c admin $URL/api/v1/vms/web1)\" = 200 && body_has '\"state\":\"stopped\"' && test \"\$(c admin -X PATCH -d '{\"autostart\":true}' $URL/api/v1/vms/web1)\" = 200"
check "waferctl context list marks the current one" bash -c "$CTL --config $CF context list > $T/ctx.out && grep -qE '^\* +lab1 +127.0.0.1:$PORT' $T/ctx.out && grep -qE '^ +lab2 +127.0.0.1:1 ' $T/ctx.out"
check "the current context is used; --context and WAFER_CONTEXT choose another" bash -c "$CTL --config $CF host | grep -q fingerprint && ! $CTL --config $CF --context lab2 host >/dev/null 2>&1 && ! WAFER_CONTEXT=lab2 $CTL --config $CF host >/dev/null 2>&1 && WAFER_CONTEXT=lab1 $CTL --config $CF vm names | grep -qx web1"
# fleet: every context at once; a host that refuses and one that never answers are rows
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' > $T/silent.port &
SILENT_PID=$!
for _ in $(seq 50); do [ -s $T/silent.port ] && break; sleep 0.1; done
$CTL --config $CF context add lab3 -H 127.0.0.1:$(cat $T/silent.port) --cert $PKI/admin.pem --key $PKI/admin.key --fingerprint $FP
check "waferctl fleet status: a row per host, the unreachable and the silent ones say so (exit 1), within the timeout" bash -c "t0=\$(date +%s); $CTL --config $CF --timeout 2 fleet status > $T/fleet.out 2>&1; rc=\$?; t1=\$(date +%s); cat $T/fleet.out; test \$rc = 1 && test \$((t1 - t0)) -le 10 && grep -qE '^lab1 +0\\.[0-9.]+ \\(' $T/fleet.out && grep -E '^lab1 ' $T/fleet.out | grep -qE ' (ok|no KVM)\$' && grep -qE '^lab2 .*unreachable: ' $T/fleet.out && grep -qE '^lab3 .*unreachable: ' $T/fleet.out"
check "waferctl fleet vms: every VM of every host" bash -c "$CTL --config $CF --timeout 2 fleet vms > $T/fleetvms.out 2>&1; grep -qE '^lab1 +web1 ' $T/fleetvms.out && grep -qE '^lab2 .*unreachable' $T/fleetvms.out"
check "waferctl fleet place: the VM is created on the answering host with room, which it names" bash -c "$CTL --config $CF --timeout 2 fleet place pl1 --kernel small --memory 64 > $T/place.out 2>$T/place.err && grep -q 'placing on lab1' $T/place.out && grep -q pl1 $T/place.out && test \"\$(c admin $URL/api/v1/vms/pl1)\" = 200"
check "waferctl fleet place: no host with room is an error saying so (exit 1)" bash -c "$CTL --config $CF --timeout 2 fleet place pl2 --kernel small --memory 99999999 > /dev/null 2>$T/place2.err; test \$? = 1 && grep -q 'no host has 99999999 MiB free' $T/place2.err && test \"\$(c admin $URL/api/v1/vms/pl2)\" = 404"
c admin -X DELETE $URL/api/v1/vms/pl1 >/dev/null
kill $SILENT_PID 2>/dev/null
$CTL --config $CF context rm lab3
check "waferctl context use/rm; an unknown context is a usage error (exit 2)" bash -c "$CTL --config $CF context use lab2 && grep -qx current=lab2 $CF && $CTL --config $CF context rm lab2 && ! grep -q lab2 $CF && ! grep -q current= $CF && $CTL --config $CF --context nope host 2>$T/nope.err; test \$? = 2 && grep -q \"no context 'nope'\" $T/nope.err && $CTL --config $CF context add lab3 -H x 2>/dev/null; test \$? = 2"

# vm create from flags: a local file is uploaded once, named by its content hash
head -c 100000 /dev/urandom > $T/vmlinuz.local
HNAME=sha256-$(sha256sum $T/vmlinuz.local | cut -c1-32)
check "waferctl vm create NAME --flags: the kernel file uploaded as $HNAME, the spec from the flags" bash -c "${W[*]} --fingerprint $FP vm create fl1 --vcpus 2 --memory 128 --kernel $T/vmlinuz.local --initrd small --cmdline 'console=ttyS0 x=1' --disk 16 --disk small --nic br0 --restart on-failure --autostart 2>$T/fl1.err | grep -q fl1 && grep -q 'uploading $T/vmlinuz.local as $HNAME' $T/fl1.err && cmp -s $T/vmlinuz.local $T/data/wafer/images/$HNAME && test \"\$(c admin $URL/api/v1/vms/fl1)\" = 200 && python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[\"spec\"]; sys.exit(0 if (s[\"vcpus\"],s[\"memory_mib\"],s[\"boot\"],s[\"disks\"],[n[\"network\"] for n in s[\"nics\"]],s[\"restart\"],s[\"autostart\"])==(2,128,{\"kernel\":\"$HNAME\",\"initrd\":\"small\",\"cmdline\":\"console=ttyS0 x=1\"},[{\"size_mib\":16,\"readonly\":False},{\"image\":\"small\",\"readonly\":False}],[\"br0\"],\"on-failure\",True) else 1)' $T/body"
check "waferctl vm create: the same file again is not sent (the host has it)" bash -c "${W[*]} --fingerprint $FP vm create fl2 --kernel $T/vmlinuz.local 2>$T/fl2.err | grep -q fl2 && grep -q 'is on the host already as $HNAME' $T/fl2.err && ! grep -q uploading $T/fl2.err"
check "waferctl vm create: bad flags are usage errors naming the flag (exit 2)" bash -c "for a in '--vcpus abc' '--memory 0' '--bogus 1' '--restart sometimes' '--kernel'; do ${W[*]} --fingerprint $FP vm create fl3 \$a 2>$T/fl3.err; test \$? = 2 || exit 1; grep -q -- \"\${a%% *}\" $T/fl3.err || exit 1; done; ${W[*]} --fingerprint $FP vm create fl3 2>$T/fl3.err; test \$? = 2 && grep -q 'kernel is needed' $T/fl3.err"
check "waferctl vm create: a path that is no file is said so (exit 2), nothing created" bash -c "${W[*]} --fingerprint $FP vm create fl5 --kernel $T/no-such-vmlinuz 2>$T/fl5.err; test \$? = 2 && grep -q 'no-such-vmlinuz is not a file' $T/fl5.err && test \"\$(c admin $URL/api/v1/vms/fl5)\" = 404"
echo '{"name":"fl4","vcpus":1,"memory_mib":64,"boot":{"kernel":"small"}}' > $T/fl4.json
check "waferctl vm create --spec FILE.json and the older vm create FILE.json" bash -c "${W[*]} --fingerprint $FP vm create --spec $T/fl4.json | grep -q fl4 && ${W[*]} --fingerprint $FP vm rm fl4 && ${W[*]} --fingerprint $FP vm create $T/fl4.json | grep -q fl4"
# 80 columns, names for scripts, bash completion
c admin -X POST -d "{\"name\":\"$(printf 'w%.0s' $(seq 64))\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"small\"},\"autostart\":true}" $URL/api/v1/vms >/dev/null
check "waferctl vm list and host fit 80 columns (COLUMNS=80), a 64-character name cut with ~" bash -c "COLUMNS=80 ${W[*]} --fingerprint $FP vm list > $T/list80 && COLUMNS=80 ${W[*]} --fingerprint $FP host > $T/host80 && test \$(wc -l < $T/list80) -ge 4 && ! awk 'length > 80' $T/list80 $T/host80 | grep -q . && grep -q 'www~' $T/list80 && grep -q web1 $T/list80"
check "waferctl vm names / image names: one name a line" bash -c "${W[*]} --fingerprint $FP vm names > $T/vmnames && grep -qx web1 $T/vmnames && grep -qx fl1 $T/vmnames && ${W[*]} --fingerprint $FP image names | grep -qx small"
${W[*]} completion bash > $T/completion.bash
cat > $T/comp-test.sh <<EOF_COMP
. $T/completion.bash
COMP_WORDS=($CTL vm st); COMP_CWORD=2; _waferctl
[ "\${COMPREPLY[*]}" = "start stop" ] || { echo "vm st: \${COMPREPLY[*]}"; exit 1; }
COMP_WORDS=($CTL --fingerprint $FP vm start fl); COMP_CWORD=5; _waferctl
[[ " \${COMPREPLY[*]} " == *" fl1 "* && " \${COMPREPLY[*]} " != *web1* ]] || { echo "vm start fl: \${COMPREPLY[*]}"; exit 2; }
COMP_WORDS=($CTL --fingerprint $FP image rm sm); COMP_CWORD=5; _waferctl
[ "\${COMPREPLY[*]}" = small ] || { echo "image rm sm: \${COMPREPLY[*]}"; exit 3; }
COMP_WORDS=($CTL vm create x --res); COMP_CWORD=4; _waferctl
[ "\${COMPREPLY[*]}" = --restart ] || { echo "vm create --res: \${COMPREPLY[*]}"; exit 4; }
COMP_WORDS=($CTL fleet up); COMP_CWORD=2; _waferctl
[ "\${COMPREPLY[*]}" = update ] || { echo "fleet up: \${COMPREPLY[*]}"; exit 5; }
EOF_COMP
check "waferctl completion bash: valid bash that completes commands, vm actions, VM names and image names from the host" bash -c "bash -n $T/completion.bash && WAFER_HOST=127.0.0.1:$PORT WAFER_CERT=$PKI/admin.pem WAFER_KEY=$PKI/admin.key bash $T/comp-test.sh > $T/comp.out 2>&1 || { cat $T/comp.out; false; }"
for v in fl1 fl2 fl4 $(printf 'w%.0s' $(seq 64)); do c admin -X DELETE $URL/api/v1/vms/$v >/dev/null; done
check "waferctl snapshot create/list/revert/rm: table, messages; usage errors exit 2" bash -c "${W[*]} --fingerprint $FP snapshot create web1 c1 > $T/sn.out && grep -q '^snapshot c1 of web1 taken: disks only, ' $T/sn.out && ${W[*]} --fingerprint $FP snapshot list web1 > $T/snl.out && grep -qE '^NAME +TAKEN \(UTC\) +VM WAS +MEMORY' $T/snl.out && grep -qE '^c1 +20[0-9-]+ [0-9:]+ +stopped +no ' $T/snl.out && ${W[*]} --fingerprint $FP snapshot names web1 | grep -qx c1 && ${W[*]} --fingerprint $FP snapshot revert web1 c1 | grep -qx 'web1 reverted to snapshot c1: stopped' && ${W[*]} --fingerprint $FP snapshot rm web1 c1 | grep -qx 'snapshot c1 of web1 deleted' && ! ${W[*]} --fingerprint $FP snapshot names web1 | grep -qx c1"
check "waferctl snapshot: usage errors exit 2, an invalid name or an unknown snapshot exit 1 with the host's reason" bash -c "{ ${W[*]} snapshot create web1 2>/dev/null; test \$? = 2; } && { ${W[*]} snapshot revert web1 c1 extra 2>/dev/null; test \$? = 2; } && { ${W[*]} --fingerprint $FP snapshot create web1 .x 2>$T/snx.err; test \$? = 1; } && grep -q 'is invalid' $T/snx.err && { ${W[*]} --fingerprint $FP snapshot rm web1 nope 2>$T/sne.err; test \$? = 1; } && grep -q \"no snapshot 'nope'\" $T/sne.err"
check "waferctl vm rm" bash -c "${W[*]} --fingerprint $FP vm rm web1 && test ! -e $T/data/wafer/vms/$VMID.json"
check "waferctl image rm after the VM is gone" bash -c "${W[*]} --fingerprint $FP image rm kern"
check "waferctl events lists the kept events and exits (image upload, VM deletion)" bash -c "timeout 10 ${W[*]} --fingerprint $FP events > $T/ev.out && grep -qE '^[0-9]+ +[0-9-]+ [0-9:]+  image\.uploaded +small ' $T/ev.out && grep -qE ' vm\.deleted +$VMID' $T/ev.out"
check "waferctl events --json: one JSON event per line" bash -c "timeout 10 ${W[*]} --fingerprint $FP --json events --since 1 > $T/ev.json && test -s $T/ev.json && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' $T/ev.json && ! grep -q '\"seq\":1,' $T/ev.json"
check "waferctl events --since abc: usage error (exit 2)" bash -c "${W[*]} --fingerprint $FP events --since abc 2>/dev/null; test \$? = 2"
check "GET /api/v1/events?follow=0 ends after the kept events" bash -c "curl -s -m 5 --cacert $T/config/identity/host.pem --cert $PKI/reader.pem --key $PKI/reader.key '$URL/api/v1/events?since=0&follow=0' | grep -q '^data: '"

# --- slow client does not block others
exec 3<>/dev/tcp/127.0.0.1/$PORT
check "another client is served while one stalls" test "$(c admin $URL/api/v1/host)" = 200
exec 3<&-
check "agent still alive" kill -0 $AGENT_PID

# --- many concurrent mTLS connections (TLS 1.3 keeps PSA keys per connection;
# a fixed key store of 32 slots failed most handshakes beyond ~8 connections)
LOAD=$B/bin/host/wafer-tlsload
check "15 concurrent keep-alive mTLS clients: every handshake and request succeeds" bash -c \
	"$LOAD rps 127.0.0.1 $PORT /api/v1/host $PKI/admin.pem $PKI/admin.key 15 2 | tee $T/load.txt | grep -q ' errors=0 '"
cat $T/load.txt

# --- host updates (docs/updates.md): a temporary folder as the ESP, a
# command line saying slot A via GRUB, small bundles signed by a test key
SIGN=$B/bin/host/wafer-sign
U=$T/upd
mkdir -p $T/esp/grub $T/esp/A $T/esp/B $U
$SIGN keygen $U/rel.key $T/etc/release.pub.pem >/dev/null
echo 0.1.0 > $T/etc/version; echo 0.1.0 > $T/esp/A/version; echo 0.1.0 > $T/esp/B/version
head -c 300000 /dev/urandom > $U/vmlinuz; head -c 500001 /dev/urandom > $U/initramfs.img
python3 -c 'import sys; b="# GRUB Environment Block\ncommitted=A\n"; open(sys.argv[1],"w").write(b+"#"*(1024-len(b)))' $T/esp/grub/grubenv
mk() { $SIGN sign --key $U/rel.key --board $1 --version $2 --kernel $U/vmlinuz --initramfs $U/initramfs.img -o $U/$3 >/dev/null; }
mk x86_64 0.2.0 new.update; mk x86_64 0.0.9 old.update; mk arm64 0.2.0 arm.update
cp $U/new.update $U/bad.update; printf '\x01' | dd of=$U/bad.update bs=1 seek=300 conv=notrunc 2>/dev/null
echo "wafer.slot=A wafer.boot=grub-bios" > $T/cmdline
stop_agent
AGENT_EXTRA=(--esp-dir $T/esp --cmdline $T/cmdline)
start_agent
post() { c $1 -X POST --data-binary @$U/$2 -H 'Content-Type: application/octet-stream' "$URL/api/v1/host/update${3:-}"; }
no_new() { test ! -e $T/esp/B/vmlinuz.new && test ! -e $T/esp/B/initramfs.img.new && ! grep -q trying=B $T/esp/grub/grubenv; }
export -f post no_new
export U
# waferctl fleet update: a host already at the bundle's version is skipped,
# an unreachable one stops the run (the rest not tried)
mk x86_64 0.1.0 same.update
CFU=$T/fleetupd.conf
for h in u1:$PORT u2:1 u3:$PORT; do $CTL --config $CFU context add ${h%%:*} -H 127.0.0.1:${h#*:} --cert $PKI/admin.pem --key $PKI/admin.key --fingerprint $FP >/dev/null; done
check "waferctl fleet update: u1 already at 0.1.0 skipped, stopped at u2 (unreachable), u3 not tried (exit 1)" bash -c "$CTL --config $CFU --timeout 2 fleet update $U/same.update > $T/fu.out 2>&1; rc=\$?; cat $T/fu.out; test \$rc = 1 && grep -q 'u1: already runs version 0.1.0' $T/fu.out && grep -q '^fleet update: stopped at u2: ' $T/fu.out && grep -q '^  not tried: u3\$' $T/fu.out && grep -q '^  updated: none\$' $T/fu.out"
check "waferctl fleet update: a file that is no bundle is refused before any host (exit 1); no file, or --stop-vms with --suspend-vms, is a usage error (exit 2)" bash -c "$CTL --config $CFU fleet update $T/kernel.img > $T/fu2.out 2>&1; test \$? = 1 && grep -q 'is not an update bundle' $T/fu2.out && ! grep -q u1 $T/fu2.out && { $CTL --config $CFU fleet update --stop-vms > /dev/null 2>&1; test \$? = 2; } && $CTL --config $CFU fleet update $U/same.update --stop-vms --suspend-vms 2>&1 | grep -q 'exclude each other'"
check "update: GET shows slot A committed, steady" bash -c "test \"\$(c reader $URL/api/v1/host/update)\" = 200 && body_has '\"committed\":\"A\"' && body_has '\"outcome\":\"steady\"' && body_has '\"B\":{\"version\":\"0.1.0\"}'"
head -c 1000 $U/new.update > $U/head.update   # (a refusal before the body: small enough to be buffered)
check "update: reader certificate: 403" test "$(post reader head.update)" = 403
check "update: bundle for arm64: 422, nothing written" bash -c "test \"\$(post admin arm.update)\" = 422 && body_has \"for board 'arm64'\"" 
check "update: older version: 422" bash -c "test \"\$(post admin old.update)\" = 422 && body_has 'older than the running version 0.1.0'"
check "waferctl host update: older version refused with the reason, exit 1" bash -c "! ${W[*]} --fingerprint $FP host update $U/old.update > $T/ctl.out 2>&1 && grep -q 'older than the running version 0.1.0' $T/ctl.out && grep -q 'sent 100%' $T/ctl.out"
check "update: bad signature: 400, nothing written" bash -c "test \"\$(post admin bad.update)\" = 400 && body_has 'bundle: ' && no_new"
check "update: chunked body: 400" test "$(c admin -X POST -H 'Transfer-Encoding: chunked' --data-binary @$U/new.update $URL/api/v1/host/update)" = 400
check "update: 0.2.0: 200, slot B written and tried" bash -c "test \"\$(post admin new.update)\" = 200 && body_has '\"slot\":\"B\"' && body_has '\"previous_version\":\"0.1.0\"' && cmp -s $U/vmlinuz $T/esp/B/vmlinuz && cmp -s $U/initramfs.img $T/esp/B/initramfs.img && grep -q '^0.2.0$' $T/esp/B/version && grep -q '^trying=B$' $T/esp/grub/grubenv && grep -q '^tries_left=3$' $T/esp/grub/grubenv"
check "update: a second one while the try is pending: 409" bash -c "test \"\$(post admin new.update)\" = 409 && body_has 'being tried'"
check "update: the task host-update succeeded" bash -c "c reader $URL/api/v1/tasks >/dev/null; python3 -c 'import json,sys; t=[x for x in json.load(open(sys.argv[1]))[\"tasks\"] if x[\"kind\"]==\"host-update\" and x[\"state\"]==\"succeeded\"]; sys.exit(0 if t and t[0][\"done\"]==t[0][\"total\"] else 1)' $T/body"
check "waferctl host update-status: pending" bash -c "${W[*]} --fingerprint $FP host update-status | grep -q 'state        pending; committed A, trying B'"

# --- the host certificate: one year by default, renewed through the API
days_left() { python3 -c 'import json,sys,datetime as d; a=json.load(open(sys.argv[1]))["certificate"]["not_after"]; print((d.datetime.strptime(a,"%Y-%m-%dT%H:%M:%SZ")-d.datetime.utcnow()).days)' $T/body; }
export -f days_left
check "host certificate valid for about a year (GET /host certificate.not_after)" bash -c "test \"\$(c reader $URL/api/v1/host)\" = 200 && d=\$(days_left) && test \$d -ge 363 -a \$d -le 365"
check "renew by a reader: 403" test "$(c reader -X POST -d '{}' $URL/api/v1/host/certificate/renew)" = 403
check "renew with a bad days: 400" test "$(c admin -X POST -d '{"days":0}' $URL/api/v1/host/certificate/renew)" = 400
check "renew for 30 days: 200 with a new fingerprint" bash -c "test \"\$(c admin -X POST -d '{\"days\":30}' $URL/api/v1/host/certificate/renew)\" = 200 && NEWFP=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"fingerprint\"])' $T/body) && test -n \"\$NEWFP\" -a \"\$NEWFP\" != '$FP' && echo \$NEWFP > $T/newfp"
check "the next handshake presents the renewed certificate (30 days, same key, status file updated)" bash -c "test \"\$(c reader $URL/api/v1/host)\" = 200 && d=\$(days_left) && test \$d -ge 28 -a \$d -le 30 && grep -q \"fingerprint\\\":\\\"\$(cat $T/newfp)\" $T/body && grep -q \"^fingerprint=\$(cat $T/newfp)\$\" $T/run/status/agent && openssl x509 -in $T/config/identity/host.pem -noout -fingerprint -sha256 | grep -q \"\$(cat $T/newfp)\" && openssl s_client -connect 127.0.0.1:$PORT -cert $PKI/reader.pem -key $PKI/reader.key </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | grep -q \"\$(cat $T/newfp)\""

# --- every JSON response of this test against docs/openapi.yaml
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
$ROOT/tests/openapi/check-responses $ROOT/docs/openapi.yaml $T/responses > $T/openapi.out 2>&1; rc=$?
grep -v ' match$' $T/openapi.out | sed 's/^/     /'
check "every JSON response matches the schema docs/openapi.yaml gives its path and status" test $rc = 0

echo "itest: $passes passed, $fails failed"
[ $fails -eq 0 ] || { echo "--- agent log"; tail -40 $T/agent.log; }
[ $fails -eq 0 ]
