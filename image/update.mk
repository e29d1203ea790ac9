# image/update.mk: signed update bundles (docs/updates.md), the release key,
# the image's .bmap (when bmaptool is installed) and the PXE config archive
# (image/pxe.mk). Included by the top Makefile right after image/image.mk.
#
#   $(B)/wafer-$(BOARD)-$(VERSION).update   the slot (kernel + initramfs), signed
#   $(B)/bin/host/wafer-sign                keygen / pubkey / sign / verify
#   RELEASE_KEY=path                        sign with this ECDSA P-256 key (PEM);
#                                           default: $(B)/dev-pki/release.key, made once
# The release public key goes into the image as /etc/wafer/release.pub.pem.

WAFER_SIGN      := $(B)/bin/host/wafer-sign
WAFER_SIGN_SRCS := image/tools/wafer-sign.c image/tools/sign_bundle.c $(LIB_UPDATE_SRCS) $(LIB_UPDATE_SIGN_SRCS)
UPDATE_BUNDLE   := $(B)/wafer-$(BOARD)-$(VERSION).update

$(B)/obj/host/image/tools/%.o: CFLAGS_EXTRA += $(MBEDTLS_HOST_INC) -Iimage/tools
$(B)/obj/host/image/tools/%.o: | $(B)/mbedtls-host/.stamp $(B)/gen/wafer-version.h

$(WAFER_SIGN): $(call host_objs,$(WAFER_SIGN_SRCS)) $(MBEDTLS_HOST_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) -o $@ $(filter %.o,$^) $(MBEDTLS_HOST_LIBS) -lpthread

# wafer-abstate: lib/abstate on the build machine (tests, preparing media).
WAFER_ABSTATE := $(B)/bin/host/wafer-abstate
$(WAFER_ABSTATE): $(call host_objs,image/tools/wafer-abstate.c $(LIB_ABSTATE_SRCS) $(LIB_FSUTIL_SRCS))
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) -o $@ $(filter %.o,$^)
host-tools: $(WAFER_SIGN) $(WAFER_ABSTATE)

# The release key: the builder's (RELEASE_KEY=path) or a development key made
# once and kept (never remade by a rebuild: an image only accepts bundles
# signed by the key it was built with).
RELEASE_KEY ?=
ifeq ($(strip $(RELEASE_KEY)),)
RELEASE_KEY_FILE := $(B)/dev-pki/release.key
$(RELEASE_KEY_FILE): | $(WAFER_SIGN)
	@mkdir -p $(@D)
	@echo "  KEYGEN  $@ (development release key)"
	$(Q)$(WAFER_SIGN) keygen $@ $(B)/dev-pki/release.pub.pem >/dev/null
else
RELEASE_KEY_FILE := $(abspath $(RELEASE_KEY))
$(RELEASE_KEY_FILE):
	@echo "RELEASE_KEY=$(RELEASE_KEY): no such file" >&2; exit 1
endif

# The public key the image trusts; remade when RELEASE_KEY names another file.
RELEASE_PUB := $(B)/release/release.pub.pem
$(B)/release/key-path: FORCE
	@mkdir -p $(@D)
	$(Q)echo "$(RELEASE_KEY_FILE)" | cmp -s - $@ || echo "$(RELEASE_KEY_FILE)" > $@
$(RELEASE_PUB): $(RELEASE_KEY_FILE) $(B)/release/key-path | $(WAFER_SIGN)
	@echo "  PUBKEY  $@ (from $(RELEASE_KEY_FILE))"
	$(Q)$(WAFER_SIGN) pubkey $(RELEASE_KEY_FILE) $@
FORCE:
.PHONY: FORCE

# Into the image. initramfs.mk was included before this file, so its list of
# prerequisites does not hold the key: name it here (the recipe reads
# INITRAMFS_FILES when it runs, and then holds this entry).
INITRAMFS_FILES += $(RELEASE_PUB):etc/wafer/release.pub.pem
$(B)/initramfs/.staged: $(RELEASE_PUB)

$(UPDATE_BUNDLE): $(B)/slot/vmlinuz $(INITRAMFS) $(RELEASE_KEY_FILE) $(RELEASE_PUB) $(WAFER_SIGN)
	@echo "  BUNDLE  $@"
	$(Q)$(WAFER_SIGN) sign --key $(RELEASE_KEY_FILE) --board $(BOARD) --version $(VERSION) \
		--kernel $(B)/slot/vmlinuz --initramfs $(INITRAMFS) --time $(SOURCE_DATE_EPOCH) -o $@ >/dev/null
	$(Q)$(WAFER_SIGN) verify --pub $(RELEASE_PUB) --board $(BOARD) $@ >/dev/null

update: $(UPDATE_BUNDLE)
image: $(UPDATE_BUNDLE)
.PHONY: update

# The image's block map for `bmaptool copy` (scripts/flash-usb): the ranges
# the image really holds, with checksums. No holes are punched into the image
# here: a zero block inside a FAT or ext4 table is data and must be written.
BMAPTOOL := $(shell command -v bmaptool 2>/dev/null)
ifneq ($(BMAPTOOL),)
$(IMAGE).bmap: $(IMAGE)
	@echo "  BMAP    $@"
	$(Q)$(BMAPTOOL) -q create -o $@.tmp $< 2>$@.log || { cat $@.log >&2; exit 1; }
	$(Q)rm -f $@.log
	$(Q)mv $@.tmp $@
image: $(IMAGE).bmap
endif

include image/pxe.mk
