/* test_update_bundle.c: signed update bundles through the streaming reader:
 * good bundles in any chunking, and hostile ones (truncated, wrong magic,
 * wrong board, bad or foreign signature, oversized fields, corrupted payload,
 * trailing bytes) that must fail with a clear error before any payload byte
 * of an unverified bundle reaches the receiver. Also version ordering. */
#include "update_bundle.h"
#include "update_slot.h"
#include "wtest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>

/* A deterministic test RNG (xorshift): keys differ per seed. */
static int test_rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
		out[i] = (unsigned char)(*s >> 24);
	}
	return 0;
}

static mbedtls_pk_context key1, key2;
static unsigned char pub1[512], pub2[512];
static uint8_t *kernel, *initrd;
enum { KSIZE = 5000, ISIZE = 70001 };

static void make_key(mbedtls_pk_context *pk, uint64_t seed, unsigned char *pem, size_t cap)
{
	mbedtls_pk_init(pk);
	WT_EQ_INT(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	WT_EQ_INT(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), test_rng, &seed), 0);
	WT_EQ_INT(mbedtls_pk_write_pubkey_pem(pk, pem, cap), 0);
}

/* A bundle: header from info (sizes/hashes filled in), signed with key. */
struct buf { uint8_t *p; size_t len; };

static struct buf sign_raw(const uint8_t hdr[UPD_HEADER_SIZE], mbedtls_pk_context *key)
{
	struct buf b = { malloc(UPD_PREAMBLE + KSIZE + ISIZE), UPD_PREAMBLE + KSIZE + ISIZE };
	char err[200] = "";
	uint64_t seed = 99;
	memcpy(b.p, hdr, UPD_HEADER_SIZE);
	WT_EQ_INT(upd_sign_header(hdr, key, test_rng, &seed, b.p + UPD_HEADER_SIZE, err, sizeof err), 0);
	memcpy(b.p + UPD_PREAMBLE, kernel, KSIZE);
	memcpy(b.p + UPD_PREAMBLE + KSIZE, initrd, ISIZE);
	return b;
}

static void base_info(struct upd_info *in, mbedtls_pk_context *key, const unsigned char *pem)
{
	char err[200];
	memset(in, 0, sizeof *in);
	strcpy(in->board, "x86_64");
	strcpy(in->version, "1.2.3");
	in->size[0] = KSIZE;
	in->size[1] = ISIZE;
	mbedtls_sha256(kernel, KSIZE, in->sha256[0], 0);
	mbedtls_sha256(initrd, ISIZE, in->sha256[1], 0);
	in->build_time = 1700000000;
	(void)key;
	WT_EQ_INT(upd_key_id(pem, strlen((const char *)pem) + 1, in->key_id, err, sizeof err), 0);
}

static struct buf make_bundle(mbedtls_pk_context *key, const unsigned char *pem)
{
	struct upd_info in;
	uint8_t hdr[UPD_HEADER_SIZE];
	char err[200];
	base_info(&in, key, pem);
	WT_EQ_INT(upd_header_encode(&in, hdr, err, sizeof err), 0);
	return sign_raw(hdr, key);
}

/* The receiver: counts what it is given and compares the bytes. */
struct sink {
	int headers, done[UPD_PARTS];
	size_t got[UPD_PARTS];
	int mismatch, stop_at_header;
	struct upd_reader *r;
};

static int on_header(void *ctx, const struct upd_info *info)
{
	struct sink *s = ctx;
	s->headers++;
	if (s->stop_at_header) {
		upd_reader_error(s->r, "update: version %s is older than the running one", info->version);
		return 1;
	}
	return 0;
}

static int on_data(void *ctx, enum upd_part part, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;
	const uint8_t *ref = part == UPD_PART_KERNEL ? kernel : initrd;
	size_t max = part == UPD_PART_KERNEL ? KSIZE : ISIZE;
	if (s->got[part] + len > max || memcmp(ref + s->got[part], buf, len) != 0)
		s->mismatch = 1;
	s->got[part] += len;
	return 0;
}

static int on_done(void *ctx, enum upd_part part)
{
	((struct sink *)ctx)->done[part]++;
	return 0;
}

/* Feed b in chunks of `chunk` bytes (0: random sizes); returns the result of
 * feed+finish, the reader's message in err. */
