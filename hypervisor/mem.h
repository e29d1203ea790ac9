/* mem.h: guest physical memory: one host mapping, and the single
 * bounds-checked translation from guest-physical addresses to host pointers. */
#ifndef VMM_MEM_H
#define VMM_MEM_H
#include <stddef.h>
#include <stdint.h>

#include "arch_layout.h" /* MEM_HOLE_START, MEM_HIGH_START of the port */

struct guest_mem {
	uint8_t *host;      /* one mapping of size bytes */
	uint64_t size;      /* total RAM */
	uint64_t low_size;  /* RAM mapped at GPA 0; the rest starts at 4 GiB */
	int hugetlb;        /* 1 if MAP_HUGETLB was used */
};

/* Map size bytes of guest RAM (huge pages when available, mergeable). */
int mem_init(struct guest_mem *m, uint64_t size, char *err, size_t errlen);
/* Use an existing buffer (unit tests). */
void mem_init_buffer(struct guest_mem *m, void *buf, uint64_t size);
void mem_free(struct guest_mem *m);

/* The one translation: a host pointer to [gpa, gpa+len) if that range lies
 * entirely inside one RAM region, else NULL. len 0 is treated as 1. */
void *vmm_gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy helpers built on vmm_gpa_ptr; return 0 or -1 when out of range. */
int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);
int mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);
#endif
