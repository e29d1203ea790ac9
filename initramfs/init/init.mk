# initramfs/init/init.mk: wafer-init program and its unit tests (init engineer)
