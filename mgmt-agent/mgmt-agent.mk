# mgmt-agent/mgmt-agent.mk: wafer-agent, the HTTPS API (waferctl/waferctl.mk: its client).
#   $(B)/bin/wafer-agent        static musl, for the image
#   $(B)/bin/host/wafer-agent   glibc, for the local integration test
# Folders: server/ (TLS, HTTP connections, request dispatch, routes, events,
# enrollment), api/ (the handlers of the routes), vms/ (the VM service: specs,
# registry, VMM processes, isolation), jail/ (namespaces, uid slots, taps),
# host/ (readings of /proc and /sys), update/ (A/B updates); mgmt-agent/ itself
# holds main, configuration, privileges, audit and tasks (docs/architecture.md).

AGENT_CORE_SRCS := $(addprefix mgmt-agent/, agent_config.c agent_conf.c agent_privs.c audit.c tasks.c) \
	$(addprefix mgmt-agent/server/, server.c conn.c conn_pool.c api.c router.c tls_server.c enroll.c enroll_limit.c \
		events.c) \
	$(addprefix mgmt-agent/api/, api_routes.c h_console.c h_host.c h_images.c h_listeners.c h_metrics.c h_trust.c \
		h_update.c h_vms.c h_snapshots.c h_transfer.c h_tasks.c metrics_label.c) \
	$(addprefix mgmt-agent/host/, hostinfo.c netlisten.c) \
	$(addprefix mgmt-agent/vms/, vm_lock.c vm_service.c vm_argv.c vm_exitfile.c vm_registry.c vm_run.c vm_spec.c vm_isolation.c vm_jail.c \
		vm_snapshot.c vm_snapshot_info.c vm_transfer.c cgroup.c) \
	$(addprefix mgmt-agent/jail/, jail.c tap.c) \
	$(addprefix mgmt-agent/update/, update_esp.c update_health.c update_policy.c update_probe.c update_run.c \
		update_view.c)
LIB_VMMCTL_SRCS ?= $(wildcard lib/vmmctl.c)
# lib/update_slot and lib/abstate use fsutil, which LIB_CFGSTORE_SRCS brings.
AGENT_LIB_SRCS := $(LIB_HTTP_SRCS) $(LIB_X509_SRCS) $(LIB_WSFRAME_SRCS) $(LIB_JSON_SRCS) $(LIB_WLOG_SRCS) $(LIB_CFGSTORE_SRCS) $(LIB_VMMCTL_SRCS) $(LIB_INITCTL_SRCS) \
	$(LIB_UPDATE_SRCS) $(LIB_UPDATE_SLOT_SRCS) $(LIB_ABSTATE_SRCS) $(LIB_FATCHECK_SRCS) $(LIB_VMEXPORT_SRCS)
AGENT_SRCS := mgmt-agent/agent_main.c $(AGENT_CORE_SRCS) $(AGENT_LIB_SRCS)
# Every mgmt-agent object sees the mbedTLS headers of its build, and the
# agent's folders from its top: a file includes "vms/vm.h" from another folder,
# "vm.h" from its own, "agent.h" from mgmt-agent/ itself.
$(B)/obj/target/mgmt-agent/%.o: CFLAGS_EXTRA += $(MBEDTLS_TARGET_INC) -Imgmt-agent
$(B)/obj/host/mgmt-agent/%.o $(B)/obj/test/mgmt-agent/%.o: CFLAGS_EXTRA += $(MBEDTLS_HOST_INC) -Imgmt-agent
$(B)/obj/target/mgmt-agent/%.o: | $(B)/mbedtls-target/.stamp $(B)/gen/wafer-version.h
$(B)/obj/host/mgmt-agent/%.o $(B)/obj/test/mgmt-agent/%.o: | $(B)/mbedtls-host/.stamp $(B)/gen/wafer-version.h
$(B)/obj/test/mgmt-agent/tests/%.o: CFLAGS_EXTRA += -Itests/unit

