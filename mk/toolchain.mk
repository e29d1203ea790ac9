# mk/toolchain.mk: the static musl toolchain for everything inside the image.
# The host's gcc with trixie's musl (libc, crt files, headers) and trixie's
# kernel headers (linux-libc-dev), wired together by a gcc specs file.

TOOLCHAIN := $(B)/toolchain
MUSL_CC   := $(abspath $(TOOLCHAIN))/bin/musl-cc
# Flags every program in the image is built with.
TARGET_CFLAGS  := -std=c11 -D_GNU_SOURCE -Os -g0 -Wall -Wextra -Werror -fstack-protector-strong \
                  -D_FORTIFY_SOURCE=2 -fno-plt -ffunction-sections -fdata-sections
TARGET_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,relro,-z,now -s

$(TOOLCHAIN)/.stamp: $(DEPS)/.stamp mk/toolchain.mk scripts/mk-musl-toolchain
	@echo "  TOOLCHAIN musl $(MUSL_TRIPLET)"
	$(Q)scripts/mk-musl-toolchain $(abspath $(TOOLCHAIN)) $(abspath $(DEPS_ROOT)) $(MUSL_TRIPLET) $(GNU_TRIPLET)
	$(Q)touch $@

toolchain: $(TOOLCHAIN)/.stamp
.PHONY: toolchain
