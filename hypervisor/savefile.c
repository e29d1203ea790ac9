/* savefile.c: save a paused VM to a file and restore it (savefile.h). */
#include "savefile.h"
#include "arch.h"
#include "crc32.h"
#include "device.h"
#include "state.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HDR_SIZE 4096u
#define PAGE 4096u
#define MAGIC "WAFERSAV"
#define VERSION 1u
#define SAVEFILE_HOST_BRIDGE 0x100u   /* the host bridge's pci-function instance */

struct hdr {
	uint64_t mem_off, mem_len, state_off, state_len;
	uint32_t mem_crc;
};

/* magic 8, version 4, hdr crc 4, mem_off 8, mem_len 8, state_off 8, state_len 8, mem_crc 4 */
static void hdr_encode(uint8_t *b, const struct hdr *h)
{
	memset(b, 0, HDR_SIZE);
	memcpy(b, MAGIC, 8);
	state_put_le(b + 8, VERSION, 4);
	state_put_le(b + 16, h->mem_off, 8);
	state_put_le(b + 24, h->mem_len, 8);
	state_put_le(b + 32, h->state_off, 8);
	state_put_le(b + 40, h->state_len, 8);
	state_put_le(b + 48, h->mem_crc, 4);
	state_put_le(b + 12, crc32_ieee(b, HDR_SIZE), 4);
}

static int hdr_decode(const uint8_t *b, struct hdr *h, char *err, size_t errlen)
{
	uint8_t c[HDR_SIZE];
	if (memcmp(b, MAGIC, 8)) {
		snprintf(err, errlen, "not a wafer-vmm save file (no WAFERSAV header)");
		return -1;
	}
	if (state_get_le(b + 8, 4) != VERSION) {
		snprintf(err, errlen, "save file version %u: this wafer-vmm reads version %u", (unsigned)state_get_le(b + 8, 4),
			 VERSION);
		return -1;
	}
	memcpy(c, b, HDR_SIZE);
	state_put_le(c + 12, 0, 4);
	if (crc32_ieee(c, HDR_SIZE) != state_get_le(b + 12, 4)) {
		snprintf(err, errlen, "save file header damaged (checksum)");
		return -1;
	}
	h->mem_off = state_get_le(b + 16, 8);
	h->mem_len = state_get_le(b + 24, 8);
	h->state_off = state_get_le(b + 32, 8);
	h->state_len = state_get_le(b + 40, 8);
	h->mem_crc = (uint32_t)state_get_le(b + 48, 4);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int page_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;
	for (unsigned i = 0; i < PAGE / 8; i++)
		if (q[i])
			return 0;
	return 1;
}

static uint32_t page_crc(uint32_t crc, uint64_t index, const uint8_t *p)
{
	uint8_t ix[8];
	state_put_le(ix, index, 8);
	crc = crc32_ieee_update(crc, ix, 8);
	return crc32_ieee_update(crc, p, PAGE);
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* The machine this VM is, as the stream names it. */
static void machine_of(const struct vm *vm, struct state_machine *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->arch, sizeof m->arch, "%s", ARCH_NAME);
	m->vcpus = (uint32_t)vm->nvcpus;
	m->memory_mib = vm->cfg->memory_mib;
	device_list(vm, m->devices, sizeof m->devices);
}

int savefile_write(struct vm *vm, int fd, struct savefile_stats *st, char *err, size_t errlen)
{
	uint64_t t0 = now_ms();
	struct state_machine m;
	struct state_w w;
	memset(st, 0, sizeof *st);
	machine_of(vm, &m);
	state_w_init(&w, &m);
	if (arch_vm_save(vm, &w, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < vm->nvcpus; i++)
		if (arch_vcpu_save(vm, i, vm->vcpus[i].fd, &w, err, errlen) < 0)
			goto fail;
	device_save_all(vm, &w);
	pci_dev_save(&vm->pci.host, &w, SAVEFILE_HOST_BRIDGE);
	if (state_w_finish(&w) < 0) {
		snprintf(err, errlen, "saved state: out of memory");
		goto fail;
	}
	struct hdr h = { .mem_off = HDR_SIZE, .mem_len = vm->mem.size };
	h.state_off = h.mem_off + h.mem_len;
	h.state_len = w.len;
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)(h.state_off + h.state_len)) < 0) {
		snprintf(err, errlen, "save file: %s", strerror(errno));
		goto fail;
	}
	/* guest RAM: runs of pages that are not all zero, each page read once
	 * for the checksum and once by the write */
	uint32_t crc = 0;
	uint64_t npages = vm->mem.size / PAGE, written = 0;
	for (uint64_t p = 0; p < npages;) {
		if (page_zero(vm->mem.host + p * PAGE)) {
			p++;
			continue;
		}
		uint64_t q = p;
		while (q < npages && q - p < 256 && !page_zero(vm->mem.host + q * PAGE)) {
			crc = page_crc(crc, q, vm->mem.host + q * PAGE);
			q++;
		}
		if (pwrite_all(fd, vm->mem.host + p * PAGE, (size_t)((q - p) * PAGE), h.mem_off + p * PAGE) < 0) {
			snprintf(err, errlen, "save file: writing memory: %s", strerror(errno));
			goto fail;
		}
		written += q - p;
		p = q;
	}
	h.mem_crc = crc;
	uint8_t hb[HDR_SIZE];
	hdr_encode(hb, &h);
	if (pwrite_all(fd, w.buf, w.len, h.state_off) < 0 || pwrite_all(fd, hb, HDR_SIZE, 0) < 0 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "save file: %s", strerror(errno));
		goto fail;
	}
	st->state_bytes = w.len;
	st->memory_bytes = vm->mem.size;
	st->pages_written = written;
	st->file_bytes = h.state_off + h.state_len;
	st->ms = now_ms() - t0;
	state_w_free(&w);
	return 0;
