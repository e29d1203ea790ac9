# t11-image-layout: the image is at most 64 MiB, has the documented GPT
# partitions (names, types, filesystem labels), both slots, the default
# config, and a manifest that lists exactly the files in the initramfs with
# their SHA-256.
. tests/system/lib.sh

size=$(stat -c %s "$IMAGE")
[ "$size" -le $((64 * 1024 * 1024)) ] || fail "image is $size bytes, more than 64 MiB"
pass "image size $size bytes <= 64 MiB"

sgdisk -p "$IMAGE" > "$T/gpt.txt" || fail "sgdisk cannot read the GPT"
check_part() { # number type name
	grep -qE "^ +$1 +[0-9]+ +[0-9]+ .* $2 +$3\$" "$T/gpt.txt" || { cat "$T/gpt.txt"; fail "partition $1 is not $2 $3"; }
}
check_part 1 "$WAFER_BIOSBOOT_TYPE" "$WAFER_BIOSBOOT_NAME"
check_part 2 "$WAFER_BOOT_TYPE" "$WAFER_BOOT_NAME"
check_part 3 "$WAFER_CFG_TYPE" "$WAFER_CFG_NAME"
check_part 4 "$WAFER_DATA_TYPE" "$WAFER_DATA_NAME"
pass "GPT partitions: $(grep -cE '^ +[0-9]' "$T/gpt.txt")"

boot_off=$(( (WAFER_ALIGN_MIB + WAFER_BIOSBOOT_MIB) * 1048576 ))
cfg_off=$(( boot_off + WAFER_BOOT_MIB * 1048576 ))
data_off=$(( cfg_off + WAFER_CFG_MIB * 1048576 ))
dd if="$IMAGE" of="$T/boot.fat" bs=1M skip=$((boot_off / 1048576)) count=$WAFER_BOOT_MIB status=none
file -s "$T/boot.fat" | grep -q 'FAT (32 bit)' || fail "boot partition is not FAT32: $(file -s "$T/boot.fat")"
[ "$(mlabel -s -i "$T/boot.fat" :: | sed 's/.*is //; s/ *$//')" = "$WAFER_BOOT_NAME" ] || fail "boot FS label is not $WAFER_BOOT_NAME"
for f in /EFI/BOOT/BOOTX64.EFI /grub/grub.cfg /grub/grubenv /boot.scr /A/vmlinuz /A/initramfs.img /B/vmlinuz /B/initramfs.img; do
	mdir -i "$T/boot.fat" "::$f" >/dev/null 2>&1 || fail "boot partition lacks $f"
done
[ "$(mdir -i "$T/boot.fat" -b ::/grub/grubenv >/dev/null; mtype -i "$T/boot.fat" ::/grub/grubenv | wc -c)" -eq 1024 ] || fail "grubenv is not 1024 bytes"
pass "boot partition: FAT32 '$WAFER_BOOT_NAME' with bootloaders and slots A and B"

dd if="$IMAGE" of="$T/cfg.fat" bs=1M skip=$((cfg_off / 1048576)) count=$WAFER_CFG_MIB status=none
[ "$(mlabel -s -i "$T/cfg.fat" :: | sed 's/.*is //; s/ *$//')" = "$WAFER_CFG_NAME" ] || fail "config FS label is not $WAFER_CFG_NAME"
mtype -i "$T/cfg.fat" ::/wafer.conf | grep -q '^# wafer.conf' || fail "config partition lacks the commented wafer.conf"
mdir -i "$T/cfg.fat" ::/trust >/dev/null 2>&1 || fail "config partition lacks trust/"
pass "config partition: '$WAFER_CFG_NAME' with wafer.conf and trust/"

dd if="$IMAGE" of="$T/data.ext4" bs=1M skip=$((data_off / 1048576)) count=8 status=none
file -s "$T/data.ext4" | grep -q 'ext4 filesystem data' || fail "data partition is not ext4: $(file -s "$T/data.ext4")"
file -s "$T/data.ext4" | grep -q "volume name \"$WAFER_DATA_NAME\"" || fail "data FS label is not $WAFER_DATA_NAME"
pass "data partition: ext4 '$WAFER_DATA_NAME'"

# Manifest: every file in the initramfs is listed with its hash, nothing more.
mkdir -p "$T/initramfs"
zstd -dc "$B/pxe/initramfs.img" | (cd "$T/initramfs" && cpio --quiet -id) || fail "cannot unpack the initramfs"
cmp -s "$T/initramfs/etc/wafer/manifest.json" "$B/manifest.json" || fail "initramfs manifest differs from $B/manifest.json"
(cd "$T/initramfs" && find . -type f ! -path ./etc/wafer/manifest.json | sed 's|^\.||' | LC_ALL=C sort | while read -r f; do
	printf '%s %s\n' "$f" "$(sha256sum < ".$f" | cut -d' ' -f1)"; done) > "$T/actual"
grep -oE '"type": "file", "name": "[^"]+", "hashes": \[\{"alg": "SHA-256", "content": "[0-9a-f]+"' "$B/manifest.json" \
	| sed -E 's/.*"name": "([^"]+)".*"content": "([0-9a-f]+)"/\1 \2/' | grep -v '^/boot/' | LC_ALL=C sort > "$T/listed"
diff "$T/listed" "$T/actual" > "$T/diff" || { head -20 "$T/diff"; fail "manifest and initramfs differ"; }
n=$(wc -l < "$T/actual")
[ "$n" -gt 50 ] || fail "only $n files in the initramfs?"
for c in '"name": "busybox"' '"name": "mbedtls"' '"name": "musl"' '"name": "linux-image-'; do
	grep -q "$c" "$B/manifest.json" || fail "manifest lacks component $c"
done
grep -q '"name": "/boot/vmlinuz", "hashes": \[{"alg": "SHA-256", "content": "'"$(sha256sum < "$B/slot/vmlinuz" | cut -d' ' -f1)" "$B/manifest.json" \
	|| fail "manifest lacks the slot kernel's hash"
pass "manifest lists all $n initramfs files with matching SHA-256, the kernel and the Debian packages"
