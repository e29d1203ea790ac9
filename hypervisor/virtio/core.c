/* core.c (virtio): a virtio 1.x device's transport-independent state:
 * feature negotiation, status, queue setup, notifications, the broken state
 * and interrupts raised through the transport that attached it. Guest
 * writes are validated here, once for every transport: feature negotiation,
 * queue sizes and ring addresses. */
#include "virtio/virtio.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void virtio_raise(struct virtio_dev *d, int q)
{
	if (d->tr && d->tr->interrupt)
		d->tr->interrupt(d, q);
}

void virtio_signal(struct virtio_dev *d, int q)
{
	if (!vq_should_notify(d->mem, &d->vq[q]))
		return;
	d->isr |= VIRTIO_ISR_QUEUE;
	virtio_raise(d, q);
}

void virtio_interrupt(struct virtio_dev *d, int q)
{
	d->isr |= VIRTIO_ISR_QUEUE;
	virtio_raise(d, q);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->cfg_gen++;
	d->isr |= VIRTIO_ISR_CONFIG;
	virtio_raise(d, VIRTIO_IRQ_CONFIG);
}

void virtio_broken(struct virtio_dev *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->broken_reason, sizeof(d->broken_reason), fmt, ap);
	va_end(ap);
	if (!d->broken)
		d->broken_count++;
	d->broken = true;
	vmm_log_rl(LOGK_VIRTIO, "%s %s: broken: %s", d->ops->kind, d->id, d->broken_reason);
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_config_changed(d);
}

bool virtio_queue_live(const struct virtio_dev *d, int q)
{
	return q >= 0 && q < d->nq && !d->broken && d->vq[q].ready &&
	       (d->status & VIRTIO_STATUS_DRIVER_OK);
}

int virtio_pop(struct virtio_dev *d, int q, struct vq_chain *c)
{
	char err[160];
	if (!virtio_queue_live(d, q))
		return 0;
	int r = vq_pop(d->mem, &d->vq[q], c, err, sizeof(err));
	if (r < 0)
		virtio_broken(d, "queue %d: %s", q, err);
	return r;
}

static void virtio_reset(struct virtio_dev *d)
{
	d->status = 0;
	d->drv_features = 0;
	d->isr = 0;
	d->broken = false;
	for (int i = 0; i < d->nq; i++)
		vq_reset(&d->vq[i], d->vq[i].max_size);
	if (d->tr && d->tr->reset)
		d->tr->reset(d);
	if (d->ops->reset)
		d->ops->reset(d);
}

void virtio_dev_reset(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	virtio_reset(d);
	pthread_mutex_unlock(&d->lock);
}

void virtio_set_status(struct virtio_dev *d, uint8_t v)
{
	if (v == 0) {
		virtio_reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		if ((d->drv_features & ~d->features) || !(d->drv_features & VIRTIO_F_VERSION_1)) {
			vmm_log_rl(LOGK_VIRTIO, "%s %s: driver features 0x%llx refused (offered 0x%llx)",
				   d->ops->kind, d->id, (unsigned long long)d->drv_features,
				   (unsigned long long)d->features);
			v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	uint8_t old = d->status;
	d->status = (uint8_t)(v | (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (d->ops->driver_ok)
			d->ops->driver_ok(d);
		/* Linux may queue buffers and kick before DRIVER_OK (balloon stats) */
		for (int q = 0; q < d->nq; q++)
			if (virtio_queue_live(d, q))
				d->ops->notify(d, q);
	}
}

uint32_t virtio_features_get(const struct virtio_dev *d, uint32_t sel, bool driver)
{
	uint64_t f = driver ? d->drv_features : d->features;
	return sel == 0 ? (uint32_t)f : sel == 1 ? (uint32_t)(f >> 32) : 0;
}

void virtio_driver_features_set(struct virtio_dev *d, uint32_t sel, uint32_t v)
{
	if (d->status & VIRTIO_STATUS_FEATURES_OK)
		return;
	if (sel == 0)
		d->drv_features = (d->drv_features & ~0xffffffffULL) | v;
	else if (sel == 1)
		d->drv_features = (d->drv_features & 0xffffffffULL) | (uint64_t)v << 32;
}

void virtio_queue_set_size(struct virtio_dev *d, int q, uint16_t size)
{
	if (q >= 0 && q < d->nq && !d->vq[q].ready)
		d->vq[q].size = size;
}

void virtio_queue_set_addr(struct virtio_dev *d, int q, int which, uint64_t gpa)
{
	if (q < 0 || q >= d->nq || d->vq[q].ready)
		return;   /* size and addresses are frozen while enabled */
	struct virtq *vq = &d->vq[q];
	uint64_t *a = which == 0 ? &vq->desc_gpa : which == 1 ? &vq->avail_gpa : &vq->used_gpa;
	*a = gpa;
}

void virtio_queue_enable(struct virtio_dev *d, int q)
{
	char err[160];
	if (q < 0 || q >= d->nq || d->vq[q].ready)
		return;
	struct virtq *vq = &d->vq[q];
	if (vq_validate(d->mem, vq, err, sizeof(err)) < 0) {
		virtio_broken(d, "queue %d enable: %s", q, err);
		return;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->ready = true;
}

void virtio_cfg_access(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, int is_write)
{
	if (off + len > d->ops->cfg_size || off + len < off) {
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		if (d->ops->cfg_write)
			d->ops->cfg_write(d, off, data, len);
	} else {
		d->ops->cfg_read(d, off, data, len);
	}
}

void virtio_notify(struct virtio_dev *d, int q)
{
	if (virtio_queue_live(d, q))
		d->ops->notify(d, q);
}

uint8_t virtio_isr_take(struct virtio_dev *d)
{
	uint8_t v = d->isr;
	d->isr = 0;
	return v;
}

void virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv,
		     const char *id, const struct guest_mem *mem, uint64_t features,
		     int nq, uint16_t qsize)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->priv = priv;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->mem = mem;
	d->features = features | VIRTIO_F_VERSION_1;
	d->nq = nq;
	for (int i = 0; i < nq; i++)
		vq_reset(&d->vq[i], qsize);
}
