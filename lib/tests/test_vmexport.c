/* test_vmexport.c: the VM transfer stream: a VM's files written and read
 * back whole in any chunking, holes and zero blocks left out; damaged,
 * truncated, reordered or foreign streams refused with the reason. */
#include "crc32.h"
#include "vmexport.h"
#include "wtest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct { unsigned char *p; size_t n, cap; } out;

static int to_mem(void *arg, const void *buf, size_t len)
{
	(void)arg;
	if (out.n + len > out.cap) {
		out.cap = (out.n + len) * 2;
		out.p = realloc(out.p, out.cap);
	}
	memcpy(out.p + out.n, buf, len);
	out.n += len;
	return 0;
}

/* what the reader rebuilt */
static struct {
	char names[12][16];
	uint64_t sizes[12];
	int n;
	unsigned char *disk;      /* disk0.img */
	uint64_t disk_data;       /* data bytes received for it */
	char json[64];
	int refuse_at;            /* refuse the Nth file_begin (1-based), 0: never */
} got;

static int on_begin(void *arg, const char *name, uint64_t size, char *err, size_t errlen)
{
	(void)arg;
	if (got.n + 1 == got.refuse_at) {
		snprintf(err, errlen, "no room for %s", name);
		return -1;
	}
	snprintf(got.names[got.n], 16, "%s", name);
	got.sizes[got.n++] = size;
	if (!strcmp(name, "disk0.img"))
		got.disk = calloc(1, size);
	return 0;
}

static int on_data(void *arg, uint64_t off, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	const char *name = got.names[got.n - 1];
	if (!strcmp(name, "disk0.img")) {
		memcpy(got.disk + off, buf, len);
		got.disk_data += len;
	} else if (!strcmp(name, "vm.json") && off + len < sizeof got.json) {
		memcpy(got.json + off, buf, len);
	}
	return 0;
}

static int on_end(void *arg, const char *name, char *err, size_t errlen)
{
	(void)arg;
	(void)name;
	(void)err;
	(void)errlen;
	return 0;
}

static void reset(void)
{
	free(got.disk);
	memset(&got, 0, sizeof got);
}

/* Read s[0..n) in pieces of step bytes: 0 or -1 (r->err). */
static int read_stream(const unsigned char *s, size_t n, size_t step, struct vmx_reader *r)
{
	reset();
	r->file_begin = on_begin;
	r->data = on_data;
	r->file_end = on_end;
	r->arg = NULL;
	vmx_reader_init(r);
	for (size_t i = 0; i < n; i += step)
		if (vmx_feed(r, s + i, n - i < step ? n - i : step))
			return -1;
	return vmx_finish(r);
}

static unsigned char *disk_src;
static const size_t DISK = 4u << 20;

static void make_stream(void)
{
	char p[] = "/tmp/wafer-vmx-XXXXXX";
	int fd = mkstemp(p);
	WT_CHECK(fd >= 0);
	unlink(p);
	disk_src = calloc(1, DISK);
	for (size_t i = 0; i < 5000; i++)
		disk_src[i] = (unsigned char)(i * 13 + 7);
	for (size_t i = 0; i < 3000; i++)
		disk_src[(3u << 20) + i] = (unsigned char)(i * 5 + 1);
	WT_EQ_INT(pwrite(fd, disk_src, 5000, 0), 5000);
	static unsigned char zeros[1 << 20];
	WT_EQ_INT(pwrite(fd, zeros, sizeof zeros, 1 << 20), sizeof zeros);   /* written zeros: not sent */
	WT_EQ_INT(pwrite(fd, disk_src + (3u << 20), 3000, 3u << 20), 3000);
	WT_EQ_INT(ftruncate(fd, (off_t)DISK), 0);
	struct vmx_writer w;
	out.n = 0;
	vmx_writer_init(&w, to_mem, NULL);
	WT_EQ_INT(vmx_write_begin(&w), 0);
	WT_EQ_INT(vmx_write_buf(&w, "vm.json", "{\"id\":\"x\"}", 10), 0);
	WT_EQ_INT(vmx_write_fd(&w, "disk0.img", fd), 0);
	WT_EQ_INT(vmx_write_buf(&w, "state.sav", "", 0), 0);
	WT_EQ_INT(vmx_write_end(&w), 0);
	WT_EQ_INT(w.total, out.n);
	WT_CHECK(out.n < 70000);   /* 8,000 bytes of data in their blocks, not 4 MiB */
	WT_EQ_INT(vmx_write_buf(&w, "other.img", "x", 1), -1);
	WT_CHECK(strstr(w.err, "other.img") != NULL);
	close(fd);
}

static void t_round_trip(void)
{
	struct vmx_reader r;
	static const size_t steps[] = { 1, 3, 16, 4096, 1 << 20 };
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		WT_EQ_INT(read_stream(out.p, out.n, steps[k], &r), 0);
		WT_EQ_INT(got.n, 3);
		WT_EQ_STR(got.names[0], "vm.json");
		WT_EQ_STR(got.names[1], "disk0.img");
		WT_EQ_STR(got.names[2], "state.sav");
		WT_EQ_INT(got.sizes[1], DISK);
		WT_EQ_STR(got.json, "{\"id\":\"x\"}");
		/* the data blocks (whole file system blocks), not the zeros or the holes */
		WT_CHECK(got.disk_data >= 8000 && got.disk_data <= 65536);
		WT_CHECK(memcmp(got.disk, disk_src, DISK) == 0);
	}
}

