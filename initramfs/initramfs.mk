# initramfs/initramfs.mk: assembles the appliance initramfs from wafer-init,
# BusyBox, the board's kernel modules, our programs and the build manifest.
include initramfs/init/init.mk
