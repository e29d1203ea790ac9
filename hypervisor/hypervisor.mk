# hypervisor/hypervisor.mk: wafer-vmm (static musl) and its unit tests.

VMM_SRCS := $(filter-out hypervisor/tests/%,$(wildcard hypervisor/*.c hypervisor/*/*.c)) \
            $(LIB_JSON_SRCS)
VMM_OBJS := $(call target_objs,$(VMM_SRCS))

$(B)/obj/target/hypervisor/%.o $(B)/obj/test/hypervisor/%.o: CFLAGS_EXTRA += -Ihypervisor
$(B)/obj/test/hypervisor/tests/%.o: CFLAGS_EXTRA += -Itests/unit
$(VMM_OBJS): | $(B)/gen/wafer-version.h

$(B)/bin/wafer-vmm: $(VMM_OBJS) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(VMM_OBJS) -lpthread

wafer-vmm: $(B)/bin/wafer-vmm
.PHONY: wafer-vmm

include tests/guest/guest.mk