$(B)/bin/wafer-agent: $(call target_objs,$(AGENT_SRCS)) $(MBEDTLS_TARGET_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(MUSL_CC) $(TARGET_LDFLAGS) -o $@ $(filter %.o,$^) $(MBEDTLS_TARGET_LIBS) -lpthread

$(B)/bin/host/wafer-agent: $(call host_objs,$(AGENT_SRCS)) $(MBEDTLS_HOST_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) -o $@ $(filter %.o,$^) $(MBEDTLS_HOST_LIBS) -lpthread

# Benchmark (not a test): `make bench-agent`, see docs/agent.md.
$(B)/bin/host/wafer-tlsload: $(call host_objs,mgmt-agent/bench/tlsload.c) $(MBEDTLS_HOST_LIBS)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(HOST_CC) -o $@ $(filter %.o,$^) $(MBEDTLS_HOST_LIBS) -lpthread
bench-agent: $(B)/bin/wafer-agent $(B)/bin/host/wafer-tlsload $(B)/dev-pki/.stamp
	$(Q)mgmt-agent/bench/bench-agent.sh $(B)
BENCHES += bench-agent
.PHONY: bench-agent

agent: $(B)/bin/wafer-agent waferctl
agent-host: $(B)/bin/host/wafer-agent $(B)/bin/host/waferctl $(B)/bin/host/wafer-tlsload
# Local integration test: host agent + host waferctl/curl on 127.0.0.1.
agent-itest: agent-host $(B)/bin/host/wafer-sign
	$(Q)mgmt-agent/tests/itest.sh $(B)
.PHONY: agent agent-host agent-itest

UNIT_TESTS += agent_router agent_spec agent_openapi agent_netlisten agent_metrics_label
UT_agent_metrics_label_SRCS := mgmt-agent/tests/test_metrics_label.c mgmt-agent/api/metrics_label.c
# The contract: the agent's VMM command line parsed by the VMM's own parser.
UNIT_TESTS += agent_vmm_argv
UT_agent_vmm_argv_SRCS := mgmt-agent/tests/test_vmm_argv.c mgmt-agent/vms/vm_argv.c mgmt-agent/vms/vm_spec.c \
	mgmt-agent/server/router.c hypervisor/config.c $(LIB_JSON_SRCS)
$(B)/obj/test/mgmt-agent/tests/test_vmm_argv.o: CFLAGS_EXTRA += -Ihypervisor
UNIT_TESTS += agent_enroll_limit
UT_agent_enroll_limit_SRCS := mgmt-agent/tests/test_enroll_limit.c mgmt-agent/server/enroll_limit.c
UT_agent_router_SRCS  := mgmt-agent/tests/test_router.c mgmt-agent/server/router.c
UT_agent_netlisten_SRCS := mgmt-agent/tests/test_netlisten.c mgmt-agent/host/netlisten.c
UT_agent_spec_SRCS    := mgmt-agent/tests/test_spec.c mgmt-agent/vms/vm_spec.c mgmt-agent/server/router.c $(LIB_JSON_SRCS)
UT_agent_openapi_SRCS := mgmt-agent/tests/test_openapi.c $(AGENT_CORE_SRCS) $(AGENT_LIB_SRCS)
UT_agent_openapi_LIBS := $(MBEDTLS_HOST_LIBS)
UT_agent_openapi_DEPS := $(MBEDTLS_HOST_LIBS)

# Into the image (initramfs/initramfs.mk is included after this file).
INITRAMFS_FILES += $(B)/bin/wafer-agent:usr/bin/wafer-agent
# The agent runs /usr/bin/wafer-vmm (--vmm); hypervisor.mk (included before
# this file) does not put it into the image, so it is added here unless it did.
ifeq ($(filter %:usr/bin/wafer-vmm,$(INITRAMFS_FILES)),)
INITRAMFS_FILES += $(B)/bin/wafer-vmm:usr/bin/wafer-vmm
endif
# Isolation (docs/isolation.md): cgroup limits, uid slots, cpus lists, audit records.
UNIT_TESTS += agent_isolation
UT_agent_isolation_SRCS := mgmt-agent/tests/test_isolation.c mgmt-agent/vms/cgroup.c mgmt-agent/jail/jail.c \
	mgmt-agent/audit.c mgmt-agent/agent_config.c mgmt-agent/vms/vm_spec.c mgmt-agent/server/router.c \
	$(LIB_INITCTL_SRCS) $(LIB_JSON_SRCS) $(LIB_WLOG_SRCS)

# The agent's own capabilities (docs/isolation.md, "The agent's own privileges").
UNIT_TESTS += agent_privs
UT_agent_privs_SRCS := mgmt-agent/tests/test_privs.c mgmt-agent/agent_privs.c $(LIB_JSON_SRCS)
UT_agent_privs_LIBS := -lpthread

# Updates (docs/updates.md): policy, GET rendering, whole updates into a
# temporary folder standing in for the boot partition.
UNIT_TESTS += agent_update
UT_agent_update_SRCS := mgmt-agent/tests/test_update.c mgmt-agent/update/update_policy.c mgmt-agent/update/update_view.c \
	mgmt-agent/update/update_run.c mgmt-agent/agent_conf.c mgmt-agent/agent_config.c $(LIB_JSON_SRCS) $(LIB_WLOG_SRCS) \
	$(LIB_FSUTIL_SRCS) $(LIB_UPDATE_SRCS) $(LIB_UPDATE_SIGN_SRCS) $(LIB_UPDATE_SLOT_SRCS) $(LIB_ABSTATE_SRCS)
UT_agent_update_LIBS := $(MBEDTLS_HOST_LIBS) -lpthread
UT_agent_update_DEPS := $(MBEDTLS_HOST_LIBS)
