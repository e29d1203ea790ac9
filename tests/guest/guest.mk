# tests/guest/guest.mk: the test guest (system tests only): the demo guest's
# BusyBox (demo-guest/busybox.config), /init, the virtio modules and
# wafer-guest-tool, packed as a cpio;
# plus the shared part of the outer test cpio that boots the appliance kernel
# with wafer-vmm (tests/system/t40-vmm-*.sh).

GUEST_DIR   := $(B)/guest
# GUEST_MODULES and guest_copy_modules: demo-guest/demo-guest.mk
# Modules the outer test system (the appliance kernel in QEMU) needs.
VMMTEST_MODULES := virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp \
                   arch/x86/kvm/kvm-amd drivers/net/tun net/llc/llc net/802/stp net/bridge/bridge \
                   drivers/net/tap drivers/vhost/vhost_iotlb drivers/vhost/vhost drivers/vhost/vhost_net

$(GUEST_DIR)/wafer-guest-tool: tests/guest/wafer-guest-tool.c $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(MUSL_CC) $(TARGET_CFLAGS) $(TARGET_LDFLAGS) -o $@ $<

$(GUEST_DIR)/initrd.cpio.gz: tests/guest/init $(GUEST_DIR)/wafer-guest-tool $(B)/busybox-guest/busybox tests/guest/guest.mk $(DEPS)/.stamp
	@echo "  GUEST   $@"
	$(Q)rm -rf $(GUEST_DIR)/root && mkdir -p $(GUEST_DIR)/root/{bin,dev,proc,sys,etc,tmp}
	$(Q)cp $(B)/busybox-guest/busybox tests/guest/init $(GUEST_DIR)/wafer-guest-tool $(GUEST_DIR)/root/bin/
	$(Q)mv $(GUEST_DIR)/root/bin/init $(GUEST_DIR)/root/init
	$(call guest_copy_modules,$(GUEST_DIR)/root/lib/modules,$(GUEST_MODULES))
	$(Q)cd $(GUEST_DIR)/root && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n > ../initrd.cpio.gz

# Shared outer root: busybox (with sh), modules, wafer-vmm, guest kernel + initrd.
# Each t40 test adds its /test/run script and packs the cpio itself.
$(GUEST_DIR)/outer/.stamp: $(GUEST_DIR)/initrd.cpio.gz $(B)/bin/wafer-vmm $(B)/busybox-guest/busybox $(KERNEL)
	@echo "  VMMTEST $(GUEST_DIR)/outer"
	$(Q)rm -rf $(GUEST_DIR)/outer && mkdir -p $(GUEST_DIR)/outer/{bin,dev,proc,sys,tmp,run,test,guest}
	$(Q)cp $(B)/busybox-guest/busybox $(B)/bin/wafer-vmm $(GUEST_DIR)/vmmctl $(GUEST_DIR)/outer/bin/
	$(Q)cp $(KERNEL) $(GUEST_DIR)/outer/guest/vmlinuz
	$(Q)cp $(GUEST_DIR)/initrd.cpio.gz $(GUEST_DIR)/outer/guest/initrd
	$(call guest_copy_modules,$(GUEST_DIR)/outer/lib/modules,$(VMMTEST_MODULES))
	$(Q)touch $@

guest: $(GUEST_DIR)/initrd.cpio.gz $(GUEST_DIR)/outer/.stamp
.PHONY: guest

VMMCTL_CLI_SRCS := tests/guest/vmmctl-cli.c lib/vmmctl.c $(LIB_JSON_SRCS)
$(GUEST_DIR)/vmmctl: $(call target_objs,$(VMMCTL_CLI_SRCS)) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(filter %.o,$^)
$(GUEST_DIR)/outer/.stamp: $(GUEST_DIR)/vmmctl
