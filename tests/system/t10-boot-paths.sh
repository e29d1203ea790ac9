# t10-boot-paths: the image boots through all four boot paths (legacy BIOS via
# SeaBIOS, UEFI via OVMF, U-Boot's qemu-x86_64 ROM, PXE via iPXE and QEMU's
# TFTP), and each path reaches wafer-init's banner for the expected slot.
. tests/system/lib.sh

for fw in bios uefi uboot pxe; do
	slot=A; [ $fw = pxe ] && slot=pxe
	[ $fw = pxe ] || img_copy $fw
	t0=$(date +%s.%N)
	qemu_start $fw $fw
	wait_log $fw "Wafer [0-9][^ ]* \(x86_64\) slot $slot booting" 120 || fail "$fw: no banner for slot $slot"
	t1=$(date +%s.%N)
	pass "$fw: banner for slot $slot after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	qemu_kill $fw
done