fail:
	state_w_free(&w);
	return -1;
}

/* Read the data extents of the memory part straight into guest RAM, then
 * check the checksum over the pages that are not all zero. */
static int restore_memory(struct vm *vm, int fd, const struct hdr *h, char *err, size_t errlen)
{
	uint64_t off = h->mem_off, end = h->mem_off + h->mem_len;
	while (off < end) {
		off_t d = lseek(fd, (off_t)off, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= end)
			break;   /* the rest is a hole */
		off_t e = lseek(fd, d, SEEK_HOLE);
		uint64_t stop = e < 0 || (uint64_t)e > end ? end : (uint64_t)e;
		uint64_t from = (uint64_t)d & ~(uint64_t)(PAGE - 1);
		if (from < h->mem_off)
			from = h->mem_off;
		if (pread_all(fd, vm->mem.host + (from - h->mem_off), (size_t)(stop - from), from) < 0) {
			snprintf(err, errlen, "save file: reading memory: %s", errno ? strerror(errno) : "short file");
			return -1;
		}
		off = stop;
	}
	uint32_t crc = 0;
	for (uint64_t p = 0; p < vm->mem.size / PAGE; p++)
		if (!page_zero(vm->mem.host + p * PAGE))
			crc = page_crc(crc, p, vm->mem.host + p * PAGE);
	if (crc != h->mem_crc) {
		snprintf(err, errlen, "save file: guest memory damaged (checksum %08x, the header says %08x)", crc,
			 h->mem_crc);
		return -1;
	}
	return 0;
}

int savefile_restore(struct vm *vm, int fd, struct savefile_stats *st, char *err, size_t errlen)
{
	uint64_t t0 = now_ms();
	uint8_t hb[HDR_SIZE];
	struct hdr h;
	struct stat sb;
	memset(st, 0, sizeof *st);
	if (fstat(fd, &sb) < 0 || pread_all(fd, hb, HDR_SIZE, 0) < 0) {
		snprintf(err, errlen, "save file: too short for its header");
		return -1;
	}
	if (hdr_decode(hb, &h, err, errlen) < 0)
		return -1;
	if (h.mem_off != HDR_SIZE || h.mem_len != vm->mem.size || h.state_off != h.mem_off + h.mem_len ||
	    h.state_len > (64u << 20) || h.state_off + h.state_len != (uint64_t)sb.st_size) {
		snprintf(err, errlen, "save file: for %llu MiB of memory and %llu bytes of state, this VM has "
			 "%llu MiB and the file %llu bytes (truncated, or another VM)",
			 (unsigned long long)(h.mem_len >> 20), (unsigned long long)h.state_len,
			 (unsigned long long)(vm->mem.size >> 20), (unsigned long long)sb.st_size);
		return -1;
	}
	uint8_t *sbuf = malloc(h.state_len ? h.state_len : 1);
	if (!sbuf || pread_all(fd, sbuf, h.state_len, h.state_off) < 0) {
		free(sbuf);
		snprintf(err, errlen, "save file: cannot read the state");
		return -1;
	}
	struct state_r r;
	struct state_machine saved, cur;
	machine_of(vm, &cur);
	int rc = -1;
	if (state_r_open(&r, sbuf, h.state_len, &saved) || state_r_machine_check(&r, &saved, &cur))
		goto out_state;
	if (restore_memory(vm, fd, &h, err, errlen) < 0)
		goto out;
	if (arch_vm_load(vm, &r))
		goto out_state;
	for (int i = 0; i < vm->nvcpus; i++)
		if (arch_vcpu_load(vm, i, vm->vcpus[i].fd, &r))
			goto out_state;
	if (device_load_all(vm, &r) || pci_dev_load(&vm->pci.host, &r, SAVEFILE_HOST_BRIDGE) ||
	    state_r_close(&r))
		goto out_state;
	st->state_bytes = h.state_len;
	st->memory_bytes = h.mem_len;
	st->file_bytes = (uint64_t)sb.st_size;
	st->ms = now_ms() - t0;
	rc = 0;
	goto out;
out_state:
	snprintf(err, errlen, "save file: %s", r.err);
out:
	free(sbuf);
	return rc;
}
