# Wafer: top-level Makefile. `make help` lists targets and variables.
# Everything is built under build/$(BOARD)/, downloads are cached in dl/.

BOARD ?= x86_64
BOARDS := $(sort $(notdir $(patsubst %/board.mk,%,$(wildcard board/*/board.mk))))
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error unknown BOARD '$(BOARD)'; known boards: $(BOARDS))
endif

VERSION ?= $(shell cat VERSION)
B       := build/$(BOARD)
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

include board/$(BOARD)/board.mk
include mk/deps.mk
include mk/toolchain.mk
include mk/rules.mk
include lib/lib.mk
include mk/busybox.mk
include mk/mbedtls.mk
include mk/dosfstools.mk
include mk/kernel.mk
include demo-guest/demo-guest.mk
include hypervisor/hypervisor.mk
include mgmt-agent/mgmt-agent.mk
include waferctl/waferctl.mk
# initramfs and image come after the programs they pack (INITRAMFS_FILES).
include initramfs/initramfs.mk
include image/image.mk
include image/update.mk
include tests/tests.mk
include tests/fuzz/fuzz.mk

all: image demo-guest
.PHONY: all

# The build machine's packages (scripts/host-deps installs them when root).
$(B)/.host-deps: scripts/host-deps
	@mkdir -p $(@D)
	$(Q)scripts/host-deps
	$(Q)touch $@
host-deps:
	$(Q)scripts/host-deps
.PHONY: host-deps

# make run: the image, a copy of it with the development CA in its trust store
# on a larger (sparse) disk, booted in QEMU with the API on localhost:$(RUN_PORT).
RUN_PORT ?= 8443
RUN_FW   ?= bios
RUN_DISK_GIB ?= 16
RUN_IMG  := $(B)/run/wafer-run.img
$(RUN_IMG): $(IMAGE) $(B)/dev-pki/.stamp
	@mkdir -p $(@D)
	$(Q)cp $(IMAGE) $@.tmp
	$(Q). image/layout.sh && mcopy -o -i $@.tmp@@$$((WAFER_ALIGN_MIB + WAFER_BIOSBOOT_MIB + WAFER_BOOT_MIB))M \
		$(B)/dev-pki/ca.pem ::/trust/dev-ca.pem
	$(Q)truncate -s $(RUN_DISK_GIB)G $@.tmp
	$(Q)mv $@.tmp $@
	@echo "  RUNIMG  $@ (a fresh copy: VMs of an earlier 'make run' are gone)"
run: $(RUN_IMG) $(PXE_DIR)/.stamp $(B)/bin/host/waferctl demo-guest
	$(Q)scripts/run-qemu $(RUN_IMG) $(RUN_FW) $(RUN_PORT) $(B)
.PHONY: run

# Benchmarks: separate from tests; components add theirs to BENCHES.
bench: $(BENCHES)
.PHONY: bench

help:
	@echo "Wafer $(VERSION) - build targets (BOARD=$(BOARD); boards: $(BOARDS))"
	@echo
	@echo "  make            build everything: $(B)/wafer-$(BOARD).img, PXE artefacts, manifest"
	@echo "  make run        build and boot the image in QEMU, API on https://localhost:$(RUN_PORT)"
	@echo "  make demo-guest the demo guest $(B)/demo/{vmlinuz,initrd.img} (also part of make; README, Your first VM)"
	@echo "  make test       every test: unit tests, then system tests in QEMU"
	@echo "  make check      unit tests only (host build, ASan/UBSan), the fast loop"
	@echo "  make agent-itest  the agent and waferctl over mutual TLS on loopback (~15 s)"
	@echo "  make systest    system tests only (SYSTEM_TESTS=tests/system/t10-boot-paths.sh for one)"
	@echo "  make bench      benchmarks (separate from tests; print figures): bench-agent; make bench-vmm"
	@echo "  make update     the signed update bundle $(B)/wafer-$(BOARD)-$(VERSION).update (also part of make)"
	@echo "  make pxe-config CONF=wafer.conf TRUST='ca.pem ...'   a second PXE initrd with settings (docs/pxe.md)"
	@echo "  make host-deps  install the build machine's packages (apt-get, as root)"
	@echo "  make deps       fetch and unpack the Debian trixie packages into $(B)/deps"
	@echo "  make clean      remove build/;  make distclean  also remove dl/"
	@echo
	@echo "Variables: BOARD=$(BOARD)  V=1 (show commands)  VERSION=$(VERSION)"
	@echo "           RUN_PORT=$(RUN_PORT)  RUN_FW=$(RUN_FW) (bios|uefi|uboot|pxe)  RUN_MEM=4096  RUN_SMP=1  RUN_DISK_GIB=$(RUN_DISK_GIB)"
	@echo "           RUN_WEB_PORT=8080 (forwarded to the first VM's port 80)"
	@echo "           SYSTEM_TESTS=...  QEMU_SMP=1  SYSTEST_RETRIES=1  SYSTEST_TIMEOUT=600 (system tests)"
	@echo "           RELEASE_KEY=path (sign update bundles with the builder's key; default: dev-pki/release.key)"

clean:
	rm -rf build
distclean: clean
	rm -rf dl
.PHONY: help clean distclean
