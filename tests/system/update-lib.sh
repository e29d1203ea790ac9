# tests/system/update-lib.sh: test update bundles (t65-update, t66-update-rollback),
# sourced after lib.sh. Made here from the build, never in the product image:
# the build's kernel (pxe/vmlinuz) and slot initramfs followed by a small
# overlay archive whose files override the image's (the kernel unpacks the
# archives in order; later files win), signed with wafer-sign and the
# development release key like `make update` signs the real bundle.
#   upd_bundle NAME VERSION [OVERLAY_DIR] [wafer-sign options...]  -> $T/NAME.update
#   upd_build_all          every bundle the tests use (below), about 1 s each
#   upd_post BUNDLE [QUERY]  POST /api/v1/host/update (after agent-lib.sh's agent_boot)
#   upd_status REGEX...    GET /api/v1/host/update flattened to key=value lines matches
#   upd_mark NAME / upd_wait NAME REGEX SECS   console text after the mark
#
# The overlay is zstd-compressed: a plain cpio appended to the zstd initramfs
# is ignored by the kernel (see init-lib.sh).
SIGN=$B/bin/host/wafer-sign
RELEASE_KEY=$DEV_PKI/release.key
RELEASE_PUB=$B/release/release.pub.pem
for f in "$SIGN" "$RELEASE_KEY" "$RELEASE_PUB" "$PXE_DIR/vmlinuz" "$B/slot/initramfs.img"; do
	[ -e "$f" ] || fail "$f missing (make image host-tools)"
