/* pci.c: PCI configuration mechanism #1, the host bridge, config-space
 * write masks, BAR sizing/relocation and MMIO dispatch to BAR owners. */
#include "pci.h"
#include "state.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static uint64_t pci_mmio_base;

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	pci_put16(d->cfg + 0x00, vendor);
	pci_put16(d->cfg + 0x02, device);
	d->cfg[0x08] = rev;
	d->cfg[0x09] = (uint8_t)class_code;
	d->cfg[0x0a] = (uint8_t)(class_code >> 8);
	d->cfg[0x0b] = (uint8_t)(class_code >> 16);
	pci_put16(d->cfg + 0x2c, subsys_vendor);
	pci_put16(d->cfg + 0x2e, subsys_id);
	pci_put16(d->wmask + 0x04, 0x0406);   /* command: MEM, bus master, INTx disable */
	d->wmask[0x0c] = 0xff;                /* cache line size */
	d->wmask[0x0d] = 0xff;                /* latency timer */
	d->wmask[0x3c] = 0xff;                /* interrupt line */
}

void pci_dev_add_bar(struct pci_dev *d, int bar, uint32_t size)
{
	d->bar_size[bar] = size;
}

void pci_bus_init(struct pci_bus *b, uint64_t mmio_base)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	pci_mmio_base = mmio_base;
	b->next_bar = mmio_base;
	pci_dev_init(&b->host, 0x1b36, 0x0008, 0, 0x060000, 0x1b36, 0x0008);
	b->host.name = "host-bridge";
	b->devs[0] = &b->host;
}

int pci_bus_add(struct pci_bus *b, struct pci_dev *d, uint64_t mmio_end)
{
	int slot = 1;
	while (slot < PCI_MAX_DEVS && b->devs[slot])
		slot++;
	if (slot == PCI_MAX_DEVS)
		return -1;
	for (int i = 0; i < 6; i++) {
		uint32_t sz = d->bar_size[i];
		if (!sz)
			continue;
		uint64_t at = (b->next_bar + sz - 1) & ~(uint64_t)(sz - 1);
		if (at + sz > mmio_end)
			return -1;
		d->bar_addr[i] = (uint32_t)at;
		pci_put32(d->cfg + 0x10 + 4 * i, (uint32_t)at);
		b->next_bar = at + sz;
	}
	d->slot = slot;
	b->devs[slot] = d;
	return slot;
}

uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned len)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SIZE; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

static void pci_bar_write(struct pci_dev *d, int bar, unsigned byte, uint8_t val)
{
	uint8_t *p = d->cfg + 0x10 + 4 * bar;
	p[byte] = val;
	uint32_t size = d->bar_size[bar];
	uint32_t addr = pci_get32(p) & ~(size - 1);   /* size-aligned; low bits read 0 = mem32 */
	pci_put32(p, addr);
	__atomic_store_n(&d->bar_addr[bar], addr, __ATOMIC_RELEASE);
}

void pci_cfg_write(struct pci_dev *d, unsigned off, uint32_t val, unsigned len)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SIZE; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		if (o >= 0x10 && o < 0x28) {
			int bar = (int)(o - 0x10) / 4;
			if (d->bar_size[bar])
				pci_bar_write(d, bar, (o - 0x10) % 4, b);
			continue;
		}
		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (b & d->wmask[o]));
	}
	if (d->cfg_written)
		d->cfg_written(d, off, len);
}

static struct pci_dev *pci_target(struct pci_bus *b, unsigned *reg)
{
	uint32_t a = b->cf8;
	if (!(a & 0x80000000u))
		return NULL;
	unsigned bus = (a >> 16) & 0xff, dev = (a >> 11) & 0x1f, fn = (a >> 8) & 7;
	*reg = a & 0xfc;
	if (bus != 0 || fn != 0 || dev >= PCI_MAX_DEVS)
		return NULL;
	return b->devs[dev];
}

