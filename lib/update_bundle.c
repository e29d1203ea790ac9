/* update_bundle.c: header encoding/validation of update bundles and the
 * streaming reader (signature check after the header, SHA-256 per part). */
#include "update_bundle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>

/* Header field offsets (docs/updates.md). */
enum {
	OFF_MAGIC = 0, OFF_FORMAT = 8, OFF_HDRSIZE = 12, OFF_BOARD = 16, OFF_VERSION = 48,
	OFF_SIZE = 80, OFF_SHA = 96, OFF_SIGALG = 160, OFF_KEYID = 164, OFF_TIME = 172,
	OFF_RESERVED = 180,
};

#include "errbuf.h"

const char *upd_part_name(enum upd_part p)
{
	return p == UPD_PART_KERNEL ? "vmlinuz" : p == UPD_PART_INITRAMFS ? "initramfs.img" : "?";
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Board and version: 1..31 characters of [A-Za-z0-9._+~-]. */
static int valid_str(const char *s)
{
	size_t n = strnlen(s, UPD_STR_MAX);
	if (n == 0 || n >= UPD_STR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '+' || c == '~' || c == '-'))
			return 0;
	}
	return 1;
}

static int check_sizes(const uint64_t size[UPD_PARTS], char *err, size_t errlen)
{
	for (int p = 0; p < UPD_PARTS; p++) {
		if (size[p] == 0 || size[p] > UPD_PART_MAX) {
			seterr(err, errlen, "bundle: %s size %llu out of range (1..%u)", upd_part_name(p),
			       (unsigned long long)size[p], UPD_PART_MAX);
			return -1;
		}
	}
	return 0;
}

int upd_header_encode(const struct upd_info *in, uint8_t out[UPD_HEADER_SIZE], char *err, size_t errlen)
{
	if (!valid_str(in->board) || !valid_str(in->version)) {
		seterr(err, errlen, "bundle: board and version must be 1..%u characters of [A-Za-z0-9._+~-]",
		       UPD_STR_MAX - 1);
		return -1;
	}
	if (check_sizes(in->size, err, errlen))
		return -1;
	memset(out, 0, UPD_HEADER_SIZE);
	memcpy(out + OFF_MAGIC, UPD_MAGIC, 8);
	put_le(out + OFF_FORMAT, UPD_FORMAT, 4);
	put_le(out + OFF_HDRSIZE, UPD_HEADER_SIZE, 4);
	memcpy(out + OFF_BOARD, in->board, strlen(in->board));
	memcpy(out + OFF_VERSION, in->version, strlen(in->version));
	for (int p = 0; p < UPD_PARTS; p++) {
		put_le(out + OFF_SIZE + 8 * p, in->size[p], 8);
		memcpy(out + OFF_SHA + 32 * p, in->sha256[p], 32);
	}
	put_le(out + OFF_SIGALG, UPD_SIG_ECDSA_P256_SHA256, 4);
	memcpy(out + OFF_KEYID, in->key_id, UPD_KEYID_SIZE);
	put_le(out + OFF_TIME, in->build_time, 8);
	return 0;
}

/* A NUL-padded string field: valid characters, then only zeros. */
static int decode_str(const uint8_t *f, char *out, const char *what, char *err, size_t errlen)
{
	memcpy(out, f, UPD_STR_MAX);
	size_t n = strnlen(out, UPD_STR_MAX);
	int pad_ok = n < UPD_STR_MAX;   /* a NUL inside the field */
	for (size_t i = n; i < UPD_STR_MAX; i++)
		pad_ok &= f[i] == 0;
	out[UPD_STR_MAX - 1] = 0;
	if (!pad_ok || !valid_str(out)) {
		seterr(err, errlen, "bundle: malformed %s field", what);
		return -1;
	}
	return 0;
}

