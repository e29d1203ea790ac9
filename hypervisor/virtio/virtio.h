/* virtio.h: a virtio 1.x device, independent of its transport: feature
 * negotiation, device status, virtqueues, the broken state, and the
 * interface device models (blk, net, rng, balloon) implement. A transport
 * (virtio_pci.h: virtio-pci now; virtio-mmio for arm64 and PVH-style
 * machines later) maps the guest's register accesses onto the functions
 * below and delivers the interrupts the core raises. No device model
 * includes a transport header. */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "mem.h"
#include "state.h"
#include "virtio/queue.h"

#define VIRTIO_MAX_Q 4
#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

struct virtio_dev;

/* What a transport provides to the core. Called with d->lock held. */
struct virtio_transport {
	const char *name;        /* "virtio-pci" */
	/* Interrupt the driver for queue q, or for a configuration change
	 * (q = VIRTIO_IRQ_CONFIG); d->isr already says why. */
	void (*interrupt)(struct virtio_dev *d, int q);
	/* The driver reset the device: forget the transport's own state. */
	void (*reset)(struct virtio_dev *d);
	/* Saved state of the transport (instance: the device's number). */
	void (*save)(struct virtio_dev *d, struct state_w *w, uint32_t instance);
	int (*load)(struct virtio_dev *d, struct state_r *r, uint32_t instance);
};
#define VIRTIO_IRQ_CONFIG (-1)

struct virtio_ops {
	const char *kind;        /* "virtio-blk" */
	uint16_t type;           /* virtio device id: 1 net, 2 blk, 4 rng, 5 balloon */
	uint32_t class_code;     /* for transports that announce one (PCI) */
	unsigned cfg_size;
	/* All callbacks run with d->lock held. */
	void (*cfg_read)(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len);
	void (*cfg_write)(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len);
	void (*notify)(struct virtio_dev *d, int q);
	void (*reset)(struct virtio_dev *d);
	void (*driver_ok)(struct virtio_dev *d);
	/* Before a save: bring ring positions held elsewhere (vhost) into vq[]. */
	void (*quiesce)(struct virtio_dev *d);
	/* The model's own saved state, after the common part (NULL: none). */
	void (*save)(struct virtio_dev *d, struct state_w *w, uint32_t instance);
	int (*load)(struct virtio_dev *d, struct state_r *r, uint32_t instance);
	/* After a load, with the rings and the driver's state in place. */
	void (*loaded)(struct virtio_dev *d);
};

struct virtio_dev {
	pthread_mutex_t lock;
	const struct virtio_ops *ops;
	void *priv;
	char id[65];
	const struct guest_mem *mem;
	uint64_t features, drv_features;
	uint8_t status, cfg_gen, isr;
	int nq;
	struct virtq vq[VIRTIO_MAX_Q];
	bool broken;
	uint64_t broken_count;
	char broken_reason[160];
	struct vq_chain chain;   /* scratch for the device, used under lock */
	const struct virtio_transport *tr;  /* set when a transport attaches it */
	void *tr_priv;
};

void virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv,
		     const char *id, const struct guest_mem *mem, uint64_t features,
		     int nq, uint16_t qsize);
/* Reset the device as the driver's status write of 0 does (takes d->lock):
 * features, status, queues, the transport's state, the model's own. */
void virtio_dev_reset(struct virtio_dev *d);
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

/* Saved state: the common part (features, status, queues), then the
 * transport's, then the model's. The load checks everything against this
 * device and guest memory (loaded first) before changing anything of the
 * common part; 0, or -1 with r->err. Call with the vCPUs stopped. */
void virtio_save(struct virtio_dev *d, struct state_w *w, uint32_t instance);
int virtio_load(struct virtio_dev *d, struct state_r *r, uint32_t instance);

/* For transports, with d->lock held: the driver's side of the device. */
/* Write the status register (0 resets; FEATURES_OK checks the features). */
void virtio_set_status(struct virtio_dev *d, uint8_t v);
/* Half (sel 0 or 1) of the device's / the driver's feature bits. */
uint32_t virtio_features_get(const struct virtio_dev *d, uint32_t sel, bool driver);
void virtio_driver_features_set(struct virtio_dev *d, uint32_t sel, uint32_t v);
/* Queue q's size and ring addresses (frozen while the queue is enabled). */
void virtio_queue_set_size(struct virtio_dev *d, int q, uint16_t size);
void virtio_queue_set_addr(struct virtio_dev *d, int q, int which, uint64_t gpa); /* 0 desc, 1 avail, 2 used */
/* Enable queue q (after checking its rings; a bad ring breaks the device). */
void virtio_queue_enable(struct virtio_dev *d, int q);
/* Device configuration space access (bounds checked against cfg_size). */
void virtio_cfg_access(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, int is_write);
/* The driver notified queue q. */
void virtio_notify(struct virtio_dev *d, int q);
/* The interrupt status register: read and clear. */
uint8_t virtio_isr_take(struct virtio_dev *d);
#endif