static void t_damaged(void)
{
	struct vmx_reader r;
	unsigned char *s = malloc(out.n + 8);
	/* any byte changed: refused (checksum, or a field that no longer fits) */
	for (size_t i = 0; i < out.n; i += 97) {
		memcpy(s, out.p, out.n);
		s[i] ^= 0x20;
		WT_EQ_INT(read_stream(s, out.n, 4096, &r), -1);
	}
	memcpy(s, out.p, out.n);
	s[200] ^= 1;   /* inside disk0's data */
	WT_EQ_INT(read_stream(s, out.n, 4096, &r), -1);
	WT_CHECK(strstr(r.err, "checksum") != NULL);
	/* cut anywhere: refused at the end */
	for (size_t cut = 0; cut < out.n; cut += 331) {
		WT_EQ_INT(read_stream(out.p, cut, 4096, &r), -1);
		WT_CHECK(strstr(r.err, "early") != NULL || strstr(r.err, "WAFERVM1") != NULL);
	}
	/* bytes after the end */
	memcpy(s, out.p, out.n);
	memcpy(s + out.n, "xx", 2);
	WT_EQ_INT(read_stream(s, out.n + 2, 4096, &r), -1);
	WT_CHECK(strstr(r.err, "after the end") != NULL);
	WT_EQ_INT(read_stream((const unsigned char *)"GARBAGE!rest", 12, 4096, &r), -1);
	WT_CHECK(strstr(r.err, "not a Wafer VM stream") != NULL);
	free(s);
}

/* Streams written by hand: the order and names the reader insists on. */
static size_t craft(unsigned char *b, const char *const *files, const uint64_t *ext, int next)
{
	size_t n = 0;
	memcpy(b, VMX_MAGIC, 8);
	n = 8;
	for (int f = 0; files[f]; f++) {
		size_t l = strlen(files[f]);
		b[n++] = 'F';
		b[n++] = (unsigned char)l;
		memcpy(b + n, files[f], l);
		n += l;
		uint64_t size = 100;
		for (int i = 0; i < 8; i++)
			b[n++] = (unsigned char)(size >> (8 * i));
		for (int e = 0; f == 1 && e < next; e++) {   /* extents of the second file */
			for (int i = 0; i < 8; i++)
				b[n++] = (unsigned char)(ext[2 * e] >> (8 * i));
			for (int i = 0; i < 8; i++)
				b[n++] = (unsigned char)(ext[2 * e + 1] >> (8 * i));
			memset(b + n, 'd', ext[2 * e + 1]);
			n += ext[2 * e + 1];
		}
		memset(b + n, 0, 16);
		n += 16;
	}
	uint32_t crc = crc32_ieee(b, n);
	b[n++] = 'E';
	for (int i = 0; i < 4; i++)
		b[n++] = (unsigned char)(crc >> (8 * i));
	return n;
}

static void t_order(void)
{
	static unsigned char b[4096];
	struct vmx_reader r;
	const char *ok[] = { "vm.json", "disk0.img", NULL };
	const uint64_t good[] = { 0, 10, 50, 50 };
	WT_EQ_INT(read_stream(b, craft(b, ok, good, 2), 7, &r), 0);
	const uint64_t overlap[] = { 0, 20, 10, 5 };
	WT_EQ_INT(read_stream(b, craft(b, ok, overlap, 2), 7, &r), -1);
	WT_CHECK(strstr(r.err, "out of order") != NULL);
	const uint64_t beyond[] = { 90, 20 };
	WT_EQ_INT(read_stream(b, craft(b, ok, beyond, 1), 7, &r), -1);
	const char *first[] = { "disk0.img", "vm.json", NULL };
	WT_EQ_INT(read_stream(b, craft(b, first, good, 0), 7, &r), -1);
	WT_CHECK(strstr(r.err, "before vm.json") != NULL);
	const char *twice[] = { "vm.json", "disk0.img", "disk0.img", NULL };
	WT_EQ_INT(read_stream(b, craft(b, twice, good, 0), 7, &r), -1);
	WT_CHECK(strstr(r.err, "twice") != NULL);
	const char *foreign[] = { "vm.json", "../etc/passwd", NULL };
	WT_EQ_INT(read_stream(b, craft(b, foreign, good, 0), 7, &r), -1);
	WT_CHECK(strstr(r.err, "not part of a VM") != NULL);
	const char *none[] = { NULL };
	WT_EQ_INT(read_stream(b, craft(b, none, good, 0), 7, &r), -1);
	WT_CHECK(strstr(r.err, "without vm.json") != NULL);
	/* the receiver's refusal stops the stream with its reason */
	got.refuse_at = 0;
	size_t n = craft(b, ok, good, 2);
	reset();
	got.refuse_at = 2;
	r.file_begin = on_begin, r.data = on_data, r.file_end = on_end, r.arg = NULL;
	vmx_reader_init(&r);
	WT_EQ_INT(vmx_feed(&r, b, n), -1);
	WT_CHECK(strstr(r.err, "no room for disk0.img") != NULL);
	WT_EQ_INT(vmx_feed(&r, b, 1), -1);
}

int main(void)
{
	make_stream();
	static const struct wtest_case c[] = { WT_CASE(t_round_trip), WT_CASE(t_damaged), WT_CASE(t_order) };
	int rc = wtest_run("vmexport", c, 3);
	reset();
	free(disk_src);
	free(out.p);
	return rc;
}
