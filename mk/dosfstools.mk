# mk/dosfstools.mk: fsck.fat from trixie's dosfstools source package, static
# with musl: wafer-init and wafer-agent run it (lib/fatcheck.c) on the config
# partition and the boot partition before writing to them, so that a power cut
# during a write leaves nothing the next write trips over (docs/updates.md,
# "Power cuts"). Only fsck.fat is built (no mkfs.fat, no fatlabel), without
# iconv (musl's iconv tables would cost ~100 KiB; fsck.fat then uses its
# built-in code page 850, which only matters for printing non-ASCII names).
# configure runs out of tree in a private folder under $(B), renamed into
# place when complete; the source folder stays untouched.

DOSFSTOOLS_SRC := $(DEPS)/src/dosfstools
FSCK_FAT       := $(B)/dosfstools/fsck.fat

$(FSCK_FAT): $(DEPS)/.stamp $(TOOLCHAIN)/.stamp mk/dosfstools.mk
	@echo "  DOSFSTOOLS fsck.fat"
	$(Q)d=$(abspath $(B))/dosfstools.tmp.$$$$; rm -rf $$d && mkdir -p $$d && \
	{ cd $$d && $(abspath $(DOSFSTOOLS_SRC))/configure --host=$(GNU_TRIPLET) --without-iconv \
		--disable-dependency-tracking --disable-rpath CC="$(MUSL_CC)" \
		CFLAGS="-Os -g0 -ffunction-sections -fdata-sections -fstack-protector-strong -D_FORTIFY_SOURCE=2" \
		LDFLAGS="$(TARGET_LDFLAGS)" >build.log 2>&1 && \
	  $(MAKE) -C src fsck.fat >>build.log 2>&1; } \
		|| { tail -30 $$d/build.log; echo "fsck.fat build failed: see $$d/build.log"; exit 1; }; \
	cd $(CURDIR) && ! readelf -l $$d/src/fsck.fat | grep -q INTERP \
		|| { echo "fsck.fat is not a static binary"; exit 1; }; \
	cp $$d/src/fsck.fat $$d/fsck.fat && rm -rf $(B)/dosfstools && mv -T $$d $(B)/dosfstools

INITRAMFS_FILES += $(FSCK_FAT):sbin/fsck.fat

dosfstools: $(FSCK_FAT)
.PHONY: dosfstools
