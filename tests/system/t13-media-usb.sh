# t13-media-usb: the image written to a USB stick boots from it and comes up
# on its own medium: xHCI with BIOS and with UEFI, EHCI, and USB attached SCSI
# (UAS) on xHCI. Prints boot-to-banner and the time init waited per bus.
. tests/system/lib.sh
. tests/system/agent-lib.sh
. tests/system/media-lib.sh

for bf in ${MEDIA_BUSES:-usb-xhci:bios usb-xhci:uefi usb-ehci:bios usb-uas:bios}; do
	media_boot "${bf%%:*}" "${bf#*:}"
done
