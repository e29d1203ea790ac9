/* queue.h: split virtqueues (virtio 1.x, no indirect descriptors, no event
 * index) processed against guest memory with every address bounds-checked
 * and every index validated; a malformed ring yields an error, never a
 * wild access. */
#ifndef VMM_VIRTIO_QUEUE_H
#define VMM_VIRTIO_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "mem.h"

#define VQ_MAX_SIZE 256
#define VQ_MAX_CHAIN_BYTES (64u << 20)   /* one request at most 64 MiB */

struct virtq {
	uint16_t size;        /* set by the driver (power of two <= max_size) */
	uint16_t max_size;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;  /* next avail ring entry to consume */
	uint16_t used_idx;    /* our copy of used->idx */
};

struct vq_chain {
	uint16_t head;
	unsigned n_out, n_in;         /* device-readable, then device-writable */
	struct iovec out[VQ_MAX_SIZE];
	struct iovec in[VQ_MAX_SIZE];
	uint64_t out_len, in_len;
};

void vq_reset(struct virtq *q, uint16_t max_size);
/* Check the ring addresses/size the driver programmed before enabling. */
int vq_validate(const struct guest_mem *m, const struct virtq *q, char *err, size_t errlen);
/* Take the next available chain. Returns 1 with *c filled, 0 if the ring is
 * empty, -1 if the ring is malformed (err says why; the device is broken). */
int vq_pop(const struct guest_mem *m, struct virtq *q, struct vq_chain *c,
	   char *err, size_t errlen);
/* Return a chain to the driver with len bytes written. -1 if the used ring
 * is outside guest memory. */
int vq_push(const struct guest_mem *m, struct virtq *q, uint16_t head, uint32_t len);
/* True unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool vq_should_notify(const struct guest_mem *m, const struct virtq *q);
/* Gather/scatter helpers over an iovec array. Return bytes copied. */
size_t iov_copy_from(const struct iovec *iov, unsigned n, size_t off, void *dst, size_t len);
size_t iov_copy_to(const struct iovec *iov, unsigned n, size_t off, const void *src, size_t len);
#endif
