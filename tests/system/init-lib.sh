# tests/system/init-lib.sh: helpers for the wafer-init system tests
# (t30-init-*.sh), on top of lib.sh. The test overlay adds the test-only
# program wafer-testhook as /usr/libexec/wafer/test-hook, which wafer-init
# runs as a service; it acts on init from outside (kill a service, request a
# reboot over init.sock, dump the log ring) and prints "test-hook:" lines on
# the console. Never part of the product image.

TESTHOOK=$B/bin/wafer-testhook
[ -x "$TESTHOOK" ] || fail "$TESTHOOK missing (make $TESTHOOK)"

# testhook_overlay OUT ACTIONS [DIR]: a zstd cpio with the hook and its actions
# (a plain cpio appended to a zstd initramfs is ignored by the kernel). DIR,
# if given, is merged in (e.g. etc/wafer/wafer.conf for a PXE config archive).
testhook_overlay() {
	local out=$1 actions=$2 dir=${3:-}
	local o="$T/overlay.$$"
	rm -rf "$o"; mkdir -p "$o/usr/libexec/wafer"
	cp "$TESTHOOK" "$o/usr/libexec/wafer/test-hook"
	[ -z "$actions" ] || printf '%s\n' "$actions" > "$o/usr/libexec/wafer/test-hook.actions"
	[ -z "$dir" ] || cp -a "$dir/." "$o/"
	overlay_cpio "$o" "$o.cpio"
	zstd -q -f "$o.cpio" -o "$out" || fail "zstd failed"
	rm -rf "$o" "$o.cpio"
}

# img_add_overlay IMGNAME ACTIONS: append the hook overlay to slot A's initramfs.
img_add_overlay() {
	local img="$T/$1.img"
	img_get_boot "$img" A/initramfs.img "$T/initramfs.img" || fail "cannot read A/initramfs.img"
	testhook_overlay "$T/hook.cpio.zst" "$2"
	cat "$T/hook.cpio.zst" >> "$T/initramfs.img"
	img_put_boot "$img" "$T/initramfs.img" A/initramfs.img
}

# since_mark NAME: log text written after the last `mark NAME`.
mark() { stat -c %s "$T/$1.log" > "$T/$1.mark"; }
since_mark() { tail -c +$(( $(cat "$T/$1.mark") + 1 )) "$T/$1.log"; }

# wait_since NAME REGEX SECONDS: like wait_log, only in text after the mark.
wait_since() {
	local i=0
	while [ $i -lt $(($3 * 4)) ]; do
		since_mark "$1" | grep -aqE "$2" && return 0
		sleep 0.25; i=$((i + 1))
	done
	return 1
}

# data_sizes IMG: prints "PART_MIB FS_MIB" for the WAFERDATA partition and its ext4.
data_sizes() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
f = open(sys.argv[1], 'rb')
f.seek(512); h = f.read(92)
assert h[:8] == b'EFI PART', 'no GPT'
lba, n, esz = struct.unpack('<Q', h[72:80])[0], *struct.unpack('<II', h[80:88])
f.seek(lba * 512); ents = f.read(n * esz)
for i in range(n):
    e = ents[i*esz:(i+1)*esz]
    name = e[56:128].decode('utf-16le').rstrip('\0')
    if name == 'WAFERDATA':
        first, last = struct.unpack('<QQ', e[32:48])
        f.seek(first * 512 + 1024); sb = f.read(1024)
        blocks = struct.unpack('<I', sb[4:8])[0]; bs = 1024 << struct.unpack('<I', sb[24:28])[0]
        print((last - first + 1) * 512 >> 20, blocks * bs >> 20)
PY
}

# last_screen NAME: the most recent status screen on the console (text after
# the last clear-screen sequence).
last_screen() {
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.split(b"\x1b[2J")[-1].decode("utf-8", "replace"))' "$T/$1.log"
}
