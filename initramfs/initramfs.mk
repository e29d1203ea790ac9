# initramfs/initramfs.mk: assembles the appliance initramfs from wafer-init,
# BusyBox, the board's kernel modules, our programs and the build manifest.
#
# Components add their programs with
#   INITRAMFS_FILES += BUILT_FILE:PATH_IN_INITRAMFS
# (included before this file by the top Makefile).
include initramfs/init/init.mk

INITRAMFS_FILES += $(B)/bin/wafer-init:init
INITRAMFS_STAGE := $(B)/initramfs/root
INITRAMFS       := $(B)/slot/initramfs.img
INITRAMFS_SRCS  := $(foreach f,$(INITRAMFS_FILES),$(word 1,$(subst :, ,$(f))))

$(B)/initramfs/.staged: $(INITRAMFS_SRCS) $(B)/busybox/.checked $(MODULES_ROOT)/.stamp \
		initramfs/initramfs.mk initramfs/stage VERSION
	@echo "  STAGE   initramfs"
	$(Q)initramfs/stage $(INITRAMFS_STAGE) $(MODULES_ROOT) $(B)/busybox "$(VERSION)" "$(BOARD)" $(INITRAMFS_FILES)
	$(Q)touch $@

$(INITRAMFS): $(B)/manifest.json
	@echo "  CPIO    $@"
	@mkdir -p $(@D)
	$(Q)cp $(B)/manifest.json $(INITRAMFS_STAGE)/etc/wafer/manifest.json
	$(Q)scripts/mk-cpio $(INITRAMFS_STAGE) | zstd -q -19 -T2 > $@.tmp
	$(Q)mv $@.tmp $@

initramfs: $(INITRAMFS)
.PHONY: initramfs
