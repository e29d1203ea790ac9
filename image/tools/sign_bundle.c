/* sign_bundle.c: `wafer-sign sign` (header + signature + kernel + initramfs,
 * written through a temporary file) and `wafer-sign verify` (the agent's
 * streaming reader over a file or stdin, optionally extracting the parts). */
#include "sign.h"
#include "update_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

enum { CHUNK = 64 * 1024 };

/* SHA-256 and size of a file, read in chunks. */
static int hash_file(const char *path, uint8_t out[32], uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sign_die("%s: %s", path, strerror(errno));
	static unsigned char buf[CHUNK];
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts(&c, 0);
	size_t n;
	*size = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		mbedtls_sha256_update(&c, buf, n);
		*size += n;
	}
	int bad = ferror(f);
	fclose(f);
	mbedtls_sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
	return bad ? sign_die("%s: read error", path) : 0;
}

static int copy_into(FILE *out, const char *path, uint64_t expect)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sign_die("%s: %s", path, strerror(errno));
	static unsigned char buf[CHUNK];
	size_t n;
	uint64_t total = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0 && fwrite(buf, 1, n, out) == n)
		total += n;
	fclose(f);
	return total == expect ? 0 : sign_die("%s changed while being signed", path);
}

static int build_header(int argc, char **argv, struct upd_info *in, mbedtls_pk_context *key,
			const char **kernel, const char **initrd, const char **out)
{
	const char *keyf = sign_opt(argc, argv, "--key"), *board = sign_opt(argc, argv, "--board");
	const char *version = sign_opt(argc, argv, "--version"), *t = sign_opt(argc, argv, "--time");
	const char *extra = NULL;
	*kernel = sign_opt(argc, argv, "--kernel");
	*initrd = sign_opt(argc, argv, "--initramfs");
	*out = sign_opt(argc, argv, "-o");
	if (!keyf || !board || !version || !*kernel || !*initrd || !*out || sign_leftover(argc, argv, &extra) || extra)
		return sign_die("usage: wafer-sign sign --key KEY --board B --version V --kernel F --initramfs F "
				"[--time T] -o OUT");
	memset(in, 0, sizeof *in);
	if (strlen(board) >= sizeof in->board || strlen(version) >= sizeof in->version)
		return sign_die("board or version longer than %u characters", UPD_STR_MAX - 1);
	strcpy(in->board, board);
	strcpy(in->version, version);
	if (!t)
		t = getenv("SOURCE_DATE_EPOCH");
	in->build_time = t ? strtoull(t, NULL, 10) : 0;
	if (sign_load_key(key, keyf) || hash_file(*kernel, in->sha256[0], &in->size[0]) ||
	    hash_file(*initrd, in->sha256[1], &in->size[1]))
		return 1;
	unsigned char pem[512];
	char err[200];
	if (mbedtls_pk_write_pubkey_pem(key, pem, sizeof pem) != 0 ||
	    upd_key_id(pem, strlen((char *)pem) + 1, in->key_id, err, sizeof err) != 0)
		return sign_die("%s: cannot derive the key id", keyf);
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	struct upd_info in;
	mbedtls_pk_context key;
	const char *kernel, *initrd, *out;
	uint8_t pre[UPD_PREAMBLE];
	char err[200], tmp[4096];
	mbedtls_pk_init(&key);
	int rc = build_header(argc, argv, &in, &key, &kernel, &initrd, &out);
	if (!rc && (upd_header_encode(&in, pre, err, sizeof err) ||
		    upd_sign_header(pre, &key, mbedtls_ctr_drbg_random, &sign_drbg, pre + UPD_HEADER_SIZE, err, sizeof err)))
		rc = sign_die("%s", err);
	mbedtls_pk_free(&key);
	if (rc)
		return rc;
	snprintf(tmp, sizeof tmp, "%s.tmp", out);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return sign_die("%s: %s", tmp, strerror(errno));
	rc = fwrite(pre, 1, sizeof pre, f) != sizeof pre || copy_into(f, kernel, in.size[0]) ||
	     copy_into(f, initrd, in.size[1]) || fflush(f) != 0 || fsync(fileno(f)) != 0;
	if (fclose(f) != 0 || rc || rename(tmp, out) != 0) {
		unlink(tmp);
		return sign_die("%s: cannot write the bundle", out);
	}
	printf("bundle %s: board %s, version %s, kernel %llu + initramfs %llu bytes, signed\n", out, in.board,
	       in.version, (unsigned long long)in.size[0], (unsigned long long)in.size[1]);
	return 0;
}