void pci_conf_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct pci_bus *b = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	if (off == 1 && len == 1) {            /* 0xcf9: reset control */
		if (is_write && (v & 0x04) && b->reset_cb)
			b->reset_cb(b->reset_opaque);
		if (!is_write)
			data[0] = 0;
		return;
	}
	pthread_mutex_lock(&b->lock);
	if (off < 4) {
		if (off == 0 && len == 4) {
			if (is_write)
				b->cf8 = v;
			else
				v = b->cf8;
		} else if (!is_write) {
			v = 0xffffffffu;
		}
	} else {
		unsigned reg;
		struct pci_dev *d = pci_target(b, &reg);
		unsigned o = reg + (unsigned)(off - 4);
		if (!d)
			v = 0xffffffffu;
		else if (is_write)
			pci_cfg_write(d, o, v, len);
		else
			v = pci_cfg_read(d, o, len);
	}
	pthread_mutex_unlock(&b->lock);
	if (!is_write)
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
}

void pci_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct pci_bus *b = opaque;
	uint64_t addr = pci_mmio_base + off;
	for (int s = 1; s < PCI_MAX_DEVS; s++) {
		struct pci_dev *d = b->devs[s];
		if (!d || !(d->cfg[0x04] & 0x02))
			continue;
		for (int i = 0; i < 6; i++) {
			uint32_t sz = d->bar_size[i];
			uint64_t base = __atomic_load_n(&d->bar_addr[i], __ATOMIC_ACQUIRE);
			if (sz && base && addr >= base && addr - base + len <= sz) {
				d->bar_access(d, i, addr - base, data, len, is_write);
				return;
			}
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	vmm_log_rl(LOGK_MMIO, "unclaimed MMIO %s at 0x%llx (%u bytes)",
		   is_write ? "write" : "read", (unsigned long long)addr, len);
}

/* ---- saved state */

struct pci_fn_state {
	uint8_t cfg[PCI_CFG_SIZE];
};
static const struct state_field pci_fn_fields[] = { STATE_FIELD(struct pci_fn_state, ST_BYTES, cfg) };
static const struct state_desc pci_fn_desc = { "pci-function", 1, 1, pci_fn_fields, 1 };

void pci_dev_save(const struct pci_dev *d, struct state_w *w, uint32_t instance)
{
	struct pci_fn_state s;
	memcpy(s.cfg, d->cfg, sizeof s.cfg);
	state_w_section(w, &pci_fn_desc, instance, &s);
}

int pci_dev_load(struct pci_dev *d, struct state_r *r, uint32_t instance)
{
	struct pci_fn_state s;
	if (state_r_section(r, &pci_fn_desc, instance, &s))
		return -1;
	for (unsigned o = 0; o < PCI_CFG_SIZE; o++) {
		if (o >= 0x10 && o < 0x28)
			continue;
		if ((s.cfg[o] ^ d->cfg[o]) & ~d->wmask[o]) {
			snprintf(r->err, sizeof r->err, "PCI function %s: saved configuration byte 0x%02x is 0x%02x, "
				 "this function's is 0x%02x (another device)", d->name ? d->name : "?", o, s.cfg[o],
				 d->cfg[o]);
			return -1;
		}
	}
	for (int bar = 0; bar < 6; bar++) {
		uint32_t v = pci_get32(s.cfg + 0x10 + 4 * bar), size = d->bar_size[bar];
		if (size ? (v & (size - 1)) != 0 : v != 0) {
			snprintf(r->err, sizeof r->err, "PCI function %s: saved BAR %d 0x%08x does not fit its size",
				 d->name ? d->name : "?", bar, v);
			return -1;
		}
	}
	for (unsigned o = 0; o < PCI_CFG_SIZE; o++)
		if (!(o >= 0x10 && o < 0x28))
			d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (s.cfg[o] & d->wmask[o]));
	for (int bar = 0; bar < 6; bar++) {
		uint32_t v = pci_get32(s.cfg + 0x10 + 4 * bar);
		pci_put32(d->cfg + 0x10 + 4 * bar, v);
		if (d->bar_size[bar])
			__atomic_store_n(&d->bar_addr[bar], v, __ATOMIC_RELEASE);
	}
	return 0;
}
