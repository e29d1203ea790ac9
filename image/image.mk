# image/image.mk: the bootable GPT image, the PXE artefacts and the bootloaders.

IMAGE        := $(B)/wafer-$(BOARD).img
BOOTLOADERS_DIR := $(B)/bootloaders
BOOT_CMDLINE ?= console=tty1 console=ttyS0,115200 quiet panic=10
BOOTLOADER_FILES := $(BOOTLOADERS_DIR)/core.img $(BOOTLOADERS_DIR)/BOOTX64.EFI \
	$(BOOTLOADERS_DIR)/grub.cfg $(BOOTLOADERS_DIR)/boot.scr
PXE_DIR      := $(B)/pxe

$(BOOTLOADER_FILES) &: image/mk-bootloaders image/grub.cfg image/grub-early.cfg image/u-boot.cmd $(DEPS)/.stamp image/image.mk
	@echo "  BOOT    GRUB (BIOS, UEFI), U-Boot script"
	$(Q)image/mk-bootloaders $(BOOTLOADERS_DIR) $(abspath $(DEPS_ROOT)) "$(BOOT_CMDLINE)"

# The manifest describes the staged initramfs plus the slot's kernel and the
# bootloaders; the same file is packed into the initramfs for the API.
$(B)/manifest.json: $(B)/initramfs/.staged $(KERNEL) $(BOOTLOADER_FILES) $(DEPS)/.stamp scripts/mk-manifest
	@echo "  MANIFEST $@"
	$(Q)scripts/mk-manifest $@ "$(VERSION)" "$(BOARD)" $(DEPS)/packages.tsv $(INITRAMFS_STAGE) \
		$(KERNEL):/boot/$(KERNEL_IMAGE) $(foreach f,$(BOOTLOADER_FILES),$(f):/boot/$(notdir $(f)))

$(B)/slot/vmlinuz: $(KERNEL)
	@mkdir -p $(@D)
	$(Q)cp $< $@
$(B)/slot/version: VERSION
	@mkdir -p $(@D)
	$(Q)echo "$(VERSION)" > $@

$(IMAGE): $(B)/slot/vmlinuz $(B)/slot/version $(INITRAMFS) $(BOOTLOADER_FILES) image/mk-image image/layout.sh image/wafer.conf
	@echo "  IMAGE   $@"
	$(Q)image/mk-image $@ $(B)/slot $(BOOTLOADERS_DIR) image/wafer.conf
	@k() { echo $$(( $$(stat -c %s "$$1" 2>/dev/null || echo 0) / 1024 )); }; \
		echo "  $@: $$(( $$(k $@) / 1024 )) MiB; slot: kernel $$(k $(B)/slot/vmlinuz) KiB, initramfs $$(k $(INITRAMFS)) KiB"

$(PXE_DIR)/.stamp: $(B)/slot/vmlinuz $(INITRAMFS) image/boot.ipxe
	@mkdir -p $(PXE_DIR)
	$(Q)cp $(B)/slot/vmlinuz $(PXE_DIR)/vmlinuz
	$(Q)cp $(INITRAMFS) $(PXE_DIR)/initramfs.img
	$(Q)sed "s|@CMDLINE@|$(BOOT_CMDLINE)|g" image/boot.ipxe > $(PXE_DIR)/boot.ipxe
	$(Q)touch $@

image: $(IMAGE) $(PXE_DIR)/.stamp $(B)/manifest.json
.PHONY: image
