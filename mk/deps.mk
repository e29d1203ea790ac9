# mk/deps.mk: third-party parts, all from Debian 13 (trixie) via scripts/apt-fetch.
# Binary packages are unpacked into $(DEPS)/root, sources into $(DEPS)/src/NAME;
# $(DEPS)/packages.tsv records name, version and sha256 of each for the manifest.

DEPS      := $(B)/deps
DEPS_ROOT := $(DEPS)/root
# Tools from trixie that run on the build machine (grub-mkimage) and their libraries.
DEPS_HOSTLIBS := libc6 liblzma5 libdevmapper1.02.1 libselinux1 libudev1 libpcre2-8-0
DEPS_DEBS := musl musl-dev linux-libc-dev meta:$(KERNEL_META) $(BOARD_DEBS) $(DEPS_HOSTLIBS)
DEPS_SRCS := busybox mbedtls dosfstools

$(DEPS)/.stamp: board/$(BOARD)/board.mk mk/deps.mk scripts/apt-fetch | $(B)/.host-deps
	@echo "  FETCH   Debian trixie packages ($(DEB_ARCH))"
	$(Q)scripts/apt-fetch stage $(DEPS) $(DEB_ARCH) "$(DEPS_DEBS)" "$(DEPS_SRCS)"
	$(Q)touch $@

deps: $(DEPS)/.stamp
.PHONY: deps
