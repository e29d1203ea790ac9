# hypervisor/sandbox.mk: the seccomp unit test, and wafer-vmm-test: wafer-vmm
# with the test hooks of sandbox.c compiled in (-DWAFER_TEST_HOOKS). The test
# build goes only into system-test overlays (tests/system/t70-isolation.sh),
# never into the product image.

VMM_TH_SANDBOX := $(B)/obj/target-testhooks/hypervisor/sandbox.o
VMM_TEST_OBJS  := $(filter-out %/hypervisor/sandbox.o,$(VMM_OBJS)) $(VMM_TH_SANDBOX)

$(VMM_TH_SANDBOX): hypervisor/sandbox.c $(TOOLCHAIN)/.stamp | $(B)/gen/wafer-version.h
	@mkdir -p $(@D)
	@echo "  CC      $< (test hooks)"
	$(Q)$(MUSL_CC) $(TARGET_CFLAGS) $(COMMON_INCLUDES) -Ihypervisor -I$(VMM_ARCH_DIR) -DWAFER_TEST_HOOKS -MMD -MP -c $< -o $@

$(B)/bin/wafer-vmm-test: $(VMM_TEST_OBJS) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@ (test hooks: never in the product image)"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(VMM_TEST_OBJS) -lpthread

wafer-vmm-test: $(B)/bin/wafer-vmm-test
.PHONY: wafer-vmm-test

UNIT_TESTS += vmm_seccomp
UT_vmm_seccomp_SRCS := hypervisor/tests/test_seccomp.c hypervisor/seccomp.c hypervisor/arch/$(ARCH)/seccomp_tables.c