static int run(const struct buf *b, size_t len, size_t chunk, const unsigned char *pem, const char *board,
	       struct sink *s, char *err)
{
	struct upd_reader r;
	struct upd_callbacks cb = { on_header, on_data, on_done, s };
	uint64_t seed = 7;
	s->r = &r;
	int rc = upd_reader_init(&r, pem, strlen((const char *)pem) + 1, board, &cb);
	for (size_t off = 0; !rc && off < len;) {
		unsigned char x;
		size_t n = chunk;
		if (!n) {
			test_rng(&seed, &x, 1);
			n = 1 + x * 7u;
		}
		if (n > len - off)
			n = len - off;
		rc = upd_reader_feed(&r, b->p + off, n);
		off += n;
	}
	if (!rc)
		rc = upd_reader_finish(&r);
	snprintf(err, 200, "%s", r.err);
	upd_reader_free(&r);
	return rc;
}

static void t_good_any_chunking(void)
{
	struct buf b = make_bundle(&key1, pub1);
	size_t chunks[] = { 1, 3, 383, 384, 385, 4096, 1 << 20, 0 };
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct sink s = { 0 };
		char err[200];
		WT_EQ_INT(run(&b, b.len, chunks[i], pub1, "x86_64", &s, err), 0);
		WT_EQ_STR(err, "");
		WT_EQ_INT(s.headers, 1);
		WT_EQ_INT(s.got[0], KSIZE);
		WT_EQ_INT(s.got[1], ISIZE);
		WT_EQ_INT(s.done[0] + s.done[1], 2);
		WT_EQ_INT(s.mismatch, 0);
	}
	/* An empty expected board accepts any (wafer-sign verify without --board). */
	struct sink s = { 0 };
	char err[200];
	WT_EQ_INT(run(&b, b.len, 4096, pub1, "", &s, err), 0);
	free(b.p);
}

static void t_truncated(void)
{
	struct buf b = make_bundle(&key1, pub1);
	size_t cuts[] = { 0, 1, 100, UPD_HEADER_SIZE, UPD_PREAMBLE - 1, UPD_PREAMBLE, UPD_PREAMBLE + KSIZE,
			  b.len - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		struct sink s = { 0 };
		char err[200];
		WT_EQ_INT(run(&b, cuts[i], 1000, pub1, "x86_64", &s, err), -1);
		WT_CHECK(strstr(err, "truncated") != NULL);
		WT_EQ_INT(s.done[1], 0);
	}
	free(b.p);
}

static void expect_refused(struct buf *b, const unsigned char *pem, const char *board, const char *msg)
{
	struct sink s = { 0 };
	char err[200];
	WT_EQ_INT(run(b, b->len, 512, pem, board, &s, err), -1);
	if (!strstr(err, msg))
		fprintf(stderr, "  got error '%s', expected '%s'\n", err, msg);
	WT_CHECK(strstr(err, msg) != NULL);
	WT_EQ_INT(s.headers, 0);                 /* refused before the receiver saw anything */
	WT_EQ_INT(s.got[0] + s.got[1], 0);
}

static void t_wrong_magic_board_format(void)
{
	struct buf b = make_bundle(&key1, pub1);
	b.p[0] = 'X';
	expect_refused(&b, pub1, "x86_64", "bad magic");
	free(b.p);

	b = make_bundle(&key1, pub1);
	expect_refused(&b, pub1, "arm64", "for board 'x86_64', this host is 'arm64'");
	free(b.p);

	/* A later format, validly signed: refused by its number. */
	uint8_t hdr[UPD_HEADER_SIZE];
	b = make_bundle(&key1, pub1);
	memcpy(hdr, b.p, sizeof hdr);
	hdr[8] = 2;
	free(b.p);
	b = sign_raw(hdr, &key1);
	expect_refused(&b, pub1, "x86_64", "format 2 not supported");
	free(b.p);
}

static void t_bad_signature(void)
{
	struct buf b = make_bundle(&key1, pub1);
	b.p[50] ^= 1;                            /* version "1.2.3" -> "1.3.3": signed header changed */
	expect_refused(&b, pub1, "x86_64", "bad signature");
	free(b.p);

	b = make_bundle(&key1, pub1);
	b.p[UPD_HEADER_SIZE + 20] ^= 0x40;       /* inside the DER signature */
	expect_refused(&b, pub1, "x86_64", "signature");
	free(b.p);

	b = make_bundle(&key1, pub1);            /* signed by key1, host trusts key2 */
	expect_refused(&b, pub2, "x86_64", "signed by another key");
	free(b.p);

	/* key2 signs a header claiming key1's id: the id matches, the signature not. */
	b = make_bundle(&key1, pub1);
	struct buf forged = sign_raw(b.p, &key2);
	expect_refused(&forged, pub1, "x86_64", "bad signature");
	free(forged.p);
	free(b.p);

	b = make_bundle(&key1, pub1);            /* unsigned: an all-zero signature block */
	memset(b.p + UPD_HEADER_SIZE, 0, UPD_SIG_SIZE);
	expect_refused(&b, pub1, "x86_64", "signature length 0");
	free(b.p);
}

