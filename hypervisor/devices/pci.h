/* pci.h: a PCI bus with configuration mechanism #1 (ports 0xcf8/0xcfc), a
 * host bridge at 00:00.0, and 32-bit memory BARs placed in the MMIO window. */
#ifndef VMM_PCI_H
#define VMM_PCI_H
#include <pthread.h>
#include <stdint.h>

#define PCI_MAX_DEVS 24
#define PCI_CFG_SIZE 256

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* guest-writable bits (BARs handled apart) */
	uint32_t bar_size[6];          /* 0: BAR absent; memory BARs only */
	uint32_t bar_addr[6];          /* current address (atomic loads) */
	/* BAR access; off relative to the BAR start. */
	void (*bar_access)(struct pci_dev *d, int bar, uint64_t off, uint8_t *data,
			   unsigned len, int is_write);
	/* Called after a config write at [off, off+len) (e.g. MSI-X control). */
	void (*cfg_written)(struct pci_dev *d, unsigned off, unsigned len);
	void *opaque;
	const char *name;
	int slot;
};

struct pci_bus {
	pthread_mutex_t lock;
	uint32_t cf8;
	struct pci_dev host;
	struct pci_dev *devs[PCI_MAX_DEVS];   /* index = slot */
	uint64_t next_bar;
	void (*reset_cb)(void *opaque);       /* byte write to 0xcf9 with bit 2 */
	void *reset_opaque;
};

void pci_bus_init(struct pci_bus *b, uint64_t mmio_base);
/* Fill a type-0 header. */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id);
/* Add a memory BAR (size power of two >= 4 KiB). */
void pci_dev_add_bar(struct pci_dev *d, int bar, uint32_t size);
/* Plug into the next free slot; assigns BAR addresses. Returns slot or -1. */
int pci_bus_add(struct pci_bus *b, struct pci_dev *d, uint64_t mmio_end);
/* bus_fn for ports 0xcf8..0xcff */
void pci_conf_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
/* bus_fn for the MMIO window (off relative to mmio_base given at init) */
void pci_mmio(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
/* Config space access of one function (exposed for tests). */
uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned len);
void pci_cfg_write(struct pci_dev *d, unsigned off, uint32_t val, unsigned len);

/* Saved state of one function: its configuration space (section
 * "pci-function"). The load refuses bytes the guest cannot write that differ
 * from this function's (another device, another layout) and BAR values its
 * sizes do not allow; 0, or -1 with the reader's err. */
struct state_w;
struct state_r;
void pci_dev_save(const struct pci_dev *d, struct state_w *w, uint32_t instance);
int pci_dev_load(struct pci_dev *d, struct state_r *r, uint32_t instance);

static inline uint32_t pci_get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint16_t pci_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline void pci_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pci_put32(uint8_t *p, uint32_t v) { pci_put16(p, (uint16_t)v); pci_put16(p + 2, (uint16_t)(v >> 16)); }
#endif
