# t13-media-disks: the image written to the disks servers boot from comes up
# on its own medium: NVMe, SATA (AHCI), a SAS HBA (LSI MegaRAID, megasas) and
# an SD card (SDHCI), and virtio through U-Boot (whose script names the disk
# too). Prints boot-to-banner and the time init waited per bus.
. tests/system/lib.sh
. tests/system/agent-lib.sh
. tests/system/media-lib.sh

for bf in ${MEDIA_BUSES:-nvme:bios sata:bios sas:bios sd:bios virtio:uboot}; do
	media_boot "${bf%%:*}" "${bf#*:}"
done