done
VER_N=$(cat VERSION)
# N+1: the last number bumped (0.1.0 -> 0.1.1).
VER_N1=${VER_N%.*}.$(( ${VER_N##*.} + 1 ))
VER_OLD=0.0.0
[ "$VER_N" != "$VER_OLD" ] || fail "VERSION is $VER_OLD: no older version to test with"

# upd_bundle NAME VERSION [OVERLAY_DIR|-] [extra wafer-sign options]: sign
# kernel + (initramfs [+ overlay]) as $T/NAME.update.
upd_bundle() {
	local name=$1 ver=$2 ov=${3:--}; shift 3 2>/dev/null || shift $#
	local key=$RELEASE_KEY board=x86_64 args=()
	while [ $# -gt 0 ]; do
		case $1 in
		--key) key=$2; shift 2;;
		--board) board=$2; shift 2;;
		*) args+=("$1"); shift;;
		esac
	done
	cp "$B/slot/initramfs.img" "$T/$name.initrd"
	if [ "$ov" != - ]; then
		overlay_cpio "$ov" "$T/$name.ov.cpio"
		zstd -q -f "$T/$name.ov.cpio" -o "$T/$name.ov.zst" || fail "zstd failed"
		cat "$T/$name.ov.zst" >> "$T/$name.initrd"
		rm -f "$T/$name.ov.cpio" "$T/$name.ov.zst"
	fi
	"$SIGN" sign --key "$key" --board "$board" --version "$ver" --kernel "$PXE_DIR/vmlinuz" \
		--initramfs "$T/$name.initrd" "${args[@]}" -o "$T/$name.update" > "$T/sign-$name.log" 2>&1 \
		|| { cat "$T/sign-$name.log"; fail "wafer-sign for $name failed"; }
	rm -f "$T/$name.initrd"
}

# _ov NAME: an overlay folder with /etc/wafer/version = the bundle's version.
_ov() {
	rm -rf "$T/ov-$1"; mkdir -p "$T/ov-$1/etc/wafer"
	echo "$2" > "$T/ov-$1/etc/wafer/version"
	echo "$T/ov-$1"
}

# The bundles:
#   n1          version N+1, /etc/wafer/version N+1: a good update
#   unhealthy   version N+1 whose agent exits at once (wafer-agent is a link
#               to BusyBox, which has no such applet): never commits
#   panic       version N+1 whose /init is not executable: the kernel panics
#               ("No working init found"; panic=10 reboots)
#   badsig      n1 with one byte of its signature flipped
#   truncated   the first half of n1
#   board       n1's payload signed for board arm64
#   foreignkey  n1's payload signed with a fresh key the image does not trust
#   older       version 0.0.0
upd_build_all() {
	local d
	d=$(_ov n1 "$VER_N1"); upd_bundle n1 "$VER_N1" "$d"
	d=$(_ov unhealthy "$VER_N1"); mkdir -p "$d/usr/bin"; ln -s /bin/busybox "$d/usr/bin/wafer-agent"
	upd_bundle unhealthy "$VER_N1" "$d"
	d=$(_ov panic "$VER_N1"); printf 'not an executable\n' > "$d/init"; chmod 0644 "$d/init"
	upd_bundle panic "$VER_N1" "$d"
	cp "$T/n1.update" "$T/badsig.update"
	# the signature block starts at 256 (2-byte length, then DER): flip a byte of r
	local off=266 byte
	byte=$(od -An -tu1 -j $off -N1 "$T/badsig.update" | tr -d ' ')
	printf "$(printf '\\%03o' $(( byte ^ 0x5a )))" | dd of="$T/badsig.update" bs=1 seek=$off conv=notrunc status=none
	cmp -s "$T/n1.update" "$T/badsig.update" && fail "badsig bundle not changed"
	head -c $(( $(stat -c %s "$T/n1.update") / 2 )) "$T/n1.update" > "$T/truncated.update"
	d=$(_ov board "$VER_N1"); upd_bundle board "$VER_N1" "$d" --board arm64
	"$SIGN" keygen "$T/foreign.key" "$T/foreign.pub.pem" > /dev/null 2>&1 || fail "wafer-sign keygen failed"
	d=$(_ov foreignkey "$VER_N1"); upd_bundle foreignkey "$VER_N1" "$d" --key "$T/foreign.key"
	d=$(_ov older "$VER_OLD"); upd_bundle older "$VER_OLD" "$d"
	# The good ones verify with the image's key; the refused ones do not (or are for another board/version).
	local b
	for b in n1 unhealthy panic older; do
		"$SIGN" verify --pub "$RELEASE_PUB" --board x86_64 "$T/$b.update" > /dev/null 2>&1 || fail "bundle $b does not verify"
	done
	for b in badsig truncated foreignkey; do
		"$SIGN" verify --pub "$RELEASE_PUB" --board x86_64 "$T/$b.update" > "$T/verify-$b.log" 2>&1 \
			&& fail "bundle $b verifies: not a refusal test"
	done
	"$SIGN" verify --pub "$RELEASE_PUB" --board x86_64 "$T/board.update" > /dev/null 2>&1 && fail "board bundle accepted for x86_64"
	log "bundles: $(for b in n1 unhealthy panic badsig truncated board foreignkey older; do printf '%s=%s ' $b "$(stat -c %s "$T/$b.update")"; done)"
}

# upd_state IMG CMD...: wafer-abstate on the image's GRUB state (copied out and back).
upd_state() {
	local img=$1; shift
	img_get_boot "$img" grub/grubenv "$T/grubenv" || fail "cannot read grub/grubenv"
	"$B/bin/host/wafer-abstate" grub "$T/grubenv" "$@" > "$T/abstate.out" 2>&1 \
		|| { cat "$T/abstate.out"; fail "wafer-abstate $* failed"; }
	[ "$1" = show ] || img_put_boot "$img" "$T/grubenv" grub/grubenv
}

# upd_conf IMG LINES...: wafer.conf on the image's config partition.
upd_conf() {
	local img=$1; shift
	printf '%s\n' "$@" > "$T/wafer.conf"
	img_put_config "$img" "$T/wafer.conf" wafer.conf
}

# upd_post BUNDLE [QUERY]: POST $T/BUNDLE.update; prints the HTTP status, the
# reply in $T/body (removed first: curl leaves no file for an empty reply).
upd_post() {
	rm -f "$T/body"
	curl -sk -m 300 -o "$T/body" -w '%{http_code}' "${A[@]}" -H 'Content-Type: application/octet-stream' \
		--data-binary "@$T/$1.update" "$URL/api/v1/host/update${2:-}" 2>/dev/null
}
upd_msg() { jget '["error"]["message"]' 2>/dev/null || head -c 300 "$T/body" 2>/dev/null || echo "(no reply body)"; }

# upd_status REGEX...: every REGEX matches a line of GET /api/v1/host/update
# flattened to key=value ("slots.B.version=0.1.1", "last_update=null",
# booleans true/false); the lines stay in $T/upd.kv. 1 with the reason otherwise.
upd_status() {
	local c re
	c=$(curl -sk -m 10 -o "$T/body" -w '%{http_code}' "${A[@]}" "$URL/api/v1/host/update" 2>/dev/null)
	[ "$c" = 200 ] || { echo "GET /api/v1/host/update: HTTP $c: $(head -c 300 "$T/body" 2>/dev/null)"; return 1; }
	python3 - "$T/body" > "$T/upd.kv" <<'PY'
import json, sys
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(p + k + ".", x)
    else:
        print(p[:-1] + "=" + ("null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)))
walk("", json.load(open(sys.argv[1])))
PY
	for re in "$@"; do grep -qxE "$re" "$T/upd.kv" || { echo "no /$re/ in: $(tr '\n' ' ' < "$T/upd.kv")"; return 1; }; done
}

# upd_wait_status SECS REGEX...: poll upd_status until it matches.
upd_wait_status() {
	local secs=$1 end; shift
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt $end ]; do
		upd_status "$@" > /dev/null 2>&1 && return 0
		sleep 1
	done
	upd_status "$@"
}

# upd_mark NAME: remember the console log's length; upd_wait NAME REGEX SECS:
# wait for REGEX in the text written after the mark (across reboots).
upd_mark() { stat -c %s "$T/$1.log" > "$T/$1.mark"; }
upd_since() { tail -c +$(( $(cat "$T/$1.mark") + 1 )) "$T/$1.log"; }
upd_wait() {
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt $end ]; do
		upd_since "$1" | grep -aqE "$2" && return 0
		qemu_alive "$1" || { log "QEMU $1 exited"; return 1; }
		sleep 0.25
	done
	log "timeout after ${3}s waiting for /$2/ on $1; last lines:"
	tail -n 15 "$T/$1.log" | cut -c1-200
	return 1
}
