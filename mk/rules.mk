# mk/rules.mk: how C sources become objects, for the image (static musl) and
# for the build machine (glibc, with sanitizers for unit tests).
# A component adds flags for its own folder with target-specific variables:
#   $(B)/obj/target/mgmt-agent/%.o: CFLAGS_EXTRA += -I...

HOST_CC        ?= gcc
HOST_CFLAGS    := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer
SAN_FLAGS      := -fsanitize=address,undefined -fno-sanitize-recover=all
COMMON_INCLUDES := -Ilib -I$(B)/gen

# Every object waits for the generated version header and the mbedTLS headers
# of its build (order-only: a pattern rule without a recipe in a component's
# .mk cannot add prerequisites, so they are given here once for all).
$(B)/obj/target/%.o: %.c $(TOOLCHAIN)/.stamp | $(B)/gen/wafer-version.h $(B)/mbedtls-target/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(MUSL_CC) $(TARGET_CFLAGS) $(COMMON_INCLUDES) $(CFLAGS_EXTRA) -MMD -MP -c $< -o $@

# Host objects for unit tests: sanitizers on.
$(B)/obj/test/%.o: %.c | $(B)/gen/wafer-version.h $(B)/mbedtls-host/.stamp
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) $(COMMON_INCLUDES) $(CFLAGS_EXTRA) -MMD -MP -c $< -o $@

# Host objects for tools that run on the build machine (waferctl): no sanitizers.
$(B)/obj/host/%.o: %.c | $(B)/gen/wafer-version.h $(B)/mbedtls-host/.stamp
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -O2 $(COMMON_INCLUDES) $(CFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(B)/gen/wafer-version.h: VERSION
	@mkdir -p $(@D)
	$(Q)echo '#define WAFER_VERSION "$(VERSION)"' > $@.tmp
	$(Q)echo '#define WAFER_BOARD "$(BOARD)"' >> $@.tmp
	$(Q)mv $@.tmp $@

# Unit test programs: UNIT_TESTS += name; each defines UT_<name>_SRCS.
# `make check` builds and runs all of them.
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
