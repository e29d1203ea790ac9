# t61-pxe-config: the PXE config archive of `make pxe-config` (image/mk-pxe-config):
# bad inputs are refused; iPXE (QEMU's TFTP) loads boot-config.ipxe, which
# loads config.img as a second initrd, and the host comes up stateless with
# the archive's hostname and trust store (enrollment closed). (iPXE prints on
# the VGA console only: the hostname is the proof that config.img was loaded.)
. tests/system/lib.sh

MK=image/mk-pxe-config
mkdir -p "$T/pxe"
printf 'hostname = pxe-farm-12\nipv6 = off\n' > "$T/wafer.conf"
mkdir -p "$T/trust"
cp "$DEV_PKI/ca.pem" "$T/trust/farm-ca.pem"
head -c 2000 /dev/urandom > "$T/binary.conf"

expect_refusal() {
	local re=$1; shift
	if $MK "$@" > "$T/out.log" 2>&1; then cat "$T/out.log"; fail "mk-pxe-config $* succeeded"; fi
	grep -qE "$re" "$T/out.log" || { cat "$T/out.log"; fail "mk-pxe-config $*: no /$re/"; }
}
expect_refusal 'no such file' "$T/pxe" "$T/missing.conf" "$PXE_DIR/boot.ipxe"
expect_refusal 'not a text file' "$T/pxe" "$T/binary.conf" "$PXE_DIR/boot.ipxe"
expect_refusal 'not a PEM certificate' "$T/pxe" "$T/wafer.conf" "$PXE_DIR/boot.ipxe" "$T/wafer.conf"
expect_refusal 'TRUST=.*no such file or folder' "$T/pxe" "$T/wafer.conf" "$PXE_DIR/boot.ipxe" "$T/nothing"
[ ! -e "$T/pxe/config.img" ] || fail "a refused run left a config.img"
pass "bad CONF/TRUST refused, nothing written"

$MK "$T/pxe" "$T/wafer.conf" "$PXE_DIR/boot.ipxe" "$T/trust" > "$T/mk.log" 2>&1 || { cat "$T/mk.log"; fail "mk-pxe-config failed"; }
list=$(cpio -it --quiet < "$T/pxe/config.img" | tr '\n' ' ')
[ "$list" = "etc etc/wafer etc/wafer/trust etc/wafer/trust/farm-ca.pem etc/wafer/wafer.conf " ] \
	|| fail "config.img holds: $list"
grep -q '^initrd config.img$' "$T/pxe/boot-config.ipxe" || fail "boot-config.ipxe does not load config.img"
pass "config.img: $list"

# The PXE folder of the test: the build's kernel and initramfs, the config
# archive, and boot-config.ipxe as the DHCP boot file (QEMU: boot.ipxe).
cp "$PXE_DIR/vmlinuz" "$PXE_DIR/initramfs.img" "$T/pxe/"
cp "$T/pxe/boot-config.ipxe" "$T/pxe/boot.ipxe"
PXE_DIR=$T/pxe
t0=$(date +%s.%N)
qemu_start farm pxe
wait_log farm 'slot pxe( via pxe)? +host pxe-farm-12' 150 || fail "no banner with the archive's hostname"
wait_log farm 'Storage +stateless' 10 || fail "not stateless"
wait_log farm 'Enrollment +closed' 90 || fail "enrollment not closed: the archive's trust store was not used"
t1=$(date +%s.%N)
pass "PXE host up stateless with hostname pxe-farm-12 and the archive's CA after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
# A stateless host has no slot to write: the update API says so and refuses
# a real bundle (409) without touching anything.
port=$(api_port farm)
A=(--cert "$DEV_PKI/admin.pem" --key "$DEV_PKI/admin.key")
for i in $(seq 30); do
	curl -sk -m 10 "${A[@]}" -o "$T/upd.json" "https://127.0.0.1:$port/api/v1/host/update" 2>/dev/null && grep -q stateless "$T/upd.json" && break
	sleep 2
done
grep -q '"stateless":true' "$T/upd.json" || fail "GET /api/v1/host/update on a PXE host: $(head -c 300 "$T/upd.json")"
bundle=$(ls "$B"/wafer-*-*.update | head -n1)
code=$(curl -sk -m 120 "${A[@]}" -o "$T/post.json" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
	--data-binary "@$bundle" "https://127.0.0.1:$port/api/v1/host/update?force=1" 2>/dev/null)
[ "$code" = 409 ] && grep -q "no slot to update" "$T/post.json" || fail "POST of $bundle on a PXE host: HTTP $code $(head -c 300 "$T/post.json")"
pass "update API on a stateless host: GET says stateless, POST refused (409: $(grep -o '"message":"[^"]*"' "$T/post.json"))"
qemu_kill farm
