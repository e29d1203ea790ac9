# image/layout.sh: the one description of the boot medium's GPT layout.
# Sourced by image/mk-image, scripts/flash-usb and the system tests; wafer-init
# finds the partitions by these GPT names, never by number or device name.
# Sizes in MiB. The data partition takes the rest and grows on first boot.
WAFER_IMG_MIB=64
WAFER_ALIGN_MIB=1
# 1: GRUB's core.img for PC BIOS (no filesystem)
WAFER_BIOSBOOT_NAME=BIOSBOOT
WAFER_BIOSBOOT_MIB=1
WAFER_BIOSBOOT_TYPE=EF02
# 2: EFI system partition, FAT32: bootloaders, slots A/ and B/, A/B state
WAFER_BOOT_NAME=WAFERBOOT
WAFER_BOOT_MIB=46
WAFER_BOOT_TYPE=EF00
# 3: configuration, FAT (FAT12/16: too small for FAT32): wafer.conf, trust/, identity/
WAFER_CFG_NAME=WAFERCFG
WAFER_CFG_MIB=4
WAFER_CFG_TYPE=0700
# 4: data, ext4: the default datastore
WAFER_DATA_NAME=WAFERDATA
WAFER_DATA_TYPE=8300