/* Hostile fields in a validly signed header: validation, not the signature, stops them. */
static void t_oversized_fields(void)
{
	struct buf b = make_bundle(&key1, pub1), s;
	uint8_t hdr[UPD_HEADER_SIZE];

	memcpy(hdr, b.p, sizeof hdr);
	hdr[80 + 7] = 0x01;                      /* kernel size 2^56 */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "vmlinuz size");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	memset(hdr + 88, 0, 8);                  /* empty initramfs */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "initramfs.img size 0 out of range");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	memset(hdr + 16, 'x', 32);               /* board without a terminating NUL */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "malformed board");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	hdr[48 + 20] = 'z';                      /* junk after the version's NUL */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "malformed version");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	hdr[48 + 1] = '/';                       /* "1/2.3": not a version character */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "malformed version");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	hdr[200] = 1;
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "reserved header byte 200");
	free(s.p);

	memcpy(hdr, b.p, sizeof hdr);
	hdr[12] = 0;
	hdr[13] = 0x10;                          /* header size 4096 */
	s = sign_raw(hdr, &key1);
	expect_refused(&s, pub1, "x86_64", "header size 4096");
	free(s.p);

	s = make_bundle(&key1, pub1);
	s.p[UPD_HEADER_SIZE] = 200;              /* signature length beyond its block */
	expect_refused(&s, pub1, "x86_64", "signature length 200");
	free(s.p);
	free(b.p);
}

static void t_corrupted_payload(void)
{
	struct buf b = make_bundle(&key1, pub1);
	struct sink s = { 0 };
	char err[200];
	b.p[UPD_PREAMBLE + KSIZE + 1000] ^= 0x80;    /* inside the initramfs */
	WT_EQ_INT(run(&b, b.len, 4096, pub1, "x86_64", &s, err), -1);
	WT_CHECK(strstr(err, "initramfs.img does not match its SHA-256") != NULL);
	WT_EQ_INT(s.done[0], 1);
	WT_EQ_INT(s.done[1], 0);                     /* never declared good */
	free(b.p);
}

static void t_trailing_and_receiver_stop(void)
{
	struct buf b = make_bundle(&key1, pub1);
	uint8_t *p = realloc(b.p, b.len + 10);
	WT_CHECK(p != NULL);
	b.p = p;
	memset(b.p + b.len, 0, 10);
	struct sink s = { 0 };
	char err[200];
	struct buf longer = { b.p, b.len + 10 };
	WT_EQ_INT(run(&longer, longer.len, 4096, pub1, "x86_64", &s, err), -1);
	WT_CHECK(strstr(err, "10 unexpected bytes after the end") != NULL);

	struct sink stop = { .stop_at_header = 1 };
	WT_EQ_INT(run(&b, b.len, 4096, pub1, "x86_64", &stop, err), -1);
	WT_EQ_STR(err, "update: version 1.2.3 is older than the running one");
	WT_EQ_INT(stop.got[0], 0);
	free(b.p);
}

/* Every single-byte change anywhere in a bundle is refused: each byte is
 * signed, hashed, or a length/padding that is checked. */
static void t_any_byte_flip(void)
{
	struct buf b = make_bundle(&key1, pub1);
	uint64_t seed = 4242;
	int refused = 0, runs = 300;
	for (int i = 0; i < runs; i++) {
		unsigned char r[4], x;
		test_rng(&seed, r, sizeof r);
		size_t off = ((size_t)r[0] << 16 | (size_t)r[1] << 8 | r[2]) % b.len;
		if (i < 40)
			off = (size_t)i * (UPD_PREAMBLE / 40);   /* the preamble densely */
		x = r[3] ? r[3] : 1;
		b.p[off] ^= x;
		struct sink s = { 0 };
		char err[200];
		refused += run(&b, b.len, 8192, pub1, "x86_64", &s, err) == -1 && s.done[1] == 0;
		b.p[off] ^= x;
	}
	WT_EQ_INT(refused, runs);
	free(b.p);
}

