# t13-media-wait: how init picks and waits for its medium.
# - a USB stick that appears 12 s after boot (hot-plugged through QMP) while
#   the command line names it (wafer.medium=GUID): the status screen says what
#   init waits for, the stick is used, the late arrival is reported with the
#   time; without wafer.medium= a stick present from the start is found by
#   searching;
# - two disks carry Wafer partitions (a second stick with other GUIDs, then
#   a clone with the same GUIDs): both are named on the status screen and the
#   disk the bootloader read wins over the one first by name;
# - a medium whose WAFERCFG is damaged beyond repair still boots, says why on
#   the screen and runs stateless, and its data partition is left untouched.
. tests/system/lib.sh
. tests/system/init-lib.sh

guid=$(sgdisk -i 2 "$IMAGE" | sed -n 's/^Partition unique GUID: //p')
[ -n "$guid" ] || fail "cannot read the WAFERBOOT GUID of $IMAGE"

# --- late stick: the kernel and initramfs of the image, the stick plugged in later ---
cp "$IMAGE" "$T/late-stick.img"; truncate -s 1G "$T/late-stick.img"
qemu_direct late "$PXE_DIR/initramfs.img" "wafer.slot=A wafer.boot=grub-bios quiet wafer.medium=$guid" \
	-device qemu-xhci,id=xhci -drive "if=none,id=stick,file=$T/late-stick.img,format=raw,cache=unsafe"
wait_log late 'slot A booting' 120 || fail "no banner"
wait_log late "waiting for the boot medium with boot partition $guid \([0-9]+ s of at most 60 s\)" 30 \
	|| fail "the status screen does not say what init waits for"
sleep 10
qmp late '{"execute":"device_add","arguments":{"driver":"usb-storage","bus":"xhci.0","drive":"stick","removable":true}}'
wait_log late 'Boot medium sd[a-z] \(USB .*\) appeared only after [0-9]+ ms' 60 \
	|| fail "the late stick was not used, or its late arrival not reported"
ms=$(grep -aoE 'appeared only after [0-9]+ ms' "$T/late.log" | grep -oE '[0-9]+')
[ "$ms" -ge 10000 ] || fail "init says it waited $ms ms for a stick plugged in after 10 s"
wait_log late 'Storage +sd[a-z] \(USB' 60 || fail "the late stick is not the medium on the status screen"
grep -aq 'running stateless' "$T/late.log" && fail "init gave up before the stick came"
pass "stick plugged in 10 s after boot: waited for by GUID (shown on screen), used, reported after $ms ms"
qemu_kill late

# --- no hint (a manual boot): a USB stick present from the start is found once USB has settled ---
cp "$IMAGE" "$T/nohint-stick.img"; truncate -s 1G "$T/nohint-stick.img"
qemu_direct nohint "$PXE_DIR/initramfs.img" "wafer.slot=A wafer.boot=grub-bios quiet" \
	$(disk_args usb-xhci "$T/nohint-stick.img")
wait_log nohint 'Boot medium sd[a-z] \(USB .*\) (found|appeared only) after [0-9]+ ms' 120 \
	|| fail "without wafer.medium= the USB stick was not found"
wait_log nohint 'Storage +sd[a-z] \(USB' 60 || fail "the stick is not the medium on the status screen"
pass "no wafer.medium= on the command line: the USB stick is found by searching ($(grep -aoE 'after [0-9]+ ms' "$T/nohint.log" | head -n1))"
qemu_kill nohint
rm -f "$T/nohint-stick.img"

# --- two disks: the booted NVMe disk and a second stick on SATA (sorts first as sda) ---
cp "$IMAGE" "$T/two.img"; truncate -s 1G "$T/two.img"
cp "$IMAGE" "$T/other.img"; truncate -s 1G "$T/other.img"
sgdisk -G "$T/other.img" > /dev/null || fail "sgdisk -G failed"   # new disk and partition GUIDs
DISK_BUS=nvme qemu_start two bios -drive "if=none,id=other,file=$T/other.img,format=raw,cache=unsafe" \
	-device ide-hd,drive=other,bus=ide.1
wait_log two 'Boot medium nvme0n1 \(NVMe' 120 || fail "the disk the bootloader read (NVMe) is not the medium"
wait_log two '! sda also carry Wafer partitions; using nvme0n1, the disk the bootloader booted from' 30 \
	|| fail "the second disk with Wafer partitions is not named on the status screen"
pass "two disks with Wafer partitions: the booted nvme0n1 wins over sda, both named on the screen"
qemu_kill two

# --- a clone: same GUIDs on both disks; the bootloader's GUID cannot tell them apart ---
cp "$T/two.img" "$T/clone.img"
cp "$IMAGE" "$T/other.img"; truncate -s 1G "$T/other.img"
DISK_BUS=nvme qemu_start clone bios -drive "if=none,id=other,file=$T/other.img,format=raw,cache=unsafe" \
	-device ide-hd,drive=other,bus=ide.1
wait_log clone "! [a-z0-9]+ and [a-z0-9]+ both carry the boot partition the bootloader named \(${guid,,}\): a cloned stick\?" 120 \
	|| fail "a cloned stick is not reported"
pass "cloned stick (same GUIDs) reported on the status screen"
qemu_kill clone
rm -f "$T/two.img" "$T/clone.img" "$T/other.img" "$T/late-stick.img"

# --- WAFERCFG damaged beyond repair (its FAT boot sector and tables zeroed) ---
img_copy bad 1024
data_off=$((WAFER_ALIGN_MIB + WAFER_BIOSBOOT_MIB + WAFER_BOOT_MIB + WAFER_CFG_MIB))
dd if=/dev/zero of="$T/bad.img" bs=64K count=4 seek=$(( $(_cfg_off) * 16 )) conv=notrunc status=none
before=$(dd if="$T/bad.img" bs=1M skip="$data_off" status=none | sha256sum)
qemu_start bad bios
wait_log bad 'Storage +stateless \(config partition damaged\)' 120 || fail "a damaged WAFERCFG did not lead to stateless"
wait_log bad "! config partition WAFERCFG on sda is damaged beyond repair.*running stateless" 10 \
	|| wait_log bad "! config partition WAFERCFG on vda is damaged beyond repair.*running stateless" 5 \
	|| fail "the status screen does not say why the host runs stateless"
wait_log bad 'Services +.*wafer-agent up' 90 || fail "the agent did not start on the stateless host"
qemu_kill bad
[ "$(dd if="$T/bad.img" bs=1M skip="$data_off" status=none | sha256sum)" = "$before" ] \
	|| fail "the data partition of the damaged medium was written"
pass "damaged WAFERCFG: boots stateless, says why on the screen, data partition untouched"
