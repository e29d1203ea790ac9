# mk/mbedtls.mk: mbedTLS 3.6 (trixie source package) built twice with the
# configuration in mgmt-agent/mbedtls_config.h: static musl for the image and
# glibc for the build machine's waferctl and unit tests.

MBEDTLS_SRC    := $(DEPS)/src/mbedtls
MBEDTLS_CONFIG := mgmt-agent/mbedtls_config.h
MBEDTLS_LIBS_NAMES := libmbedtls.a libmbedx509.a libmbedcrypto.a

# $(1): target or host, $(2): compiler
define mbedtls_build
$(B)/mbedtls-$(1)/.stamp: $(DEPS)/.stamp $(MBEDTLS_CONFIG) mk/mbedtls.mk $(if $(filter target,$(1)),$(TOOLCHAIN)/.stamp)
	@echo "  MBEDTLS $(1)"
	$(Q)rm -rf $(B)/mbedtls-$(1) && mkdir -p $(B)/mbedtls-$(1)
	$(Q)cp -a $(MBEDTLS_SRC)/include $(MBEDTLS_SRC)/library $(MBEDTLS_SRC)/3rdparty $(MBEDTLS_SRC)/scripts $(B)/mbedtls-$(1)/
	$(Q)cp -a $(MBEDTLS_SRC)/framework $(B)/mbedtls-$(1)/ 2>/dev/null || true
	$(Q)cp $(MBEDTLS_CONFIG) $(B)/mbedtls-$(1)/include/mbedtls/mbedtls_config.h
	$(Q)$(MAKE) -s -C $(B)/mbedtls-$(1)/library CC="$(2)" AR=ar \
		CFLAGS="-Os -fPIC -Wall -D_FILE_OFFSET_BITS=64" $(MBEDTLS_LIBS_NAMES) >$(B)/mbedtls-$(1)/build.log 2>&1 \
		|| { tail -30 $(B)/mbedtls-$(1)/build.log; echo "mbedtls ($(1)) build failed: see $(B)/mbedtls-$(1)/build.log"; exit 1; }
	$(Q)touch $$@
endef
$(eval $(call mbedtls_build,target,$(MUSL_CC)))
$(eval $(call mbedtls_build,host,$(HOST_CC)))

MBEDTLS_TARGET_INC  := -I$(B)/mbedtls-target/include
MBEDTLS_TARGET_LIBS := $(addprefix $(B)/mbedtls-target/library/,$(MBEDTLS_LIBS_NAMES))
MBEDTLS_HOST_INC    := -I$(B)/mbedtls-host/include
MBEDTLS_HOST_LIBS   := $(addprefix $(B)/mbedtls-host/library/,$(MBEDTLS_LIBS_NAMES))
$(MBEDTLS_TARGET_LIBS): $(B)/mbedtls-target/.stamp ;
$(MBEDTLS_HOST_LIBS): $(B)/mbedtls-host/.stamp ;

mbedtls: $(B)/mbedtls-target/.stamp $(B)/mbedtls-host/.stamp
.PHONY: mbedtls
