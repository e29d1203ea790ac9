# image/u-boot.cmd: U-Boot boot script of a Wafer image (compiled to boot.scr).
# The A/B state machine of docs/updates.md, kept in the text file
# /uboot-ab.env on the boot partition (committed, trying, tries_left; the
# agent's attempted and attempted_version are carried along: docs/updates.md).
setenv committed A
setenv trying
setenv tries_left 0
setenv wafer_dev "${devtype} ${devnum}:${distro_bootpart}"
if load ${wafer_dev} ${scriptaddr} /uboot-ab.env; then
	env import -t ${scriptaddr} ${filesize} committed trying tries_left attempted attempted_version
fi
if test "${committed}" != "B"; then setenv committed A; fi
setenv slot ${committed}
if test "${trying}" = "A" || test "${trying}" = "B"; then
	if test "${tries_left}" = "3"; then setenv tries_left 2; setenv slot ${trying};
	elif test "${tries_left}" = "2"; then setenv tries_left 1; setenv slot ${trying};
	elif test "${tries_left}" = "1"; then setenv tries_left 0; setenv slot ${trying};
	else setenv trying; setenv tries_left 0; fi
	env export -t ${scriptaddr} committed trying tries_left attempted attempted_version
	fatwrite ${wafer_dev} ${scriptaddr} /uboot-ab.env ${filesize}
fi
# The initrd goes at 512 MiB, far above the decompressed kernel (Debian's kernel
# needs about 60 MiB from 16 MiB up); U-Boot's ramdisk_addr_r (64 MiB) is too low.
setenv wafer_initrd_addr 0x20000000
echo "Wafer: booting slot ${slot}"
# The disk U-Boot read is the medium: init waits for the disk whose boot
# partition has this unique GUID (docs/boot.md "Boot medium").
setenv wafer_medium
part uuid ${wafer_dev} wafer_medium
setenv bootargs "wafer.slot=${slot} wafer.boot=u-boot wafer.medium=${wafer_medium} @CMDLINE@"
if load ${wafer_dev} ${kernel_addr_r} /${slot}/vmlinuz; then
	if load ${wafer_dev} ${wafer_initrd_addr} /${slot}/initramfs.img; then
		zboot ${kernel_addr_r} - ${wafer_initrd_addr} ${filesize}
	fi
fi
echo "Wafer: slot ${slot} failed to load"
reset
