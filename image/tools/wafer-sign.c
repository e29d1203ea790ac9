/* wafer-sign: the build machine's release-signing tool for update bundles
 * (docs/updates.md). Subcommands:
 *   keygen KEY PUB          a new ECDSA P-256 release key pair (PEM)
 *   pubkey KEY PUB          the public half of an existing release key
 *   sign --key KEY --board B --version V --kernel F --initramfs F [--time T] -o OUT
 *   verify --pub PUB [--board B] [--extract DIR] BUNDLE
 * verify reads the bundle through the same streaming reader as the agent. */
#include "update_bundle.h"

#include "sign.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>

static mbedtls_entropy_context entropy;
mbedtls_ctr_drbg_context sign_drbg;

int sign_die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "wafer-sign: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int rng_init(void)
{
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&sign_drbg);
	psa_crypto_init();
	return mbedtls_ctr_drbg_seed(&sign_drbg, mbedtls_entropy_func, &entropy,
				     (const unsigned char *)"wafer-sign", 10);
}

/* Write data to path through a temporary file and rename. */
int sign_save(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return sign_die("%s: %s", tmp, strerror(errno));
	ssize_t n = write(fd, data, len);
	if (n != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return sign_die("%s: %s", path, strerror(errno ? errno : EIO));
	}
	return 0;
}

static int write_pub(mbedtls_pk_context *pk, const char *path)
{
	unsigned char pem[512];
	if (mbedtls_pk_write_pubkey_pem(pk, pem, sizeof pem) != 0)
		return sign_die("%s: cannot encode the public key", path);
	return sign_save(path, pem, strlen((char *)pem), 0644);
}

int sign_load_key(mbedtls_pk_context *pk, const char *path)
{
	int rc = mbedtls_pk_parse_keyfile(pk, path, NULL, mbedtls_ctr_drbg_random, &sign_drbg);
	if (rc != 0)
		return sign_die("%s: not a readable PEM/DER private key", path);
	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(pk) != 256)
		return sign_die("%s: the release key must be ECDSA P-256", path);
	return 0;
}

static int cmd_keygen(int argc, char **argv)
{
	if (argc != 3)
		return sign_die("usage: wafer-sign keygen KEY PUB");
	if (access(argv[1], F_OK) == 0)
		return sign_die("%s exists; refusing to replace a release key", argv[1]);
	mbedtls_pk_context pk;
	unsigned char pem[1024];
	mbedtls_pk_init(&pk);
	int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
		 mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random, &sign_drbg) ||
		 mbedtls_pk_write_key_pem(&pk, pem, sizeof pem);
	if (rc)
		rc = sign_die("key generation failed");
	if (!rc)
		rc = sign_save(argv[1], pem, strlen((char *)pem), 0600) || write_pub(&pk, argv[2]);
	mbedtls_platform_zeroize(pem, sizeof pem);
	mbedtls_pk_free(&pk);
	if (!rc)
		printf("release key pair: %s (private, keep it safe), %s\n", argv[1], argv[2]);
	return rc;
}

static int cmd_pubkey(int argc, char **argv)
{
	if (argc != 3)
		return sign_die("usage: wafer-sign pubkey KEY PUB");
	mbedtls_pk_context pk;
	mbedtls_pk_init(&pk);
	int rc = sign_load_key(&pk, argv[1]) || write_pub(&pk, argv[2]);
	mbedtls_pk_free(&pk);
	return rc;
}

/* Value of "--name VALUE" in argv, or NULL; marks consumed entries. */
const char *sign_opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (argv[i] && strcmp(argv[i], name) == 0) {
			const char *v = argv[i + 1];
			argv[i] = argv[i + 1] = NULL;
			return v;
		}
	}
	return NULL;
}

int sign_leftover(int argc, char **argv, const char **pos)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!argv[i])
			continue;
		if ((argv[i][0] == '-' && argv[i][1]) || n++)
			return sign_die("unexpected argument '%s'", argv[i]);
		*pos = argv[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wafer-sign keygen KEY PUB | pubkey KEY PUB |\n"
				"  sign --key KEY --board B --version V --kernel F --initramfs F [--time T] -o OUT |\n"
				"  verify --pub PUB [--board B] [--extract DIR] BUNDLE\n");
		return 2;
	}
	if (rng_init() != 0)
		return sign_die("random generator failed");
	const char *cmd = argv[1];
	argc--, argv++;
	int rc;
	if (strcmp(cmd, "keygen") == 0)
		rc = cmd_keygen(argc, argv);
	else if (strcmp(cmd, "pubkey") == 0)
		rc = cmd_pubkey(argc, argv);
	else if (strcmp(cmd, "sign") == 0)
		rc = cmd_sign(argc, argv);
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify(argc, argv);
	else
		rc = sign_die("unknown command '%s'", cmd);
	mbedtls_ctr_drbg_free(&sign_drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}
