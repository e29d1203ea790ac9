# mk/kernel.mk: Debian's signed kernel and the board's modules.
# The kernel version is read from the unpacked linux-image package when a
# recipe runs (not with $(wildcard): make caches folder listings made before
# the packages were unpacked); the modules listed in board/$(BOARD)/modules are
# copied with their dependencies and depmod'ed.

KVER_SH = $$(ls $(DEPS_ROOT)/usr/lib/modules | head -n1)
KERNEL := $(B)/kernel/$(KERNEL_IMAGE)
MODULES_ROOT := $(B)/kernel/modules

$(KERNEL): $(DEPS)/.stamp
	@mkdir -p $(@D)
	$(Q)k=$$(ls $(DEPS_ROOT)/boot/$(KERNEL_IMAGE)-* 2>/dev/null | head -n1); \
		[ -n "$$k" ] || { echo "kernel image $(KERNEL_IMAGE)-* not found in $(DEPS_ROOT)/boot"; exit 1; }; \
		cp "$$k" $@.tmp && mv $@.tmp $@

$(MODULES_ROOT)/.stamp: $(DEPS)/.stamp $(MODULE_LIST) scripts/select-modules
	@echo "  MODULES $(MODULE_LIST)"
	$(Q)scripts/select-modules $(DEPS_ROOT)/usr "$(KVER_SH)" $(MODULE_LIST) $(MODULES_ROOT)
	$(Q)touch $@

kernel: $(KERNEL) $(MODULES_ROOT)/.stamp
.PHONY: kernel
