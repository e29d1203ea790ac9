/* update_bundle_read.c: the streaming reader of update bundles. It buffers the
 * 384-byte preamble, validates the header, checks the release signature over
 * it, then passes the payload through while hashing each part; nothing of the
 * payload reaches the receiver before the signature is verified. */
#include "update_bundle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>

void upd_reader_error(struct upd_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	r->state = UPD_ST_FAILED;
}

static int fail_cb(struct upd_reader *r, const char *what)
{
	if (r->state != UPD_ST_FAILED || !r->err[0])
		upd_reader_error(r, "bundle: stopped by the receiver (%s)", what);
	r->state = UPD_ST_FAILED;
	return -1;
}

int upd_reader_init(struct upd_reader *r, const uint8_t *pub, size_t publen, const char *board,
		    const struct upd_callbacks *cb)
{
	memset(r, 0, sizeof *r);
	r->state = UPD_ST_FAILED;
	if (cb)
		r->cb = *cb;
	if (board && strlen(board) >= sizeof r->board) {
		upd_reader_error(r, "bundle: board name too long");
		return -1;
	}
	snprintf(r->board, sizeof r->board, "%s", board ? board : "");
	r->pk = malloc(sizeof(mbedtls_pk_context));
	r->sha = malloc(sizeof(mbedtls_sha256_context));
	if (!r->pk || !r->sha) {
		upd_reader_error(r, "bundle: out of memory");
		return -1;
	}
	mbedtls_pk_init(r->pk);
	mbedtls_sha256_init(r->sha);
	if (psa_crypto_init() != PSA_SUCCESS) {
		upd_reader_error(r, "bundle: crypto initialisation failed");
		return -1;
	}
	int rc = mbedtls_pk_parse_public_key(r->pk, pub, publen);
	if (rc != 0) {
		upd_reader_error(r, "release key: cannot parse public key (mbedtls -0x%04x)", (unsigned)-rc);
		return -1;
	}
	if (!mbedtls_pk_can_do(r->pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(r->pk) != 256) {
		upd_reader_error(r, "release key: not an ECDSA P-256 key");
		return -1;
	}
	r->state = UPD_ST_PREAMBLE;
	return 0;
}

void upd_reader_free(struct upd_reader *r)
{
	if (r->pk)
		mbedtls_pk_free(r->pk);
	if (r->sha)
		mbedtls_sha256_free(r->sha);
	free(r->pk);
	free(r->sha);
	r->pk = r->sha = NULL;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* The signature block: u16 LE length, DER signature, zeros. */
static int check_signature(struct upd_reader *r)
{
	const uint8_t *hdr = r->pre, *sig = r->pre + UPD_HEADER_SIZE;
	size_t len = (size_t)sig[0] | (size_t)sig[1] << 8;
	if (len < 8 || len > UPD_SIG_SIZE - 2) {
		upd_reader_error(r, "bundle: signature length %zu out of range", len);
		return -1;
	}
	for (size_t i = 2 + len; i < UPD_SIG_SIZE; i++) {
		if (sig[i]) {
			upd_reader_error(r, "bundle: signature block padding is not zero");
			return -1;
		}
	}
	uint8_t hash[32], id[32];
	unsigned char der[256];
	int n = mbedtls_pk_write_pubkey_der(r->pk, der, sizeof der);
	if (n <= 0 || mbedtls_sha256(der + sizeof der - n, (size_t)n, id, 0) != 0 ||
	    mbedtls_sha256(hdr, UPD_HEADER_SIZE, hash, 0) != 0) {
		upd_reader_error(r, "bundle: hashing failed");
		return -1;
	}
	if (memcmp(id, r->info.key_id, UPD_KEYID_SIZE) != 0) {
		char a[2 * UPD_KEYID_SIZE + 1], b[2 * UPD_KEYID_SIZE + 1];
		hex(r->info.key_id, UPD_KEYID_SIZE, a);
		hex(id, UPD_KEYID_SIZE, b);
		upd_reader_error(r, "bundle: signed by another key (key id %s; this host trusts %s)", a, b);
		return -1;
	}
	int rc = mbedtls_pk_verify(r->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig + 2, len);
	if (rc != 0) {
		upd_reader_error(r, "bundle: bad signature (mbedtls -0x%04x)", (unsigned)-rc);
		return -1;
	}
	return 0;
}

/* The preamble is complete: header, board, signature, then the receiver. */
static int preamble_done(struct upd_reader *r)
{
	if (upd_header_decode(r->pre, &r->info, r->err, sizeof r->err)) {
		r->state = UPD_ST_FAILED;
		return -1;
	}
	if (check_signature(r))
		return -1;
	if (r->board[0] && strcmp(r->board, r->info.board) != 0) {
		upd_reader_error(r, "bundle: for board '%s', this host is '%s'", r->info.board, r->board);
		return -1;
	}
	if (r->cb.header && r->cb.header(r->cb.ctx, &r->info))
		return fail_cb(r, "header");
	r->state = UPD_ST_PAYLOAD;
	r->part = 0;
	r->part_seen = 0;
	if (mbedtls_sha256_starts(r->sha, 0) != 0) {
		upd_reader_error(r, "bundle: hashing failed");
		return -1;
	}
	return 0;
}

static int part_done(struct upd_reader *r)
{
	uint8_t h[32];
	if (mbedtls_sha256_finish(r->sha, h) != 0) {
		upd_reader_error(r, "bundle: hashing failed");
		return -1;
	}
	if (memcmp(h, r->info.sha256[r->part], 32) != 0) {
		upd_reader_error(r, "bundle: %s does not match its SHA-256 in the signed header (corrupted)",
				 upd_part_name(r->part));
		return -1;
	}
	if (r->cb.part_done && r->cb.part_done(r->cb.ctx, r->part))
		return fail_cb(r, "part done");
	r->part++;
	r->part_seen = 0;
	if (r->part == UPD_PARTS) {
		r->state = UPD_ST_DONE;
		return 0;
	}
	if (mbedtls_sha256_starts(r->sha, 0) != 0) {
		upd_reader_error(r, "bundle: hashing failed");
		return -1;
	}
	return 0;
}

/* Payload bytes: hash and hand over, at most up to the end of the part. */
static size_t feed_payload(struct upd_reader *r, const uint8_t *p, size_t len)
{
	uint64_t left = r->info.size[r->part] - r->part_seen;
	size_t n = len < left ? len : (size_t)left;
	if (mbedtls_sha256_update(r->sha, p, n) != 0) {
		upd_reader_error(r, "bundle: hashing failed");
		return 0;
	}
	if (r->cb.data && r->cb.data(r->cb.ctx, r->part, p, n)) {
		fail_cb(r, "data");
		return 0;
	}
	r->part_seen += n;
	if (r->part_seen == r->info.size[r->part] && part_done(r))
		return 0;
	return n;
}

int upd_reader_feed(struct upd_reader *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		size_t n = 0;
		switch (r->state) {
		case UPD_ST_PREAMBLE:
			n = UPD_PREAMBLE - r->pre_len;
			if (n > len)
				n = len;
			memcpy(r->pre + r->pre_len, p, n);
			r->pre_len += n;
			if (r->pre_len == UPD_PREAMBLE && preamble_done(r))
				return -1;
			break;
		case UPD_ST_PAYLOAD:
			n = feed_payload(r, p, len);
			if (r->state == UPD_ST_FAILED)
				return -1;
			break;
		case UPD_ST_DONE:
			upd_reader_error(r, "bundle: %zu unexpected bytes after the end (at offset %llu)", len,
					 (unsigned long long)r->total);
			return -1;
		case UPD_ST_FAILED:
			if (!r->err[0])
				upd_reader_error(r, "bundle: reader not initialised");
			return -1;
		}
		p += n, len -= n, r->total += n;
	}
	return 0;
}

int upd_reader_finish(struct upd_reader *r)
{
	if (r->state == UPD_ST_DONE)
		return 0;
	if (r->state == UPD_ST_FAILED)
		return -1;
	uint64_t want = UPD_PREAMBLE;
	if (r->state == UPD_ST_PAYLOAD)
		want += r->info.size[0] + r->info.size[1];
	upd_reader_error(r, "bundle: truncated: %llu of %llu bytes", (unsigned long long)r->total,
			 (unsigned long long)want);
	return -1;
}
