# initramfs/init/init.mk: wafer-init (PID 1, static musl) and its unit tests.

INIT_SRCS := $(wildcard initramfs/init/*.c)
INIT_OBJS := $(patsubst %.c,$(B)/obj/target/%.o,$(INIT_SRCS))

$(INIT_OBJS): $(B)/gen/wafer-version.h

INIT_LIB_SRCS := $(LIB_FSUTIL_SRCS) $(LIB_ABSTATE_SRCS) $(LIB_FATCHECK_SRCS) $(LIB_CRC32_SRCS)
$(B)/bin/wafer-init: $(INIT_OBJS) $(call target_objs,$(INIT_LIB_SRCS)) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(INIT_OBJS) $(call target_objs,$(INIT_LIB_SRCS))

wafer-init: $(B)/bin/wafer-init
.PHONY: wafer-init

$(B)/obj/test/initramfs/init/tests/%.o: CFLAGS_EXTRA += -Itests/unit

UNIT_TESTS += init_config
UT_init_config_SRCS := initramfs/init/tests/test_config.c initramfs/init/init_config.c

UNIT_TESTS += init_logring
UT_init_logring_SRCS := initramfs/init/tests/test_logring.c initramfs/init/init_logring.c

UNIT_TESTS += init_modalias
UT_init_modalias_SRCS := initramfs/init/tests/test_modalias.c initramfs/init/init_modalias.c

UNIT_TESTS += init_gpt
UT_init_gpt_SRCS := initramfs/init/tests/test_gpt.c initramfs/init/init_gpt.c $(LIB_CRC32_SRCS)

UNIT_TESTS += init_dnsname
UT_init_dnsname_SRCS := initramfs/init/tests/test_dnsname.c initramfs/init/init_dnsname.c

UNIT_TESTS += init_mediuminfo
UT_init_mediuminfo_SRCS := initramfs/init/tests/test_mediuminfo.c initramfs/init/init_mediuminfo.c $(LIB_FSUTIL_SRCS)

UNIT_TESTS += init_trial
UT_init_trial_SRCS := initramfs/init/tests/test_trial.c initramfs/init/init_trial.c $(LIB_ABSTATE_SRCS) $(LIB_FSUTIL_SRCS)

UNIT_TESTS += init_backoff
UT_init_backoff_SRCS := initramfs/init/tests/test_backoff.c initramfs/init/init_backoff.c

# Test-only program for system tests (never in the image): see tests/testhook.c.
TESTHOOK_SRCS := initramfs/init/tests/testhook.c $(LIB_INITCTL_SRCS)
$(B)/bin/wafer-testhook: $(call target_objs,$(TESTHOOK_SRCS)) $(TOOLCHAIN)/.stamp
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(call target_objs,$(TESTHOOK_SRCS))
systest: $(B)/bin/wafer-testhook

UNIT_TESTS += init_syslog
UT_init_syslog_SRCS := initramfs/init/tests/test_syslog.c initramfs/init/init_syslog_fmt.c
