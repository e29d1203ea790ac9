# t60-flash-usb: scripts/flash-usb refuses what it must (a regular file, a
# partition, a non-removable disk without --force, a mounted disk, the system
# disk, a too small disk, bad --config/--ca files, no confirmation) without
# writing a byte; writes a loop device (bmap) and a file (dd), verifies them,
# pre-seeds wafer.conf and a CA; and the written stick boots with that
# hostname and a closed enrollment (the CA is in its trust store), attached
# as a USB stick on xHCI.
. tests/system/lib.sh

FLASH=scripts/flash-usb
loops=() mnt=""
flash_cleanup() {
	[ -z "$mnt" ] || { umount "$mnt" 2>/dev/null; rmdir "$mnt" 2>/dev/null; }
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
}
trap '_rc=$?; flash_cleanup; (exit $_rc); _cleanup' EXIT

# expect_refusal MESSAGE_REGEX ARGS...: flash-usb fails and says why.
expect_refusal() {
	local re=$1; shift
	if $FLASH "$@" > "$T/out.log" 2>&1 < /dev/null; then
		cat "$T/out.log"; fail "flash-usb $* succeeded; expected a refusal /$re/"
	fi
	grep -qE "$re" "$T/out.log" || { cat "$T/out.log"; fail "flash-usb $*: refusal without /$re/"; }
}
sum() { sha256sum "$1" | cut -d' ' -f1; }

printf 'hostname = stick-07\n# pre-seeded by flash-usb\n' > "$T/wafer.conf"
cp "$DEV_PKI/ca.pem" "$T/farm-ca.pem"
head -c 3000 /dev/urandom > "$T/binary.conf"

# --- refusals that need no device ---
truncate -s 100M "$T/file.img"
before=$(sum "$T/file.img")
expect_refusal 'not a block device .*--i-know-this-is-a-file' --yes "$IMAGE" "$T/file.img"
expect_refusal 'no such device' --yes "$IMAGE" /dev/wafer-no-such-disk
expect_refusal 'not a text file' --yes --i-know-this-is-a-file --config "$T/binary.conf" "$IMAGE" "$T/file.img"
expect_refusal 'not a PEM certificate' --yes --i-know-this-is-a-file --ca "$T/wafer.conf" "$IMAGE" "$T/file.img"
expect_refusal 'add --yes' --i-know-this-is-a-file "$IMAGE" "$T/file.img"
expect_refusal 'is the image itself' --yes --i-know-this-is-a-file "$IMAGE" "$IMAGE"
[ "$(sum "$T/file.img")" = "$before" ] || fail "a refused run changed the target file"
pass "refusals without a device: nothing written"

root_src=$(findmnt -no SOURCE / 2>/dev/null || true)
if [ -b "$root_src" ]; then
	root_disk=$(lsblk -s -nrpo NAME,TYPE "$root_src" | awk '$2 == "disk" { print $1; exit }')
	# --dry-run: even a wrong check could not write to the system disk.
	expect_refusal "holds /: refusing" --dry-run --yes --force "$IMAGE" "$root_disk"
	pass "system disk $root_disk refused (even with --force)"
else
	log "/ is not on a block device here ($root_src): system-disk refusal not tested"
fi

# --- loop devices ---
if ! losetup -f >/dev/null 2>&1; then
	log "no loop devices here: loop-device tests skipped"
