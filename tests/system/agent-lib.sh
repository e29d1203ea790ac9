# tests/system/agent-lib.sh: the shared setup of the agent's system tests
# (t51-t53), sourced after lib.sh: an image copy that trusts the development
# CA, booted in QEMU with the API up, and the curl/waferctl helpers.
#   agent_img box          $T/box.img: 1 GiB copy of the image, dev CA in trust/
#   agent_boot box         boot it (BIOS) and wait for the API; sets PORT URL FP W
#   code ARGS...           curl with the admin certificate; body in $T/body, prints the status
#   openapi_check          every JSON response code() got matches docs/openapi.yaml
#   jget '["key"]'         a value of the JSON in $T/body
CTL=$B/bin/host/waferctl
PKI=$DEV_PKI
GUEST_DIR=$B/guest/outer/guest
[ -x "$CTL" ] && [ -f "$PKI/ca.pem" ] || fail "needs make host-tools"
[ -f "$GUEST_DIR/vmlinuz" ] && [ -f "$GUEST_DIR/initrd" ] || fail "needs the test guest ($GUEST_DIR)"
A=(--cert "$PKI/admin.pem" --key "$PKI/admin.key")
URL=

# On failure, keep the host's log ring (agent, VMM lines) with the test's logs.
fail() {
	[ -z "$URL" ] || curl -sk -m 10 "${A[@]}" "$URL/api/v1/host/logs" > "$T/hostlog.log" 2>/dev/null
	echo "FAIL: $TEST_NAME: $*"; _failed=1; exit 1
}
code() {
	local out rc rec
	rm -f "$T/body"   # curl leaves no file for an empty reply: no stale body
	out=$(curl -sk -m 60 -o "$T/body" -w '%{http_code} %{method} %{url_effective} %{content_type}' "${A[@]}" "$@" 2>/dev/null)
	rc=$?
	[ -e "$T/body" ] || : > "$T/body"
	# complete replies are kept for openapi_check (their schemas in docs/openapi.yaml)
	if [ $rc = 0 ]; then
		mkdir -p "$T/responses"; rec=$T/responses/$(date +%s%N)-$BASHPID-$RANDOM
		echo "$out" > "$rec.meta" && cp "$T/body" "$rec.body"
	fi
	printf '%s' "${out%% *}"
}
# Every JSON response code() received against docs/openapi.yaml (running VMs'
# isolation and cgroup fields, which the local itest cannot produce).
openapi_check() {
	tests/openapi/check-responses docs/openapi.yaml "$T/responses" > "$T/openapi.log" 2>&1 ||
		fail "responses that do not match docs/openapi.yaml: $(grep FAIL "$T/openapi.log" | head -5)"
	pass "$(tail -1 "$T/openapi.log")"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$T/body" "$1"; }

agent_img() {
	img_copy "$1" 1024
	img_mkdir_config "$T/$1.img" trust
	img_put_config "$T/$1.img" "$PKI/ca.pem" trust/dev-ca.pem
}

agent_boot() {
	qemu_start "$1" bios
	PORT=$(api_port "$1")
	URL=https://127.0.0.1:$PORT
	for _ in $(seq 120); do [ "$(code "$URL/api/v1/host")" = 200 ] && break; sleep 1; done
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "API did not come up with the pre-installed CA"
	FP=$(jget '["fingerprint"]')
	W=("$CTL" -H "127.0.0.1:$PORT" "${A[@]}" --fingerprint "$FP")
}
