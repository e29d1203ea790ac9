/* mem.c: guest RAM mapping (huge pages, KSM) and the bounds-checked
 * guest-physical to host translation every device access goes through. */
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

static void mem_layout(struct guest_mem *m, uint64_t size)
{
	m->size = size;
	m->low_size = size < MEM_HOLE_START ? size : MEM_HOLE_START;
}

int mem_init(struct guest_mem *m, uint64_t size, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	mem_layout(m, size);
	int prot = PROT_READ | PROT_WRITE;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = MAP_FAILED;
	/* Without MAP_NORESERVE the kernel refuses (ENOMEM) unless enough huge
	 * pages are reserved, instead of failing later with SIGBUS. */
	if (size % (2u << 20) == 0)
		p = mmap(NULL, size, prot, flags | MAP_HUGETLB, -1, 0);
	if (p != MAP_FAILED) {
		m->hugetlb = 1;
	} else {
		p = mmap(NULL, size, prot, flags | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "guest memory: mmap %llu bytes: %s",
				 (unsigned long long)size, strerror(errno));
			return -1;
		}
		madvise(p, size, MADV_HUGEPAGE);   /* THP when enabled; best effort */
	}
	madvise(p, size, MADV_MERGEABLE);          /* KSM; best effort */
	m->host = p;
	return 0;
}

void mem_init_buffer(struct guest_mem *m, void *buf, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	mem_layout(m, size);
	m->host = buf;
}

void mem_free(struct guest_mem *m)
{
	if (m->host && m->size)
		munmap(m->host, m->size);
	m->host = NULL;
}

void *vmm_gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	if (!m->host || len > m->size)
		return NULL;
	if (gpa < m->low_size) {
		if (len > m->low_size - gpa)
			return NULL;
		return m->host + gpa;
	}
	if (gpa < MEM_HIGH_START)
		return NULL;
	uint64_t off = gpa - MEM_HIGH_START;
	uint64_t high = m->size - m->low_size;
	if (off >= high || len > high - off)
		return NULL;
	return m->host + m->low_size + off;
}

int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = vmm_gpa_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = vmm_gpa_ptr(m, gpa, len);
	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}
