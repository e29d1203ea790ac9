# tests/fuzz/fuzz.mk: libFuzzer harnesses for every parser of outside input
# (Debian's clang, -fsanitize=fuzzer,address,undefined; docs/security.md).
#   make fuzz [FUZZ_S=N] [FUZZERS="http json"]   run each harness N seconds (10)
#                       from its seed corpus; prints "fuzz NAME execs=... crashes=0"
#   make fuzz-replay    run each harness once over its seeds and its recorded
#                       crash inputs (tests/fuzz/regress/NAME/): part of make test
# A harness is tests/fuzz/fuzz_NAME.c with seeds in tests/fuzz/corpus/NAME/;
# register it with FUZZERS += NAME and FZ_NAME_SRCS (the code it exercises).

FUZZ_CC     ?= clang
FUZZ_S      ?= 10
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_BIN    := $(B)/fuzz/bin

FUZZERS += http json vmspec wsframe config dhcp log gpt bundle virtq state restore snapshot vmexport
FZ_http_SRCS    := $(LIB_HTTP_SRCS)
FZ_json_SRCS    := $(LIB_JSON_SRCS)
FZ_vmspec_SRCS  := mgmt-agent/vms/vm_spec.c mgmt-agent/server/router.c $(LIB_JSON_SRCS)
FZ_vmexport_SRCS := $(LIB_VMEXPORT_SRCS) $(LIB_FSUTIL_SRCS)
FZ_snapshot_SRCS := mgmt-agent/vms/vm_snapshot_info.c mgmt-agent/vms/vm_spec.c mgmt-agent/server/router.c $(LIB_JSON_SRCS)
FZ_wsframe_SRCS := $(LIB_WSFRAME_SRCS)
FZ_wsframe_LIBS := $(MBEDTLS_HOST_LIBS)
FZ_config_SRCS  := initramfs/init/init_config.c
FZ_dhcp_SRCS    := initramfs/init/init_dnsname.c
FZ_log_SRCS     := initramfs/init/init_logring.c lib/initctl.c
FZ_gpt_SRCS     := initramfs/init/init_gpt.c $(LIB_CRC32_SRCS)
FZ_bundle_SRCS  := $(LIB_UPDATE_SRCS) $(LIB_UPDATE_SIGN_SRCS)
FZ_bundle_LIBS  := $(MBEDTLS_HOST_LIBS)
FZ_virtq_SRCS   := $(addprefix hypervisor/,virtio/core.c virtio/pci.c virtio/queue.c virtio/blk.c virtio/rng.c virtio/balloon.c \
	virtio/net.c devices/pci.c mem.c log.c state.c) $(LIB_WLOG_SRCS) $(LIB_CRC32_SRCS)
FZ_state_SRCS   := hypervisor/state.c $(LIB_CRC32_SRCS)
FZ_restore_SRCS := $(addprefix hypervisor/,state.c virtio/core.c virtio/pci.c virtio/queue.c virtio/blk.c \
	virtio/net.c virtio/rng.c devices/pci.c devices/uart.c mem.c log.c arch/x86_64/pm.c \
	arch/x86_64/vcpu_state.c arch/x86_64/vm_state.c) $(LIB_CRC32_SRCS) $(LIB_WLOG_SRCS)
$(B)/obj/fuzz/hypervisor/%.o $(B)/obj/fuzz/tests/fuzz/fuzz_virtq.o $(B)/obj/fuzz/tests/fuzz/fuzz_state.o $(B)/obj/fuzz/tests/fuzz/fuzz_restore.o: FUZZ_EXTRA += -Ihypervisor -I$(VMM_ARCH_DIR)

$(B)/obj/fuzz/mgmt-agent/%.o $(B)/obj/fuzz/tests/fuzz/fuzz_vmspec.o $(B)/obj/fuzz/tests/fuzz/fuzz_snapshot.o: FUZZ_EXTRA += -Imgmt-agent

$(B)/obj/fuzz/%.o: %.c $(MBEDTLS_HOST_LIBS)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(COMMON_INCLUDES) $(MBEDTLS_HOST_INC) $(FUZZ_EXTRA) -MMD -MP -c $< -o $@

define fuzz_rule
$(FUZZ_BIN)/$(1): $$(patsubst %.c,$(B)/obj/fuzz/%.o,tests/fuzz/fuzz_$(1).c $$(FZ_$(1)_SRCS)) $$(FZ_$(1)_LIBS)
	@mkdir -p $$(@D)
	@echo "  FUZZLD  $$@"
	$$(Q)$$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $$@ $$(filter %.o,$$^) $$(FZ_$(1)_LIBS) -lpthread
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))
-include $(shell find $(B)/obj/fuzz -name '*.d' 2>/dev/null)

fuzz-build: $(addprefix $(FUZZ_BIN)/,$(FUZZERS))
fuzz: fuzz-build
	@tests/fuzz/run $(B) $(FUZZ_S) $(FUZZERS)
fuzz-replay: fuzz-build
	@tests/fuzz/run $(B) replay $(FUZZERS)
.PHONY: fuzz fuzz-build fuzz-replay
