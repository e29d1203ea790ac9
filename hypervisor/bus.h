/* bus.h: I/O port and MMIO address ranges claimed by devices, and the
 * dispatch of a guest access to the device that owns the address. */
#ifndef VMM_BUS_H
#define VMM_BUS_H
#include <stdint.h>

/* off is relative to the range base; data holds len (1..8) bytes, little-endian. */
typedef void (*bus_fn)(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);

#define BUS_MAX_RANGES 32

struct bus_range {
	uint64_t base, len;
	bus_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_range r[BUS_MAX_RANGES];
	int n;
};

/* Claim [base, base+len). Ranges are fixed once vCPUs run. Returns 0 or -1
 * (overlap, full). */
int bus_add(struct bus *b, uint64_t base, uint64_t len, bus_fn fn, void *opaque,
	    const char *name);
/* Returns 0 if a device took the access; -1 if nobody owns addr (reads then
 * get all-ones in data). Accesses straddling a range end are refused. */
int bus_access(const struct bus *b, uint64_t addr, uint8_t *data, unsigned len, int is_write);
#endif
