# waferctl/waferctl.mk: waferctl, the command-line client of wafer-agent.
#   $(B)/bin/waferctl           static musl, for the image
#   $(B)/bin/host/waferctl      glibc, for the build machine (dev PKI, tests)
# It shares lib/ with the agent (HTTP parser, WebSocket frames, X.509 helpers,
# JSON) and lib/wafer_contract.h (name limits, the shape of a VM).

WAFERCTL_SRCS := $(addprefix waferctl/, ctl_main.c ctl_client.c ctl_cmds.c ctl_completion.c ctl_console.c ctl_context.c ctl_fleet.c ctl_fleet_update.c ctl_events.c ctl_vm.c ctl_snapshot.c ctl_move.c ctl_pki.c \
	ctl_table.c ctl_update.c ctl_upload.c) $(LIB_HTTP_SRCS) $(LIB_X509_SRCS) $(LIB_WSFRAME_SRCS) $(LIB_JSON_SRCS) $(LIB_WLOG_SRCS) $(LIB_FSUTIL_SRCS) $(LIB_UPDATE_SRCS)

# Every waferctl object sees the mbedTLS headers of its build.
$(B)/obj/target/waferctl/%.o: CFLAGS_EXTRA += $(MBEDTLS_TARGET_INC)
$(B)/obj/host/waferctl/%.o: CFLAGS_EXTRA += $(MBEDTLS_HOST_INC)
$(B)/obj/target/waferctl/%.o: | $(B)/mbedtls-target/.stamp $(B)/gen/wafer-version.h
$(B)/obj/host/waferctl/%.o: | $(B)/mbedtls-host/.stamp $(B)/gen/wafer-version.h

$(B)/bin/waferctl: $(call target_objs,$(WAFERCTL_SRCS)) $(MBEDTLS_TARGET_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(filter %.o,$^) $(MBEDTLS_TARGET_LIBS) -lpthread

$(B)/bin/host/waferctl: $(call host_objs,$(WAFERCTL_SRCS)) $(MBEDTLS_HOST_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) -o $@ $(filter %.o,$^) $(MBEDTLS_HOST_LIBS) -lpthread

# The development PKI (ca.pem, admin/reader certs and keys, expired and
# foreign-CA certs for tests).
$(B)/dev-pki/.stamp: $(B)/bin/host/waferctl
	$(Q)$(B)/bin/host/waferctl pki dev $(B)/dev-pki
	$(Q)touch $@

waferctl: $(B)/bin/waferctl $(B)/bin/host/waferctl
.PHONY: waferctl

INITRAMFS_FILES += $(B)/bin/waferctl:usr/bin/waferctl
# The build machine's tools for tests and `make run`.
host-tools: $(B)/bin/host/waferctl $(B)/dev-pki/.stamp
.PHONY: host-tools
