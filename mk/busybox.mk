# mk/busybox.mk: BusyBox from trixie's source package, built static with musl.
# Two configurations kept in the tree:
#   initramfs/busybox.config  the appliance: only the applets it uses, no shell,
#                             no login/getty/telnetd applets
#   demo-guest/busybox.config  the demo guest and the test guest (never in the
#                             image): with a shell, httpd, udhcpc

BUSYBOX_SRC := $(DEPS)/src/busybox

# $(1): build folder name, $(2): config file
define busybox_build
$(B)/$(1)/busybox: $(2) $(DEPS)/.stamp $(TOOLCHAIN)/.stamp mk/busybox.mk
	@echo "  BUSYBOX $(2)"
	$(Q)mkdir -p $(B)/$(1)
	$(Q)cp $(2) $(B)/$(1)/.config
	$(Q){ yes "" || true; } | $(MAKE) -s -C $(BUSYBOX_SRC) O=$(abspath $(B)/$(1)) oldconfig >$(B)/$(1)/build.log 2>&1
	$(Q)cmp -s <(grep '^CONFIG_' $(2)) <(grep '^CONFIG_' $(B)/$(1)/.config) \
		|| { echo "$(2) is not complete for this BusyBox version: update it from $(B)/$(1)/.config (make oldconfig answered every new option with its default)"; diff $(2) $(B)/$(1)/.config | head; exit 1; }
	$(Q)$(MAKE) -s -C $(B)/$(1) CC="$(MUSL_CC)" HOSTCC=$(HOST_CC) SKIP_STRIP=n busybox >>$(B)/$(1)/build.log 2>&1 \
		|| { tail -20 $(B)/$(1)/build.log; echo "BusyBox build failed: see $(B)/$(1)/build.log"; exit 1; }
	$(Q)$(B)/$(1)/busybox --list > $(B)/$(1)/applets.list
	$(Q)touch $$@
endef
$(eval $(call busybox_build,busybox,initramfs/busybox.config))
$(eval $(call busybox_build,busybox-guest,demo-guest/busybox.config))

# The appliance must never carry a shell or a login applet: checked at build time.
BUSYBOX_FORBIDDEN := sh ash hush bash login getty sulogin telnetd su passwd vi
$(B)/busybox/.checked: $(B)/busybox/busybox
	$(Q)for a in $(BUSYBOX_FORBIDDEN); do \
		if grep -qx "$$a" $(B)/busybox/applets.list; then echo "initramfs/busybox.config enables forbidden applet '$$a'"; exit 1; fi; done
	$(Q)touch $@

busybox: $(B)/busybox/.checked
busybox-guest: $(B)/busybox-guest/busybox
.PHONY: busybox busybox-guest
