# tests/tests.mk: `make check` (unit tests, host build with ASan/UBSan) and
# `make test` (unit tests, the agent's loopback integration test, then the
# system tests that boot the image in QEMU).
#
# A component registers a unit test program with
#   UNIT_TESTS += NAME
#   UT_NAME_SRCS := its test file and the sources it tests
# (and optionally UT_NAME_LIBS). The program runs from the repository root.

UT_BIN := $(B)/unit
WTEST_SRCS := tests/unit/wtest.c

define unit_test_rule
$(UT_BIN)/$(1): $$(addprefix $(B)/obj/test/,$$(patsubst %.c,%.o,$$(UT_$(1)_SRCS) $(WTEST_SRCS))) $$(UT_$(1)_DEPS)
	@mkdir -p $$(@D)
	@echo "  LINK    $$@"
	$$(Q)$$(HOST_CC) $$(SAN_FLAGS) -o $$@ $$(filter %.o,$$^) $$(UT_$(1)_LIBS) -lpthread
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

$(B)/obj/test/tests/unit/%.o: CFLAGS_EXTRA += -Itests/unit

check: $(addprefix $(UT_BIN)/,$(UNIT_TESTS)) openapi-validate
	@fail=0; pass=0; for t in $(filter-out openapi-validate,$^); do \
		if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "unit test program $$t FAILED"; fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
	$(Q)scripts/check-layers >/dev/null || scripts/check-layers

# System tests: each tests/system/*.sh boots the built image in QEMU.
SYSTEM_TESTS ?= $(sort $(wildcard tests/system/t[0-9]*.sh))
host-tools: $(B)/bin/host/waferctl $(B)/dev-pki/.stamp
.PHONY: host-tools

# Everything the system tests use besides the image: the test guest and the
# outer VMM test root (tests/guest/guest.mk), the demo guest (t57 runs the
# README's first VM), the VMM's test build, host tools.
SYSTEST_DEPS += image host-tools guest demo-guest $(B)/bin/wafer-vmm-test
systest: $(SYSTEST_DEPS)
	@tests/system/run-all $(B) $(SYSTEM_TESTS)

# agent-itest (mgmt-agent/mgmt-agent.mk): the host build of the agent and
# waferctl talking mutual TLS on loopback, about 15 s.
# fuzz-replay (tests/fuzz/fuzz.mk): every libFuzzer harness once over its
# seeds and the inputs that once crashed it.
test: check
	$(Q)$(MAKE) --no-print-directory agent-itest
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)$(MAKE) --no-print-directory systest

.PHONY: check test systest

# docs/openapi.yaml against the OpenAPI 3.1 schema with a standard validator
# (npm @seriousme/openapi-schema-validator, pinned in tests/openapi/package.json
# and its lock file; a build-machine tool in $(B)/tools, never in the image).
# The agent's integration test checks every JSON response against the file
# (tests/openapi/check-responses).
OPENAPI_TOOLS := $(B)/tools/openapi
$(OPENAPI_TOOLS)/.stamp: tests/openapi/package.json tests/openapi/package-lock.json | $(B)/.host-deps
	@mkdir -p $(@D)
	@echo "  NPM     $(@D) (OpenAPI validator)"
	$(Q)cp tests/openapi/package.json tests/openapi/package-lock.json $(@D)/
	$(Q)cd $(@D) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
	$(Q)touch $@
openapi-validate: $(OPENAPI_TOOLS)/.stamp
	$(Q)$(OPENAPI_TOOLS)/node_modules/.bin/validate-api docs/openapi.yaml >$(OPENAPI_TOOLS)/result.json || \
		{ cat $(OPENAPI_TOOLS)/result.json; echo "openapi: docs/openapi.yaml is not valid OpenAPI 3.1"; exit 1; }
	@echo "openapi: docs/openapi.yaml is valid OpenAPI 3.1"
.PHONY: openapi-validate