/* verify: extraction into DIR/<part>.tmp, renamed when the part's hash matched. */
struct extract {
	const char *dir;
	FILE *f;
	char path[4096];
};

static int on_header(void *ctx, const struct upd_info *i)
{
	(void)ctx;
	char id[2 * UPD_KEYID_SIZE + 1];
	for (unsigned k = 0; k < UPD_KEYID_SIZE; k++)
		snprintf(id + 2 * k, 3, "%02x", i->key_id[k]);
	printf("board=%s\nversion=%s\nkernel_size=%llu\ninitramfs_size=%llu\nkey_id=%s\nbuild_time=%llu\n",
	       i->board, i->version, (unsigned long long)i->size[0], (unsigned long long)i->size[1], id,
	       (unsigned long long)i->build_time);
	return 0;
}

static int on_data(void *ctx, enum upd_part p, const uint8_t *buf, size_t len)
{
	struct extract *x = ctx;
	if (!x->dir)
		return 0;
	if (!x->f) {
		snprintf(x->path, sizeof x->path, "%s/%s.tmp", x->dir, upd_part_name(p));
		if (!(x->f = fopen(x->path, "wb")))
			return sign_die("%s: %s", x->path, strerror(errno));
	}
	return fwrite(buf, 1, len, x->f) == len ? 0 : sign_die("%s: write error", x->path);
}

static int on_done(void *ctx, enum upd_part p)
{
	struct extract *x = ctx;
	if (!x->dir)
		return 0;
	char final[4096];
	snprintf(final, sizeof final, "%s/%s", x->dir, upd_part_name(p));
	int bad = fclose(x->f) != 0 || rename(x->path, final) != 0;
	x->f = NULL;
	return bad ? sign_die("%s: cannot write", final) : 0;
}

static int read_pub(const char *path, unsigned char **pem, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sign_die("%s: %s", path, strerror(errno));
	*pem = calloc(1, 8193);
	*len = *pem ? fread(*pem, 1, 8192, f) : 0;
	fclose(f);
	if (!*len)
		return sign_die("%s: empty or unreadable", path);
	(*len)++;                    /* PEM: the NUL is part of the input */
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	const char *pubf = sign_opt(argc, argv, "--pub"), *board = sign_opt(argc, argv, "--board"), *path = NULL;
	struct extract x = { .dir = sign_opt(argc, argv, "--extract") };
	if (!pubf || sign_leftover(argc, argv, &path) || !path)
		return sign_die("usage: wafer-sign verify --pub PUB [--board B] [--extract DIR] BUNDLE|-");
	unsigned char *pem = NULL;
	size_t plen = 0;
	if (read_pub(pubf, &pem, &plen)) {
		free(pem);
		return 1;
	}
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct upd_reader r;
	struct upd_callbacks cb = { on_header, on_data, on_done, &x };
	int rc = fd < 0 ? -1 : upd_reader_init(&r, pem, plen, board, &cb);
	static unsigned char buf[CHUNK];
	ssize_t n = 0;
	while (!rc && (n = read(fd, buf, sizeof buf)) > 0)
		rc = upd_reader_feed(&r, buf, (size_t)n);
	if (!rc && n < 0)
		upd_reader_error(&r, "%s: %s", path, strerror(errno));
	if (!rc && n == 0)
		rc = upd_reader_finish(&r);
	if (fd < 0)
		sign_die("%s: %s", path, strerror(errno));
	else if (rc || n < 0)
		sign_die("%s: %s", path, r.err);
	else
		printf("verified: %s\n", path);
	if (x.f) {                   /* a part that never completed */
		fclose(x.f);
		unlink(x.path);
	}
	if (fd >= 0) {
		upd_reader_free(&r);
		if (fd > 0)
			close(fd);
	}
	free(pem);
	return fd < 0 || rc || n < 0 ? 1 : 0;
}
