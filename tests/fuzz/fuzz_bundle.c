/* fuzz_bundle: signed update bundles as POST /api/v1/host/update streams
 * them through the reader (lib/update_bundle_read.c). The first input byte
 * picks the case:
 *   0: the whole bundle from the input (header, signature, payload)
 *   1: a correctly signed header for 16+16 payload bytes, then the input as
 *      the payload (wrong hashes, short, long: the streaming state machine)
 *   2: the input as a header for the decoder alone
 * and the second byte how the bytes are cut into feeds. Nothing unverified
 * may reach the receiver: a data callback before the header callback, or a
 * part_done whose bytes differ from the signed hash, aborts. */
#include "update_bundle.h"
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pub[512];
static uint8_t good_pre[UPD_PREAMBLE];
static const uint8_t part_bytes[2][16] = { "kernel-bytes-16b", "initrd-bytes-16b" };

static int rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
		out[i] = (unsigned char)(*s >> 24);
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mbedtls_pk_context pk;
	uint64_t seed = 7;
	char err[200];
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), rng, &seed) ||
	    mbedtls_pk_write_pubkey_pem(&pk, pub, sizeof pub))
		abort();
	struct upd_info in;
	memset(&in, 0, sizeof in);
	strcpy(in.board, "x86_64");
	strcpy(in.version, "1.2.3");
	for (int p = 0; p < UPD_PARTS; p++) {
		in.size[p] = sizeof part_bytes[p];
		mbedtls_sha256(part_bytes[p], sizeof part_bytes[p], in.sha256[p], 0);
	}
	in.build_time = 1700000000;
	if (upd_key_id(pub, strlen((char *)pub) + 1, in.key_id, err, sizeof err) ||
	    upd_header_encode(&in, good_pre, err, sizeof err) ||
	    upd_sign_header(good_pre, &pk, rng, &seed, good_pre + UPD_HEADER_SIZE, err, sizeof err))
		abort();
	mbedtls_pk_free(&pk);
	return 0;
}

struct sink {
	int header;
	mbedtls_sha256_context sha[UPD_PARTS];
	struct upd_info info;
};

static int on_header(void *ctx, const struct upd_info *info)
{
	struct sink *s = ctx;
	s->header = 1;
	s->info = *info;
	return 0;
}

static int on_data(void *ctx, enum upd_part part, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	if (!s->header || part >= UPD_PARTS)
		abort(); /* payload before a verified header */
	mbedtls_sha256_update(&s->sha[part], buf, len);
	return 0;
}

static int on_part_done(void *ctx, enum upd_part part)
{
	struct sink *s = ctx;
	uint8_t h[32];
	mbedtls_sha256_finish(&s->sha[part], h);
	if (memcmp(h, s->info.sha256[part], 32) != 0)
		abort(); /* a part passed whose bytes do not match the signed hash */
	return 0;
}

static void feed(const uint8_t *b, size_t n, unsigned cut)
{
	struct sink s = { 0 };
	for (int p = 0; p < UPD_PARTS; p++) {
		mbedtls_sha256_init(&s.sha[p]);
		mbedtls_sha256_starts(&s.sha[p], 0);
	}
	struct upd_callbacks cb = { .header = on_header, .data = on_data, .part_done = on_part_done, .ctx = &s };
	struct upd_reader r;
	if (upd_reader_init(&r, pub, strlen((char *)pub) + 1, "x86_64", &cb) == 0) {
		size_t step = cut ? cut : n ? n : 1;
		int rc = 0;
		for (size_t o = 0; o < n && rc == 0; o += step)
			rc = upd_reader_feed(&r, b + o, n - o < step ? n - o : step);
		if (rc == 0)
			upd_reader_finish(&r);
	}
	upd_reader_free(&r);
	for (int p = 0; p < UPD_PARTS; p++)
		mbedtls_sha256_free(&s.sha[p]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned mode = data[0] % 3, cut = data[1];
	data += 2;
	size -= 2;
	if (mode == 0) {
		feed(data, size, cut);
	} else if (mode == 1) {
		uint8_t *b = malloc(UPD_PREAMBLE + size);
		if (!b)
			return 0;
		memcpy(b, good_pre, UPD_PREAMBLE);
		memcpy(b + UPD_PREAMBLE, data, size);
		feed(b, UPD_PREAMBLE + size, cut);
		free(b);
	} else if (size >= UPD_HEADER_SIZE) {
		struct upd_info info;
		char err[200];
		upd_header_decode(data, &info, err, sizeof err);
	}
	return 0;
}
