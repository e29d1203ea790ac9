# lib/lib.mk: code shared by several programs. Each library is a list of
# sources a program adds to its own object list, e.g.
#   $(B)/bin/foo: $(call target_objs,foo.c $(LIB_JSON_SRCS))
# Objects land in $(B)/obj/{target,host,test}/lib/*.o like any other source.

LIB_JSON_SRCS     := lib/json.c lib/json_write.c
LIB_WLOG_SRCS     := lib/wlog.c
LIB_FSUTIL_SRCS   := lib/fsutil.c
LIB_CRC32_SRCS    := lib/crc32.c
LIB_CFGSTORE_SRCS := lib/cfgstore.c lib/fsutil.c

# Helpers: object paths for a list of sources.
target_objs = $(addprefix $(B)/obj/target/,$(patsubst %.c,%.o,$(1)))
host_objs   = $(addprefix $(B)/obj/host/,$(patsubst %.c,%.o,$(1)))

# The headers include the generated version header through -I$(B)/gen.
$(B)/obj/target/lib/%.o $(B)/obj/host/lib/%.o $(B)/obj/test/lib/%.o: | $(B)/gen/wafer-version.h

UNIT_TESTS += lib_json lib_wlog lib_fsutil
UT_lib_json_SRCS   := lib/tests/test_json.c $(LIB_JSON_SRCS)
UT_lib_wlog_SRCS   := lib/tests/test_wlog.c $(LIB_WLOG_SRCS)
UT_lib_fsutil_SRCS := lib/tests/test_fsutil.c $(LIB_CFGSTORE_SRCS)
$(B)/obj/test/lib/tests/%.o: CFLAGS_EXTRA += -Itests/unit

# The stream a VM moves between hosts in (export/import, docs/agent.md).
# (vmexport also needs $(LIB_FSUTIL_SRCS), not listed here so that a program
# combining several libraries links fsutil once.)
LIB_VMEXPORT_SRCS := lib/vmexport.c $(LIB_CRC32_SRCS)
UNIT_TESTS += lib_vmexport
UT_lib_vmexport_SRCS := lib/tests/test_vmexport.c $(LIB_VMEXPORT_SRCS) $(LIB_FSUTIL_SRCS)

# fsck.fat around a FAT volume before a read-write mount (init, agent).
LIB_FATCHECK_SRCS := lib/fatcheck.c
UNIT_TESTS += lib_fatcheck
UT_lib_fatcheck_SRCS := lib/tests/test_fatcheck.c $(LIB_FATCHECK_SRCS)

# Client side of wafer-init's sockets (init.sock, log.sock, log-in.sock).
LIB_INITCTL_SRCS := lib/initctl.c
UNIT_TESTS += lib_initctl
UT_lib_initctl_SRCS := lib/tests/test_initctl.c $(LIB_INITCTL_SRCS)

# Update bundles (docs/updates.md): header, streaming reader (agent), signing
# (wafer-sign); A/B state files (GRUB env block, U-Boot text env).
LIB_UPDATE_SRCS      := lib/update_bundle.c lib/update_bundle_read.c
LIB_UPDATE_SIGN_SRCS := lib/update_bundle_sign.c
# update_slot and abstate also need $(LIB_FSUTIL_SRCS) (not listed here, so
# that a program combining several libraries links fsutil once).
LIB_UPDATE_SLOT_SRCS := lib/update_slot.c
LIB_ABSTATE_SRCS     := lib/abstate.c lib/abstate_env.c
UPDATE_LIB_OBJS = $(foreach s,$(LIB_UPDATE_SRCS) $(LIB_UPDATE_SIGN_SRCS) lib/update_slot.c lib/tests/test_update_bundle.c,$(patsubst %.c,%.o,$(s)))
$(addprefix $(B)/obj/target/,$(UPDATE_LIB_OBJS)): CFLAGS_EXTRA += $(MBEDTLS_TARGET_INC)
$(addprefix $(B)/obj/target/,$(UPDATE_LIB_OBJS)): | $(B)/mbedtls-target/.stamp
$(addprefix $(B)/obj/host/,$(UPDATE_LIB_OBJS)) $(addprefix $(B)/obj/test/,$(UPDATE_LIB_OBJS)): CFLAGS_EXTRA += $(MBEDTLS_HOST_INC)
$(addprefix $(B)/obj/host/,$(UPDATE_LIB_OBJS)) $(addprefix $(B)/obj/test/,$(UPDATE_LIB_OBJS)): | $(B)/mbedtls-host/.stamp
UNIT_TESTS += lib_update_bundle lib_abstate
UT_lib_update_bundle_SRCS := lib/tests/test_update_bundle.c $(LIB_UPDATE_SRCS) $(LIB_UPDATE_SIGN_SRCS) \
	$(LIB_UPDATE_SLOT_SRCS) $(LIB_FSUTIL_SRCS)
UT_lib_update_bundle_LIBS = $(MBEDTLS_HOST_LIBS)
UT_lib_update_bundle_DEPS = $(MBEDTLS_HOST_LIBS)
UT_lib_abstate_SRCS := lib/tests/test_abstate.c $(LIB_ABSTATE_SRCS) $(LIB_FSUTIL_SRCS)

# Parsers and helpers both wafer-agent and waferctl use: HTTP/1.1 heads and
# chunked bodies, WebSocket frames (RFC 6455; the accept key needs mbedTLS's
# SHA-1), X.509 helpers on mbedTLS (names, roles, fingerprints, PEM files).
LIB_HTTP_SRCS    := lib/http_parse.c
LIB_WSFRAME_SRCS := lib/ws_frame.c
LIB_X509_SRCS    := lib/tls_x509.c
MBEDTLS_LIB_OBJS = lib/ws_frame.o lib/tls_x509.o lib/tests/test_wsframe.o
$(addprefix $(B)/obj/target/,$(MBEDTLS_LIB_OBJS)): CFLAGS_EXTRA += $(MBEDTLS_TARGET_INC)
$(addprefix $(B)/obj/target/,$(MBEDTLS_LIB_OBJS)): | $(B)/mbedtls-target/.stamp
$(addprefix $(B)/obj/host/,$(MBEDTLS_LIB_OBJS)) $(addprefix $(B)/obj/test/,$(MBEDTLS_LIB_OBJS)): CFLAGS_EXTRA += $(MBEDTLS_HOST_INC)
$(addprefix $(B)/obj/host/,$(MBEDTLS_LIB_OBJS)) $(addprefix $(B)/obj/test/,$(MBEDTLS_LIB_OBJS)): | $(B)/mbedtls-host/.stamp
UNIT_TESTS += lib_http lib_wsframe
UT_lib_http_SRCS    := lib/tests/test_http.c $(LIB_HTTP_SRCS)
UT_lib_wsframe_SRCS := lib/tests/test_wsframe.c $(LIB_WSFRAME_SRCS)
UT_lib_wsframe_LIBS = $(MBEDTLS_HOST_LIBS)
UT_lib_wsframe_DEPS = $(MBEDTLS_HOST_LIBS)
