/* vmexport.c: the VM transfer stream, writer and push reader (vmexport.h). */
#include "vmexport.h"
#include "crc32.h"
#include "fsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char *const names[] = { "vm.json", "kernel", "initrd", "disk0.img", "disk1.img", "disk2.img", "disk3.img", "disk4.img",
				     "disk5.img", "disk6.img", "disk7.img", "state.sav", NULL };

static int name_index(const char *n)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(n, names[i]))
			return i;
	return -1;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void vmx_writer_init(struct vmx_writer *w, int (*out)(void *, const void *, size_t), void *arg)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->arg = arg;
}

static int emit(struct vmx_writer *w, const void *buf, size_t len)
{
	if (!len)
		return 0;
	if (w->out(w->arg, buf, len)) {
		if (!w->err[0])
			snprintf(w->err, sizeof w->err, "the receiver is gone");
		return -1;
	}
	w->crc = crc32_ieee_update(w->crc, buf, len);
	w->total += len;
	return 0;
}

int vmx_write_begin(struct vmx_writer *w)
{
	return emit(w, VMX_MAGIC, 8);
}

static int file_head(struct vmx_writer *w, const char *name, uint64_t size)
{
	uint8_t h[2 + 16 + 8];
	size_t n = strlen(name);
	if (name_index(name) < 0 || size > VMX_FILE_MAX) {
		snprintf(w->err, sizeof w->err, "'%s' (%llu bytes) cannot be sent", name, (unsigned long long)size);
		return -1;
	}
	h[0] = 'F';
	h[1] = (uint8_t)n;
	memcpy(h + 2, name, n);
	put64(h + 2 + n, size);
	return emit(w, h, 2 + n + 8);
}

static int extent(struct vmx_writer *w, uint64_t off, const void *data, uint64_t len)
{
	uint8_t h[16];
	put64(h, off);
	put64(h + 8, len);
	return emit(w, h, 16) || emit(w, data, (size_t)len) ? -1 : 0;
}

int vmx_write_buf(struct vmx_writer *w, const char *name, const void *data, size_t len)
{
	if (file_head(w, name, len) || (len && extent(w, 0, data, len)))
		return -1;
	return extent(w, 0, NULL, 0);
}

struct fd_write {
	struct vmx_writer *w;
	const char *name;
};

static int data_piece(void *arg, uint64_t off, const void *buf, size_t len, bool zero)
{
	struct fd_write *f = arg;
	return zero ? 0 : extent(f->w, off, buf, len);
}

int vmx_write_fd(struct vmx_writer *w, const char *name, int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		snprintf(w->err, sizeof w->err, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (file_head(w, name, (uint64_t)end))
		return -1;
	struct fd_write f = { w, name };
	int rc = fs_read_data(fd, data_piece, &f);
	if (rc) {
		if (!w->err[0])
			snprintf(w->err, sizeof w->err, "%s: %s", name, strerror(-rc));
		return -1;
	}
	return extent(w, 0, NULL, 0);
}

int vmx_write_end(struct vmx_writer *w)
{
	uint8_t e[5];
	uint32_t crc = w->crc;
	e[0] = 'E';
	for (int i = 0; i < 4; i++)
		e[1 + i] = (uint8_t)(crc >> (8 * i));
	if (w->out(w->arg, e, 5)) {
		snprintf(w->err, sizeof w->err, "the receiver is gone");
		return -1;
	}
	w->total += 5;
	return 0;
}

/* ---- reader ---- */

enum { S_MAGIC, S_TYPE, S_NAMELEN, S_NAME, S_SIZE, S_EXT, S_DATA, S_CRC, S_DONE };

static int refuse(struct vmx_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct vmx_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char m[160];
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof r->err, "byte %llu: %s", (unsigned long long)r->total, m);
	r->failed = true;
	return -1;
}

void vmx_reader_init(struct vmx_reader *r)
{
	int (*fb)(void *, const char *, uint64_t, char *, size_t) = r->file_begin;
	int (*dt)(void *, uint64_t, const void *, size_t, char *, size_t) = r->data;
	int (*fe)(void *, const char *, char *, size_t) = r->file_end;
	void *arg = r->arg;
	memset(r, 0, sizeof *r);
	r->file_begin = fb;
	r->data = dt;
	r->file_end = fe;
	r->arg = arg;
	r->st = S_MAGIC;
	r->need = 8;
}

static int callback_failed(struct vmx_reader *r, const char *what, const char *m)
{
	return refuse(r, "%s: %s", what, m[0] ? m : "refused");
}

