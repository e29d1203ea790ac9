/* update_bundle.h: the signed update bundle (docs/updates.md): encoding of its
 * header and a streaming reader that validates the header, checks the release
 * signature before the first payload byte and hashes each part as it passes.
 * Used by wafer-sign on the build machine and by wafer-agent in the image. */
#ifndef WAFER_UPDATE_BUNDLE_H
#define WAFER_UPDATE_BUNDLE_H
#include <stddef.h>
#include <stdint.h>

#define UPD_MAGIC        "WAFERUPD"
#define UPD_FORMAT       1u
#define UPD_HEADER_SIZE  256u   /* signed */
#define UPD_SIG_SIZE     128u   /* u16 DER length + DER ECDSA signature + zeros */
#define UPD_PREAMBLE     (UPD_HEADER_SIZE + UPD_SIG_SIZE)
#define UPD_STR_MAX      32u    /* board and version fields, NUL-padded */
#define UPD_PART_MAX     (48u << 20)  /* no slot file is larger than the boot partition */
#define UPD_SIG_ECDSA_P256_SHA256 1u
#define UPD_KEYID_SIZE   8u

enum upd_part { UPD_PART_KERNEL = 0, UPD_PART_INITRAMFS = 1, UPD_PARTS = 2 };

struct upd_info {
	uint32_t format;
	char board[UPD_STR_MAX];      /* NUL-terminated */
	char version[UPD_STR_MAX];    /* NUL-terminated */
	uint64_t size[UPD_PARTS];
	uint8_t sha256[UPD_PARTS][32];
	uint32_t sig_alg;
	uint8_t key_id[UPD_KEYID_SIZE];  /* first bytes of SHA-256(public key DER) */
	uint64_t build_time;             /* seconds since 1970 (SOURCE_DATE_EPOCH) */
};

/* File names of the parts inside a slot folder ("vmlinuz", "initramfs.img"). */
const char *upd_part_name(enum upd_part p);

/* Header <-> bytes. Decoding validates every field (magic, format, sizes,
 * strings, reserved bytes); on error it returns -1 with a message in err. */
int upd_header_encode(const struct upd_info *in, uint8_t out[UPD_HEADER_SIZE], char *err, size_t errlen);
int upd_header_decode(const uint8_t in[UPD_HEADER_SIZE], struct upd_info *out, char *err, size_t errlen);

/* Key id of a public key (PEM or DER as mbedtls_pk_parse_public_key takes it). */
int upd_key_id(const uint8_t *pub, size_t len, uint8_t id[UPD_KEYID_SIZE], char *err, size_t errlen);

/* Compare two version strings: dot-separated numbers, then an optional
 * "-suffix" (a pre-release: 1.2.0-rc1 < 1.2.0). Returns <0, 0, >0. */
int upd_version_cmp(const char *a, const char *b);

/* Callbacks of the streaming reader; each returns 0 to go on, or non-zero to
 * stop (the reader then fails with "stopped by the receiver" unless the
 * callback left its own message with upd_reader_error). */
struct upd_callbacks {
	/* The header is valid and its signature verified; nothing of the payload
	 * has been seen yet. The receiver checks version/space here. */
	int (*header)(void *ctx, const struct upd_info *info);
	/* Payload bytes of one part, in order, hash not yet verified. */
	int (*data)(void *ctx, enum upd_part part, const uint8_t *buf, size_t len);
	/* All of a part has passed and its SHA-256 matches the header. */
	int (*part_done)(void *ctx, enum upd_part part);
	void *ctx;
};

enum upd_state { UPD_ST_PREAMBLE, UPD_ST_PAYLOAD, UPD_ST_DONE, UPD_ST_FAILED };

struct upd_reader {
	enum upd_state state;
	struct upd_callbacks cb;
	char board[UPD_STR_MAX];           /* expected board; "" accepts any */
	uint8_t pre[UPD_PREAMBLE];
	size_t pre_len;
	struct upd_info info;
	int part;
	uint64_t part_seen;
	uint64_t total;                     /* bytes consumed so far */
	void *pk;                           /* mbedtls_pk_context */
	void *sha;                          /* mbedtls_sha256_context */
	char err[200];
};

/* pub: the release public key (PEM, NUL included in len, or DER).
 * board: the running board; bundles for another board are refused.
 * Returns 0, or -1 with the reason in r->err (call upd_reader_free anyway). */
int upd_reader_init(struct upd_reader *r, const uint8_t *pub, size_t publen, const char *board,
		    const struct upd_callbacks *cb);
/* Feed the next bytes of the bundle. Returns 0, or -1 (r->err says why; the
 * reader stays failed). */
int upd_reader_feed(struct upd_reader *r, const void *buf, size_t len);
/* End of input: 0 if the whole bundle was seen and verified, else -1. */
int upd_reader_finish(struct upd_reader *r);
/* Let a callback explain why it stopped the reader. */
void upd_reader_error(struct upd_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void upd_reader_free(struct upd_reader *r);

/* Signing side (build machine: wafer-sign, tests). key: a parsed
 * mbedtls_pk_context holding the P-256 private key; rng as mbedTLS takes it.
 * Fills the signature block for the encoded header. */
int upd_sign_header(const uint8_t hdr[UPD_HEADER_SIZE], void *key,
		    int (*rng)(void *, unsigned char *, size_t), void *rng_ctx,
		    uint8_t sig[UPD_SIG_SIZE], char *err, size_t errlen);

#endif