/* A bundle streamed into a slot folder with update_slot. */
static int stream_to_slot(const struct buf *b, size_t len, const char *dir, struct upd_slot_writer *w,
			  int (*between)(const char *dir), char *err)
{
	struct upd_reader r;
	memset(&r, 0, sizeof r);
	int rc = upd_slot_init(w, dir);
	struct upd_callbacks cb = upd_slot_callbacks(w);
	if (!rc)
		rc = upd_reader_init(&r, pub1, strlen((char *)pub1) + 1, "x86_64", &cb);
	for (size_t off = 0; !rc && off < len; off += 4096)
		rc = upd_reader_feed(&r, b->p + off, len - off < 4096 ? len - off : 4096);
	if (!rc)
		rc = upd_reader_finish(&r);
	if (!rc && between)
		rc = between(dir);
	if (!rc)
		rc = upd_slot_commit(w);
	snprintf(err, 200, "%.199s", w->err[0] ? w->err : r.err);
	if (rc)
		upd_slot_abort(w);
	upd_reader_free(&r);
	return rc;
}

static int file_is(const char *dir, const char *name, const uint8_t *want, size_t len)
{
	char p[300];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return 0;
	uint8_t *got = malloc(len + 1);
	size_t n = fread(got, 1, len + 1, f);
	fclose(f);
	int same = n == len && memcmp(got, want, len) == 0;
	free(got);
	return same;
}

