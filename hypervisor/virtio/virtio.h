/* virtio.h: the virtio 1.x PCI transport (modern only): common
 * configuration, ISR, notifications, device configuration and MSI-X in BAR 0,
 * and the interface device models (blk, net, rng, balloon) implement. */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "devices/pci.h"
#include "mem.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_Q 4
#define VIRTIO_MSIX_VECS 8
#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* BAR 0 layout */
#define VIRTIO_BAR_SIZE 0x8000
#define VIRTIO_OFF_COMMON 0x0000
#define VIRTIO_OFF_ISR 0x1000
#define VIRTIO_OFF_DEVCFG 0x2000
#define VIRTIO_OFF_NOTIFY 0x3000
#define VIRTIO_OFF_MSIX 0x4000
#define VIRTIO_OFF_PBA 0x5000
#define VIRTIO_NOTIFY_MULT 4

struct virtio_dev;

struct virtio_ops {
	const char *kind;        /* "virtio-blk" */
	uint16_t type;           /* virtio device id: 1 net, 2 blk, 4 rng, 5 balloon */
	uint32_t class_code;
	unsigned cfg_size;
	/* All callbacks run with d->lock held. */
	void (*cfg_read)(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len);
	void (*cfg_write)(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len);
	void (*notify)(struct virtio_dev *d, int q);
	void (*reset)(struct virtio_dev *d);
	void (*driver_ok)(struct virtio_dev *d);
};

struct virtio_dev {
	struct pci_dev pci;
	pthread_mutex_t lock;
	const struct virtio_ops *ops;
	void *priv;
	char id[65];
	const struct guest_mem *mem;
	uint64_t features, drv_features;
	uint32_t dfsel, gfsel;
	uint8_t status, cfg_gen, isr;
	uint16_t msix_config, qsel;
	int nq;
	struct virtq vq[VIRTIO_MAX_Q];
	uint32_t msix[VIRTIO_MSIX_VECS][4];
	uint32_t pba;
	bool broken;
	uint64_t broken_count;
	char broken_reason[160];
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	void *msi_opaque;
	struct vq_chain chain;   /* scratch for the device, used under lock */
};

void virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv,
		     const char *id, const struct guest_mem *mem, uint64_t features,
		     int nq, uint16_t qsize,
		     void (*msi)(void *, uint64_t, uint32_t), void *msi_opaque);
/* Signal the driver that queue q has new used entries (respects NO_INTERRUPT). */
void virtio_signal(struct virtio_dev *d, int q);
/* Interrupt for queue q regardless of the ring's flags (vhost checked them). */
void virtio_interrupt(struct virtio_dev *d, int q);
/* Device configuration changed (balloon target): bump generation, interrupt. */
void virtio_config_changed(struct virtio_dev *d);
/* Mark the device broken (guest error): stop processing, NEEDS_RESET, log. */
void virtio_broken(struct virtio_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when queue q may be processed (driver ok, ready, not broken). */
bool virtio_queue_live(const struct virtio_dev *d, int q);
/* Pop with broken-marking on malformed rings: 1 chain, 0 empty, -1 broken. */
int virtio_pop(struct virtio_dev *d, int q, struct vq_chain *c);
#endif