/* A whole header field is in r->hdr: act on it. */
static int field(struct vmx_reader *r)
{
	char m[160] = "";
	switch (r->st) {
	case S_MAGIC:
		if (memcmp(r->hdr, VMX_MAGIC, 8))
			return refuse(r, "not a Wafer VM stream (no WAFERVM1 at its start)");
		r->st = S_TYPE, r->need = 1;
		return 0;
	case S_TYPE:
		if (r->hdr[0] == 'F') {
			r->st = S_NAMELEN, r->need = 1;
		} else if (r->hdr[0] == 'E') {
			if (!(r->seen & 1))
				return refuse(r, "the stream ends without vm.json");
			r->st = S_CRC, r->need = 4;
		} else {
			return refuse(r, "a record of unknown type 0x%02x", r->hdr[0]);
		}
		return 0;
	case S_NAMELEN:
		if (r->hdr[0] == 0 || r->hdr[0] >= sizeof r->name)
			return refuse(r, "a file name of %u bytes", r->hdr[0]);
		r->st = S_NAME, r->need = r->hdr[0];
		return 0;
	case S_NAME: {
		memcpy(r->name, r->hdr, r->need);
		r->name[r->need] = '\0';
		int i = name_index(r->name);
		if (i < 0)
			return refuse(r, "a file that is not part of a VM ('%.15s')", r->name);
		if (r->seen & (1u << i))
			return refuse(r, "%s twice", r->name);
		if (i > 0 && !(r->seen & 1))
			return refuse(r, "%s before vm.json", r->name);
		r->seen |= 1u << i;
		r->st = S_SIZE, r->need = 8;
		return 0;
	}
	case S_SIZE:
		r->size = get64(r->hdr);
		if (r->size > (strcmp(r->name, "vm.json") ? VMX_FILE_MAX : VMX_JSON_MAX))
			return refuse(r, "%s of %llu bytes: too large", r->name, (unsigned long long)r->size);
		if (r->file_begin && r->file_begin(r->arg, r->name, r->size, m, sizeof m))
			return callback_failed(r, r->name, m);
		r->end = 0;
		r->st = S_EXT, r->need = 16;
		return 0;
	case S_EXT: {
		uint64_t off = get64(r->hdr), len = get64(r->hdr + 8);
		if (len == 0) {
			if (off)
				return refuse(r, "%s: the end of the file has offset %llu", r->name, (unsigned long long)off);
			if (r->file_end && r->file_end(r->arg, r->name, m, sizeof m))
				return callback_failed(r, r->name, m);
			r->st = S_TYPE, r->need = 1;
			return 0;
		}
		if (off < r->end || off > r->size || len > r->size - off)
			return refuse(r, "%s: an extent of %llu bytes at %llu out of order or beyond its %llu bytes",
				      r->name, (unsigned long long)len, (unsigned long long)off,
				      (unsigned long long)r->size);
		r->off = off;
		r->left = len;
		r->end = off + len;
		r->st = S_DATA;
		return 0;
	}
	case S_CRC: {
		uint32_t want = (uint32_t)r->hdr[0] | (uint32_t)r->hdr[1] << 8 | (uint32_t)r->hdr[2] << 16 |
				(uint32_t)r->hdr[3] << 24;
		if (want != r->crc)
			return refuse(r, "checksum 0x%08x, the stream's bytes give 0x%08x: damaged on the way", want, r->crc);
		r->st = S_DONE;
		r->done = true;
		return 0;
	}
	}
	return refuse(r, "internal: state %d", r->st);
}

int vmx_feed(struct vmx_reader *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (r->failed)
		return -1;
	while (len) {
		if (r->st == S_DONE)
			return refuse(r, "%zu bytes after the end of the stream", len);
		size_t n;
		if (r->st == S_DATA) {
			n = r->left < len ? (size_t)r->left : len;
			char m[160] = "";
			if (r->data && r->data(r->arg, r->off, p, n, m, sizeof m))
				return callback_failed(r, r->name, m);
			r->crc = crc32_ieee_update(r->crc, p, n);
			r->off += n;
			r->left -= n;
			if (!r->left)
				r->st = S_EXT, r->need = 16, r->have = 0;
		} else {
			n = r->need - r->have < len ? r->need - r->have : len;
			memcpy(r->hdr + r->have, p, n);
			/* the checksum covers every byte before the 'E' */
			if (r->st != S_CRC && !(r->st == S_TYPE && p[0] == 'E'))
				r->crc = crc32_ieee_update(r->crc, p, n);
			r->have += n;
			if (r->have == r->need) {
				r->have = 0;
				if (field(r))
					return -1;
			}
		}
		p += n;
		len -= n;
		r->total += n;
	}
	return 0;
}

int vmx_finish(struct vmx_reader *r)
{
	if (r->failed)
		return -1;
	if (!r->done)
		return refuse(r, "the stream ends early (%s)", r->st == S_DATA ? "inside a file's data" : "without its end");
	return 0;
}