int upd_header_decode(const uint8_t in[UPD_HEADER_SIZE], struct upd_info *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (memcmp(in + OFF_MAGIC, UPD_MAGIC, 8) != 0) {
		seterr(err, errlen, "bundle: bad magic (not a Wafer update bundle)");
		return -1;
	}
	out->format = (uint32_t)get_le(in + OFF_FORMAT, 4);
	if (out->format != UPD_FORMAT) {
		seterr(err, errlen, "bundle: format %u not supported (this host reads format %u)", out->format, UPD_FORMAT);
		return -1;
	}
	uint32_t hs = (uint32_t)get_le(in + OFF_HDRSIZE, 4);
	if (hs != UPD_HEADER_SIZE) {
		seterr(err, errlen, "bundle: header size %u, expected %u", hs, UPD_HEADER_SIZE);
		return -1;
	}
	if (decode_str(in + OFF_BOARD, out->board, "board", err, errlen) ||
	    decode_str(in + OFF_VERSION, out->version, "version", err, errlen))
		return -1;
	for (int p = 0; p < UPD_PARTS; p++) {
		out->size[p] = get_le(in + OFF_SIZE + 8 * p, 8);
		memcpy(out->sha256[p], in + OFF_SHA + 32 * p, 32);
	}
	if (check_sizes(out->size, err, errlen))
		return -1;
	out->sig_alg = (uint32_t)get_le(in + OFF_SIGALG, 4);
	if (out->sig_alg != UPD_SIG_ECDSA_P256_SHA256) {
		seterr(err, errlen, "bundle: signature algorithm %u not supported", out->sig_alg);
		return -1;
	}
	memcpy(out->key_id, in + OFF_KEYID, UPD_KEYID_SIZE);
	out->build_time = get_le(in + OFF_TIME, 8);
	for (size_t i = OFF_RESERVED; i < UPD_HEADER_SIZE; i++) {
		if (in[i]) {
			seterr(err, errlen, "bundle: reserved header byte %zu is not zero", i);
			return -1;
		}
	}
	return 0;
}

static int pk_key_id(mbedtls_pk_context *pk, uint8_t id[UPD_KEYID_SIZE])
{
	unsigned char der[256], hash[32];
	int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
	if (n <= 0)
		return -1;
	if (mbedtls_sha256(der + sizeof der - n, (size_t)n, hash, 0) != 0)
		return -1;
	memcpy(id, hash, UPD_KEYID_SIZE);
	return 0;
}

/* Parse a P-256 public key (the only kind of release key). */
static int load_pub(mbedtls_pk_context *pk, const uint8_t *pub, size_t len, char *err, size_t errlen)
{
	psa_crypto_init();
	int rc = mbedtls_pk_parse_public_key(pk, pub, len);
	if (rc != 0) {
		seterr(err, errlen, "release key: cannot parse public key (mbedtls -0x%04x)", (unsigned)-rc);
		return -1;
	}
	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(pk) != 256) {
		seterr(err, errlen, "release key: not an ECDSA P-256 key");
		return -1;
	}
	return 0;
}

int upd_key_id(const uint8_t *pub, size_t len, uint8_t id[UPD_KEYID_SIZE], char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	mbedtls_pk_init(&pk);
	int rc = load_pub(&pk, pub, len, err, errlen);
	if (!rc && pk_key_id(&pk, id) != 0) {
		seterr(err, errlen, "release key: cannot encode public key");
		rc = -1;
	}
	mbedtls_pk_free(&pk);
	return rc;
}

/* One numeric component of a version string; *s advances past it. */
static unsigned long long ver_num(const char **s)
{
	unsigned long long v = 0;
	while (**s >= '0' && **s <= '9') {
		if (v < 1000000000000ULL)
			v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
	}
	return v;
}

int upd_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		if ((*a >= '0' && *a <= '9') || (*b >= '0' && *b <= '9')) {
			unsigned long long x = ver_num(&a), y = ver_num(&b);
			if (x != y)
				return x < y ? -1 : 1;
		}
		if (*a == '.' && *b == '.') {
			a++, b++;
			continue;
		}
		if (*a == '.')        /* 1.2.1 > 1.2 */
			return 1;
		if (*b == '.')
			return -1;
		/* Numbers done: no suffix > a pre-release suffix. */
		if (!*a || !*b)
			return *a ? -1 : *b ? 1 : 0;
		int c = strcmp(a, b);
		return c < 0 ? -1 : c > 0;
	}
	return 0;
}