static int exists(const char *dir, const char *name)
{
	char p[300];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int corrupt_kernel(const char *dir)
{
	char p[300];
	snprintf(p, sizeof p, "%s/vmlinuz.new", dir);
	FILE *f = fopen(p, "r+b");
	if (!f)
		return -1;
	fseek(f, 100, SEEK_SET);
	fputc(0x5a ^ kernel[100], f);
	fclose(f);
	return 0;
}

static void t_slot_writer(void)
{
	char dir[] = "/tmp/wt-slot.XXXXXX", err[200];
	WT_CHECK(mkdtemp(dir) != NULL);
	struct buf b = make_bundle(&key1, pub1);
	struct upd_slot_writer w;
	WT_EQ_INT(stream_to_slot(&b, b.len, dir, &w, NULL, err), 0);
	WT_EQ_STR(err, "");
	WT_CHECK(file_is(dir, "vmlinuz", kernel, KSIZE));
	WT_CHECK(file_is(dir, "initramfs.img", initrd, ISIZE));
	WT_CHECK(file_is(dir, "version", (const uint8_t *)"1.2.3\n", 6));
	WT_EQ_INT(w.written, KSIZE + ISIZE);

	/* Truncated: the slot keeps its files, no .new is left behind. */
	WT_EQ_INT(stream_to_slot(&b, b.len - 10, dir, &w, NULL, err), -1);
	WT_CHECK(strstr(err, "truncated") != NULL);
	WT_CHECK(!exists(dir, "vmlinuz.new") && !exists(dir, "initramfs.img.new"));
	WT_CHECK(file_is(dir, "vmlinuz", kernel, KSIZE));

	/* Bad signature: nothing is even opened. */
	b.p[20] ^= 1;
	WT_EQ_INT(stream_to_slot(&b, b.len, dir, &w, NULL, err), -1);
	WT_EQ_INT(w.written, 0);
	b.p[20] ^= 1;

	/* What reaches the medium differs from what was verified: the read back sees it. */
	WT_EQ_INT(stream_to_slot(&b, b.len, dir, &w, corrupt_kernel, err), -1);
	WT_CHECK(strstr(err, "read back") != NULL && strstr(err, "vmlinuz") != NULL);

	/* A missing slot folder. */
	char missing[64];
	snprintf(missing, sizeof missing, "%s/nope", dir);
	WT_EQ_INT(upd_slot_init(&w, missing), -1);
	WT_CHECK(strstr(w.err, "No such file") != NULL);

	/* Each .new gets its whole size of blocks before the first byte (the size
	 * itself grows as the data comes); a size the filesystem cannot hold is
	 * refused there, before streaming. */
	struct upd_info info;
	struct stat st;
	char p[300];
	memset(&info, 0, sizeof info);
	info.size[UPD_PART_KERNEL] = 1 << 20;
	WT_EQ_INT(upd_slot_init(&w, dir), 0);
	WT_EQ_INT(upd_slot_header(&w, &info), 0);
	WT_EQ_INT(upd_slot_data(&w, UPD_PART_KERNEL, kernel, 10), 0);
	snprintf(p, sizeof p, "%s/vmlinuz.new", dir);
	WT_EQ_INT(stat(p, &st), 0);
	WT_EQ_INT(st.st_size, 10);
	WT_CHECK((uint64_t)st.st_blocks * 512 >= (1 << 20));
	upd_slot_abort(&w);
	WT_CHECK(!exists(dir, "vmlinuz.new"));
	info.size[UPD_PART_KERNEL] = UINT64_C(1) << 62;
	WT_EQ_INT(upd_slot_header(&w, &info), 0);
	WT_EQ_INT(upd_slot_data(&w, UPD_PART_KERNEL, kernel, 10), -1);
	WT_CHECK(strstr(w.err, "preallocating 4611686018427387904 bytes for") != NULL);
	upd_slot_abort(&w);

	const char *names[] = { "vmlinuz", "initramfs.img", "version", "vmlinuz.new", "initramfs.img.new" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char p[300];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	free(b.p);
}

static void t_bad_keys(void)
{
	struct upd_reader r;
	const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
	WT_EQ_INT(upd_reader_init(&r, (const uint8_t *)junk, sizeof junk, "x86_64", NULL), -1);
	WT_CHECK(strstr(r.err, "cannot parse public key") != NULL);
	WT_EQ_INT(upd_reader_feed(&r, "x", 1), -1);    /* a failed reader stays failed */
	upd_reader_free(&r);
	char longboard[64];
	memset(longboard, 'b', 63);
	longboard[63] = 0;
	WT_EQ_INT(upd_reader_init(&r, pub1, strlen((char *)pub1) + 1, longboard, NULL), -1);
	upd_reader_free(&r);

	struct upd_info in;
	uint8_t hdr[UPD_HEADER_SIZE];
	char err[200];
	base_info(&in, &key1, pub1);
	strcpy(in.board, "x86 64");
	WT_EQ_INT(upd_header_encode(&in, hdr, err, sizeof err), -1);
	WT_CHECK(strstr(err, "board and version") != NULL);
}

static void t_version_cmp(void)
{
	WT_CHECK(upd_version_cmp("0.1.0", "0.1.0") == 0);
	WT_CHECK(upd_version_cmp("0.1.0", "0.1.1") < 0);
	WT_CHECK(upd_version_cmp("0.10.0", "0.9.9") > 0);
	WT_CHECK(upd_version_cmp("1.0.0-rc1", "1.0.0") < 0);
	WT_CHECK(upd_version_cmp("1.0.0", "1.0.0-rc1") > 0);
	WT_CHECK(upd_version_cmp("1.0.0-rc1", "1.0.0-rc2") < 0);
	WT_CHECK(upd_version_cmp("1.2.1", "1.2") > 0);
	WT_CHECK(upd_version_cmp("2", "10") < 0);
	WT_CHECK(upd_version_cmp("99999999999999999999", "1") > 0);
}

static void setup(void)
{
	kernel = malloc(KSIZE);
	initrd = malloc(ISIZE);
	uint64_t seed = 1;
	test_rng(&seed, kernel, KSIZE);
	test_rng(&seed, initrd, ISIZE);
	psa_crypto_init();
	make_key(&key1, 0x1234567, pub1, sizeof pub1);
	make_key(&key2, 0x7654321, pub2, sizeof pub2);
}

static void teardown(void)
{
	mbedtls_pk_free(&key1);
	mbedtls_pk_free(&key2);
	free(kernel);
	free(initrd);
	mbedtls_psa_crypto_free();
}

WTEST_MAIN("lib_update_bundle", WT_CASE(setup), WT_CASE(t_good_any_chunking), WT_CASE(t_truncated),
	   WT_CASE(t_wrong_magic_board_format), WT_CASE(t_bad_signature), WT_CASE(t_oversized_fields),
	   WT_CASE(t_corrupted_payload), WT_CASE(t_trailing_and_receiver_stop), WT_CASE(t_any_byte_flip), WT_CASE(t_slot_writer), WT_CASE(t_bad_keys),
	   WT_CASE(t_version_cmp), WT_CASE(teardown))
