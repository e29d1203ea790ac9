# demo-guest/demo-guest.mk: the demo guest (`make demo-guest`, part of `make`):
# the appliance's own Debian kernel and a BusyBox initramfs with a shell on
# the serial console, DHCP on eth0 and a web page (README, "Your first VM").
# Its BusyBox (demo-guest/busybox.config) and the virtio modules it loads are
# also the test guest's (tests/guest/guest.mk).

DEMO_DIR := $(B)/demo
# The module folder is found when the recipe runs: make caches folder listings
# made before the packages were unpacked (clean builds).
GUEST_MODS  := $(DEPS_ROOT)/usr/lib/modules/$$(ls $(DEPS_ROOT)/usr/lib/modules | head -n1)/kernel
GUEST_MODULES := net/core/failover drivers/net/net_failover drivers/net/virtio_net \
                 drivers/block/virtio_blk drivers/virtio/virtio_balloon \
                 drivers/char/hw_random/virtio-rng drivers/acpi/button drivers/input/evdev

# $(1): dest dir, $(2): module paths relative to $(GUEST_MODS)
define guest_copy_modules
	$(Q)mkdir -p $(1)
	$(Q)for m in $(2); do xz -dc $(GUEST_MODS)/$$m.ko.xz > $(1)/$$(basename $$m).ko; done
endef

DEMO_FILES := demo-guest/init demo-guest/inittab demo-guest/rcS demo-guest/udhcpc.script \
              demo-guest/page demo-guest/profile demo-guest/demo-guest.mk
$(DEMO_DIR)/initrd.img: $(DEMO_FILES) $(B)/busybox-guest/busybox $(DEPS)/.stamp
	@echo "  DEMO    $@"
	$(Q)rm -rf $(DEMO_DIR)/root && mkdir -p $(DEMO_DIR)/root/{bin,dev,proc,sys,tmp,run,etc/init.d,usr/share/udhcpc,usr/share/demo}
	$(Q)cp $(B)/busybox-guest/busybox $(DEMO_DIR)/root/bin/
	$(Q)install -m 755 demo-guest/init $(DEMO_DIR)/root/init
	$(Q)install -m 755 demo-guest/rcS $(DEMO_DIR)/root/etc/init.d/rcS
	$(Q)install -m 644 demo-guest/inittab demo-guest/profile $(DEMO_DIR)/root/etc/
	$(Q)install -m 755 demo-guest/udhcpc.script $(DEMO_DIR)/root/usr/share/udhcpc/default.script
	$(Q)install -m 755 demo-guest/page $(DEMO_DIR)/root/usr/share/demo/page
	$(call guest_copy_modules,$(DEMO_DIR)/root/lib/modules,$(GUEST_MODULES))
	$(Q)cd $(DEMO_DIR)/root && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n > ../initrd.img.tmp
	$(Q)mv $(DEMO_DIR)/initrd.img.tmp $@

$(DEMO_DIR)/vmlinuz: $(KERNEL)
	@mkdir -p $(@D)
	$(Q)cp $< $@

demo-guest: $(DEMO_DIR)/vmlinuz $(DEMO_DIR)/initrd.img
.PHONY: demo-guest
