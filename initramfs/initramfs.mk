# initramfs/initramfs.mk
