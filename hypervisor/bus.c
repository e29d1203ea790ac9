/* bus.c: address-range registry and dispatch for port I/O and MMIO. */
#include "bus.h"

#include <string.h>

int bus_add(struct bus *b, uint64_t base, uint64_t len, bus_fn fn, void *opaque,
	    const char *name)
{
	if (b->n >= BUS_MAX_RANGES || len == 0 || base + len < base)
		return -1;
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		if (base < r->base + r->len && r->base < base + len)
			return -1;
	}
	b->r[b->n++] = (struct bus_range){ base, len, fn, opaque, name };
	return 0;
}

int bus_access(const struct bus *b, uint64_t addr, uint8_t *data, unsigned len, int is_write)
{
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		if (addr >= r->base && addr - r->base < r->len) {
			if (len > r->len - (addr - r->base))
				break;
			r->fn(r->opaque, addr - r->base, data, len, is_write);
			return 0;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	return -1;
}
