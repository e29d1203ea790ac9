/* update_slot.c: a verified bundle's parts into a slot folder: NAME.new while
 * streaming, then fsync, rename, version file, read back and compare. Each
 * NAME.new gets all its clusters first (fallocate, KEEP_SIZE: on vfat that
 * writes the FAT chain without zeroing the data) and an fsync, so that a
 * power cut while the data streams finds the FAT already complete: only the
 * file's size in its folder entry can be stale (docs/updates.md, "Power cuts"). */
#include "update_slot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "fsutil.h"

static int fail(struct upd_slot_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct upd_slot_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
	return -1;
}

static void path_of(const struct upd_slot_writer *w, int part, const char *suffix, char *out, size_t n)
{
	snprintf(out, n, "%s/%s%s", w->dir, upd_part_name(part), suffix);
}

int upd_slot_init(struct upd_slot_writer *w, const char *dir)
{
	struct stat st;
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->part = -1;
	if (strlen(dir) >= sizeof w->dir - 32)
		return fail(w, "slot: folder name too long");
	snprintf(w->dir, sizeof w->dir, "%s", dir);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(w, "slot: %s: %s", dir, errno ? strerror(errno) : "not a folder");
	return 0;
}

int upd_slot_header(struct upd_slot_writer *w, const struct upd_info *info)
{
	w->info = *info;
	upd_slot_abort(w);                  /* leftovers of an interrupted update */
	return 0;
}

/* Allocate size bytes of clusters for fd, then fsync (the FAT on the medium).
 * A filesystem without fallocate is written as before. 0 or an errno. */
static int preallocate(int fd, uint64_t size)
{
	if (size == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)size) != 0) {
		if (errno == EOPNOTSUPP || errno == ENOSYS)
			return 0;
		return errno;
	}
	return fsync(fd) != 0 ? errno : 0;
}

int upd_slot_data(struct upd_slot_writer *w, enum upd_part part, const uint8_t *buf, size_t len)
{
	char p[320];
	if ((int)part != w->part) {
		if (w->fd >= 0)
			return fail(w, "slot: %s started before the previous part ended", upd_part_name(part));
		path_of(w, part, ".new", p, sizeof p);
		w->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0)
			return fail(w, "slot: %s: %s", p, strerror(errno));
		w->part = part;
		int e = preallocate(w->fd, w->info.size[part]);
		if (e)
			return fail(w, "slot: preallocating %llu bytes for %s: %s",
				    (unsigned long long)w->info.size[part], p, strerror(e));
	}
	int rc = fs_write_all(w->fd, buf, len);
	if (rc)
		return fail(w, "slot: writing %s: %s", upd_part_name(part), strerror(-rc));
	w->written += len;
	return 0;
}

int upd_slot_part_done(struct upd_slot_writer *w, enum upd_part part)
{
	if (w->fd < 0 || (int)part != w->part)
		return fail(w, "slot: %s ended but was not being written", upd_part_name(part));
	int rc = fsync(w->fd) != 0 ? errno : 0;
	if (close(w->fd) != 0 && !rc)
		rc = errno;
	w->fd = -1;
	return rc ? fail(w, "slot: %s: %s", upd_part_name(part), strerror(rc)) : 0;
}

/* Read a file back past the page cache and compare its SHA-256. */
static int read_back(struct upd_slot_writer *w, int part)
{
	char p[320];
	static unsigned char buf[64 * 1024];
	unsigned char h[32];
	path_of(w, part, "", p, sizeof p);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(w, "slot: read back %s: %s", p, strerror(errno));
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);   /* clean pages: re-read from the medium */
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts(&c, 0);
	uint64_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		mbedtls_sha256_update(&c, buf, (size_t)n);
		total += (uint64_t)n;
	}
	int bad = n < 0;
	close(fd);
	mbedtls_sha256_finish(&c, h);
	mbedtls_sha256_free(&c);
	if (bad || total != w->info.size[part] || memcmp(h, w->info.sha256[part], 32) != 0)
		return fail(w, "slot: read back %s: %s", p,
			    bad ? "read error" : "content differs from the bundle (bad medium?)");
	return 0;
}

int upd_slot_commit(struct upd_slot_writer *w)
{
	char from[320], to[320], ver[320];
	if (w->fd >= 0)
		return fail(w, "slot: commit while %s is still open", upd_part_name(w->part));
	for (int p = 0; p < UPD_PARTS; p++) {
		path_of(w, p, ".new", from, sizeof from);
		path_of(w, p, "", to, sizeof to);
		if (rename(from, to) != 0)
			return fail(w, "slot: rename %s: %s", from, strerror(errno));
	}
	snprintf(ver, sizeof ver, "%s/version", w->dir);
	char line[UPD_STR_MAX + 1];
	int n = snprintf(line, sizeof line, "%s\n", w->info.version);
	int rc = fs_write_atomic(ver, line, (size_t)n, 0644);   /* fsyncs the folder: the renames too */
	if (rc)
		return fail(w, "slot: %s: %s", ver, strerror(-rc));
	for (int p = 0; p < UPD_PARTS; p++)
		if (read_back(w, p))
			return -1;
	return 0;
}

void upd_slot_abort(struct upd_slot_writer *w)
{
	char p[320];
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->part = -1;
	for (int i = 0; i < UPD_PARTS; i++) {
		path_of(w, i, ".new", p, sizeof p);
		unlink(p);
	}
}

static int cb_header(void *ctx, const struct upd_info *info) { return upd_slot_header(ctx, info); }
static int cb_data(void *ctx, enum upd_part part, const uint8_t *buf, size_t len) { return upd_slot_data(ctx, part, buf, len); }
static int cb_done(void *ctx, enum upd_part part) { return upd_slot_part_done(ctx, part); }

struct upd_callbacks upd_slot_callbacks(struct upd_slot_writer *w)
{
	struct upd_callbacks cb = { cb_header, cb_data, cb_done, w };
	return cb;
}
