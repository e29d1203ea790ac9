# mk/busybox.mk
