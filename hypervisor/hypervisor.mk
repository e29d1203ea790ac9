# hypervisor/hypervisor.mk: wafer-vmm (static musl) and its unit tests.

# Sources are listed (not globbed) so files being written in parallel do not
# break the build; add new ones here.
# The architecture comes from the board (ARCH in board/<board>/board.mk);
# only hypervisor/arch/$(ARCH)/ is compiled (docs/vmm.md, "Ports").
VMM_ARCH_DIR := hypervisor/arch/$(ARCH)
$(if $(wildcard $(VMM_ARCH_DIR)/arch.mk),,$(error wafer-vmm has no port to $(ARCH): $(VMM_ARCH_DIR)/arch.mk is missing (docs/vmm.md, "Ports")))
include $(VMM_ARCH_DIR)/arch.mk

VMM_SRCS := $(addprefix hypervisor/,main.c config.c log.c mem.c bus.c vm.c vcpu.c machine.c \
              control.c control_cmd.c device.c device_table.c state.c savefile.c \
              devtab/blk.c devtab/net.c devtab/rng.c devtab/balloon.c \
              devices/uart.c devices/console.c devices/pci.c \
              virtio/core.c virtio/pci.c virtio/queue.c virtio/blk.c virtio/net.c virtio/rng.c virtio/balloon.c \
              seccomp.c sandbox.c) \
            $(VMM_ARCH_SRCS) $(LIB_JSON_SRCS) $(LIB_WLOG_SRCS) $(LIB_CRC32_SRCS)
VMM_OBJS := $(call target_objs,$(VMM_SRCS))

$(B)/obj/target/hypervisor/%.o $(B)/obj/test/hypervisor/%.o: CFLAGS_EXTRA += -Ihypervisor -I$(VMM_ARCH_DIR)
$(B)/obj/test/hypervisor/tests/%.o $(B)/obj/test/$(VMM_ARCH_DIR)/tests/%.o: CFLAGS_EXTRA += -Itests/unit
$(VMM_OBJS): | $(B)/gen/wafer-version.h

$(B)/bin/wafer-vmm: $(VMM_OBJS) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(VMM_OBJS) -lpthread

wafer-vmm: $(B)/bin/wafer-vmm
.PHONY: wafer-vmm

include tests/guest/guest.mk

# Unit tests (host, ASan/UBSan). The control test links everything but main.c.
UNIT_TESTS += vmm_queue vmm_uart vmm_virtio vmm_control vmm_vmmctl
UNIT_TESTS += vmm_state
UT_vmm_state_SRCS   := hypervisor/tests/test_state.c hypervisor/state.c $(LIB_CRC32_SRCS)
UT_vmm_queue_SRCS   := hypervisor/tests/test_queue.c hypervisor/virtio/queue.c hypervisor/mem.c
UT_vmm_uart_SRCS    := hypervisor/tests/test_uart.c hypervisor/devices/uart.c hypervisor/devices/console.c \
                       hypervisor/state.c $(LIB_CRC32_SRCS)
UT_vmm_virtio_SRCS  := hypervisor/tests/test_virtio.c hypervisor/virtio/core.c hypervisor/virtio/pci.c hypervisor/virtio/queue.c \
                       hypervisor/virtio/blk.c hypervisor/virtio/balloon.c hypervisor/devices/pci.c \
                       hypervisor/mem.c hypervisor/log.c hypervisor/state.c $(LIB_WLOG_SRCS) $(LIB_CRC32_SRCS)
UT_vmm_control_SRCS := hypervisor/tests/test_control.c $(filter-out hypervisor/main.c,$(VMM_SRCS))
UT_vmm_vmmctl_SRCS  := hypervisor/tests/test_vmmctl.c lib/vmmctl.c $(LIB_JSON_SRCS)

# seccomp unit test and the test-hook build (docs/isolation.md).
include hypervisor/sandbox.mk

# Benchmark (not a test): wafer-vmm next to QEMU microvm/q35 inside the
# appliance kernel in QEMU TCG; figures go to docs/vmm.md.
bench-vmm: guest
	hypervisor/bench/bench-vmm.sh
.PHONY: bench-vmm
