# mk/mbedtls.mk: mbedTLS 3.6 (trixie source package) built twice with the
# configuration in mgmt-agent/mbedtls_config.h: static musl for the image and
# glibc for the build machine's waferctl and unit tests. Each build happens in
# a private folder renamed into place when complete, so that two make runs
# sharing build/ never see a half-built library.

MBEDTLS_SRC    := $(DEPS)/src/mbedtls
MBEDTLS_CONFIG := mgmt-agent/mbedtls_config.h
MBEDTLS_LIBS_NAMES := libmbedtls.a libmbedx509.a libmbedcrypto.a

# $(1): target or host, $(2): compiler
define mbedtls_build
$(B)/mbedtls-$(1)/.stamp: $(DEPS)/.stamp $(MBEDTLS_CONFIG) mk/mbedtls.mk $(if $(filter target,$(1)),$(TOOLCHAIN)/.stamp)
	@echo "  MBEDTLS $(1)"
	$(Q)d=$(B)/mbedtls-$(1).tmp.$$$$$$$$; rm -rf $$$$d && mkdir -p $$$$d && \
	cp -a $(MBEDTLS_SRC)/include $(MBEDTLS_SRC)/library $(MBEDTLS_SRC)/3rdparty $(MBEDTLS_SRC)/scripts $$$$d/ && \
	{ cp -a $(MBEDTLS_SRC)/framework $$$$d/ 2>/dev/null || true; } && \
	cp $(MBEDTLS_CONFIG) $$$$d/include/mbedtls/mbedtls_config.h && \
	{ $(MAKE) -s -C $$$$d/library CC="$(2)" AR=ar \
		CFLAGS="-Os -fPIC -Wall -D_FILE_OFFSET_BITS=64" $(MBEDTLS_LIBS_NAMES) >$$$$d/build.log 2>&1 \
		|| { tail -30 $$$$d/build.log; echo "mbedtls ($(1)) build failed: see $$$$d/build.log"; exit 1; }; } && \
	touch $$$$d/.stamp && rm -rf $(B)/mbedtls-$(1) && mv -T $$$$d $(B)/mbedtls-$(1)
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