else
	head -c 100M /dev/urandom > "$T/stick.img"      # an old stick full of data
	loop=$(losetup -f --show "$T/stick.img") || fail "losetup failed"
	loops+=("$loop")
	before=$(sum "$T/stick.img")
	expect_refusal 'not a removable disk .*--force' --yes "$IMAGE" "$loop"
	[ "$(sum "$T/stick.img")" = "$before" ] || fail "a refused run changed the loop device"
	truncate -s 32M "$T/small.img"
	small=$(losetup -f --show "$T/small.img"); loops+=("$small")
	expect_refusal 'holds 33554432 bytes, the image needs' --yes --force "$IMAGE" "$small"
	pass "non-removable refused without --force, too small refused"

	t0=$(date +%s.%N)
	$FLASH --yes --force --config "$T/wafer.conf" --ca "$T/farm-ca.pem" "$IMAGE" "$loop" > "$T/flash.log" 2>&1 \
		|| { cat "$T/flash.log"; fail "flash-usb to $loop failed"; }
	t1=$(date +%s.%N)
	grep -q 'verified .* read back' "$T/flash.log" || fail "no read-back verification reported"
	[ -f "$IMAGE.bmap" ] && { grep -q 'bmaptool' "$T/flash.log" || fail "the .bmap was not used"; }
	pass "loop device written, verified, config pre-seeded in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

	# Partitions of the written stick (needs the loop driver's partition scan).
	losetup -d "$loop"; loops=("$small")
	loop=$(losetup -P -f --show "$T/stick.img"); loops+=("$loop")
	sleep 1
	if [ -b "${loop}p3" ]; then
		expect_refusal 'is a partition; give the whole disk' --yes --force "$IMAGE" "${loop}p3"
		pass "partition refused"
	else
		log "no loop partition scanning on this kernel: partition refusal not tested"
	fi
	# A mounted disk (a whole-disk ext4 filesystem here) is refused even with --force.
	truncate -s 80M "$T/mounted.img"
	mkfs.ext4 -q -F "$T/mounted.img" || fail "mkfs.ext4 failed"
	mloop=$(losetup -f --show "$T/mounted.img"); loops+=("$mloop")
	mnt=$(mktemp -d)
	if mount -t ext4 "$mloop" "$mnt" 2>/dev/null; then
		echo "keep me" > "$mnt/keep"
		expect_refusal "is in use: $mloop on $mnt .*unmount it first" --yes --force "$IMAGE" "$mloop"
		umount "$mnt"
		e2fsck -fn "$T/mounted.img" >/dev/null 2>&1 || fail "the mounted disk is damaged after the refusal"
		[ "$(debugfs -R 'cat /keep' "$T/mounted.img" 2>/dev/null)" = "keep me" ] || fail "the mounted disk lost its data"
		pass "mounted disk refused even with --force"
	else
		log "cannot mount ext4 here: mounted-disk refusal not tested"
	fi
	rmdir "$mnt"; mnt=""
	# What the stick's config partition holds.
	mcopy -n -i "$T/stick.img@@$(_cfg_off)M" ::/wafer.conf - | cmp -s - "$T/wafer.conf" || fail "wafer.conf not on the stick"
	mcopy -n -i "$T/stick.img@@$(_cfg_off)M" ::/trust/farm-ca.pem - | cmp -s - "$T/farm-ca.pem" || fail "trust/farm-ca.pem not on the stick"
	for l in "${loops[@]}"; do losetup -d "$l"; done; loops=()

	# The stick boots as a USB stick (xHCI) with the pre-seeded settings and trust store.
	DISK_BUS=usb-xhci qemu_start stick bios
	wait_log stick 'Boot medium sd[a-z] \(USB .*\) (found|appeared only) after' 150 \
		|| fail "the flashed stick was not found as a USB medium"
	wait_log stick 'host stick-07' 150 || fail "the flashed stick did not boot with hostname stick-07"
	wait_log stick 'Enrollment +closed' 90 || fail "enrollment not closed: the pre-seeded CA was not picked up"
	pass "flashed stick boots from USB: hostname stick-07, trust store from --ca (enrollment closed)"
	qemu_kill stick
fi

# --- a regular file with the test switch, plain dd ---
$FLASH --yes --i-know-this-is-a-file --no-bmap "$IMAGE" "$T/file.img" > "$T/file.log" 2>&1 \
	|| { cat "$T/file.log"; fail "flash-usb to a file failed"; }
grep -q 'writing with dd' "$T/file.log" || fail "--no-bmap did not use dd"
cmp -n "$(stat -c %s "$IMAGE")" "$IMAGE" "$T/file.img" || fail "the file differs from the image"
pass "regular file written with dd and verified"
