/* rng.c: virtio-rng: fills the guest's buffers from getrandom(). */
#include "virtio/devices.h"
#include "virtio/virtio.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#define RNG_MAX_PER_REQ 65536

static void rng_cfg_read(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	(void)d; (void)off;
	for (unsigned i = 0; i < len; i++)
		data[i] = 0;
}

static void rng_notify(struct virtio_dev *d, int q)
{
	struct vq_chain *c = &d->chain;
	int done = 0;
	while (virtio_pop(d, q, c) > 0) {
		uint32_t total = 0;
		for (unsigned i = 0; i < c->n_in && total < RNG_MAX_PER_REQ; i++) {
			size_t want = c->in[i].iov_len;
			if (want > RNG_MAX_PER_REQ - total)
				want = RNG_MAX_PER_REQ - total;
			ssize_t r = getrandom(c->in[i].iov_base, want, 0);
			if (r <= 0)
				break;
			total += (uint32_t)r;
		}
		if (vq_push(d->mem, &d->vq[q], c->head, total) < 0) {
			virtio_broken(d, "used ring outside guest memory");
			break;
		}
		done++;
	}
	if (done)
		virtio_signal(d, q);
}

static const struct virtio_ops rng_ops = {
	.kind = "virtio-rng", .type = 4, .class_code = 0xff0000, .cfg_size = 0,
	.cfg_read = rng_cfg_read, .notify = rng_notify,
};

struct virtio_dev *virtio_rng_create(const struct virtio_env *env, char *err, size_t errlen)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "virtio-rng: out of memory");
		return NULL;
	}
	virtio_dev_init(d, &rng_ops, NULL, "rng0", env->mem, 0, 1, 64);
	return d;
}
