/* sign.h: helpers shared by the parts of wafer-sign (image/tools/). */
#ifndef WAFER_SIGN_H
#define WAFER_SIGN_H
#include <stddef.h>
#include <sys/types.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>

extern mbedtls_ctr_drbg_context sign_drbg;

/* Print "wafer-sign: MESSAGE" on stderr; returns 1 (the exit code). */
int sign_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a file through PATH.tmp + fsync + rename. 0 or 1. */
int sign_save(const char *path, const void *data, size_t len, mode_t mode);
/* Load a P-256 private key. 0 or 1. */
int sign_load_key(mbedtls_pk_context *pk, const char *path);
/* "--name VALUE" from argv (consumed: set to NULL), or NULL. */
const char *sign_opt(int argc, char **argv, const char *name);
/* At most one positional argument left (into *pos); 0 or 1. */
int sign_leftover(int argc, char **argv, const char **pos);

int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
#endif
