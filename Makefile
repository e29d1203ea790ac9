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
include mk/kernel.mk
include hypervisor/hypervisor.mk
include mgmt-agent/mgmt-agent.mk
# initramfs and image come after the programs they pack (INITRAMFS_FILES).
include initramfs/initramfs.mk
include image/image.mk
include tests/tests.mk

all: image
.PHONY: all

help:
	@echo "Wafer $(VERSION) - build targets (BOARD=$(BOARD); boards: $(BOARDS))"
	@echo
	@echo "  make            build everything: $(B)/wafer-$(BOARD).img, PXE artefacts, manifest"
	@echo "  make run        build and boot the image in QEMU, API on https://localhost:$(RUN_PORT)"
	@echo "  make test       every test: unit tests, then system tests in QEMU"
	@echo "  make check      unit tests only (host build, ASan/UBSan), the fast loop"
	@echo "  make bench      benchmarks (separate from tests; print figures)"
	@echo "  make host-deps  install the build machine's packages (apt-get, as root)"
	@echo "  make deps       fetch and unpack the Debian trixie packages into $(B)/deps"
	@echo "  make clean      remove build/;  make distclean  also remove dl/"
	@echo
	@echo "Variables: BOARD=$(BOARD)  V=1 (show commands)  RUN_PORT=$(RUN_PORT)  VERSION=$(VERSION)"

clean:
	rm -rf build
distclean: clean
	rm -rf dl
.PHONY: help clean distclean
