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

/* ---- saved state */

#define Q_MEMBERS(n) uint16_t q##n##_size; uint8_t q##n##_ready; uint64_t q##n##_desc, q##n##_avail, \
	q##n##_used; uint16_t q##n##_last_avail, q##n##_used_idx;
struct virtio_state {
	uint64_t features, drv_features;
	uint8_t status, cfg_gen, isr, broken;
	char broken_reason[160];
	uint32_t nq;
	Q_MEMBERS(0) Q_MEMBERS(1) Q_MEMBERS(2) Q_MEMBERS(3)
};
#define V(type, m) STATE_FIELD(struct virtio_state, type, m)
#define Q_FIELDS(n) V(ST_U16, q##n##_size), V(ST_U8, q##n##_ready), V(ST_U64, q##n##_desc), \
	V(ST_U64, q##n##_avail), V(ST_U64, q##n##_used), V(ST_U16, q##n##_last_avail), V(ST_U16, q##n##_used_idx),
static const struct state_field virtio_fields[] = {
	V(ST_U64, features), V(ST_U64, drv_features), V(ST_U8, status), V(ST_U8, cfg_gen), V(ST_U8, isr),
	V(ST_U8, broken), V(ST_STR, broken_reason), V(ST_U32, nq),
	Q_FIELDS(0) Q_FIELDS(1) Q_FIELDS(2) Q_FIELDS(3)
};
static const struct state_desc virtio_desc = {
	.name = "virtio", .version = 1, .min_version = 1,
	.fields = virtio_fields, .nfields = sizeof virtio_fields / sizeof virtio_fields[0],
};
_Static_assert(VIRTIO_MAX_Q == 4, "virtio_state describes four queues");

#define Q_FROM(n) if (n < d->nq) { const struct virtq *q = &d->vq[n]; s.q##n##_size = q->size; \
	s.q##n##_ready = q->ready; s.q##n##_desc = q->desc_gpa; s.q##n##_avail = q->avail_gpa; \
	s.q##n##_used = q->used_gpa; s.q##n##_last_avail = q->last_avail; s.q##n##_used_idx = q->used_idx; }
#define Q_TO(n) if (n < d->nq) { struct virtq *q = &vq[n]; q->size = s.q##n##_size; \
	q->ready = s.q##n##_ready != 0; q->desc_gpa = s.q##n##_desc; q->avail_gpa = s.q##n##_avail; \
	q->used_gpa = s.q##n##_used; q->last_avail = s.q##n##_last_avail; q->used_idx = s.q##n##_used_idx; }

void virtio_save(struct virtio_dev *d, struct state_w *w, uint32_t instance)
{
	struct virtio_state s;
	memset(&s, 0, sizeof s);
	pthread_mutex_lock(&d->lock);
	if (d->ops->quiesce)
		d->ops->quiesce(d);
	s.features = d->features;
	s.drv_features = d->drv_features;
	s.status = d->status;
	s.cfg_gen = d->cfg_gen;
	s.isr = d->isr;
	s.broken = d->broken;
	snprintf(s.broken_reason, sizeof s.broken_reason, "%s", d->broken_reason);
	s.nq = (uint32_t)d->nq;
	Q_FROM(0) Q_FROM(1) Q_FROM(2) Q_FROM(3)
	state_w_section(w, &virtio_desc, instance, &s);
	if (d->tr && d->tr->save)
		d->tr->save(d, w, instance);
	if (d->ops->save)
		d->ops->save(d, w, instance);
	pthread_mutex_unlock(&d->lock);
}

static int load_fail(struct state_r *r, const struct virtio_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int load_fail(struct state_r *r, const struct virtio_dev *d, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof r->err, "%s %.24s: saved state: %.140s", d->ops->kind, d->id, what);
	return -1;
}

int virtio_load(struct virtio_dev *d, struct state_r *r, uint32_t instance)
{
	struct virtio_state s;
	struct virtq vq[VIRTIO_MAX_Q];
	char err[160];
	memset(&s, 0, sizeof s);
	if (state_r_section(r, &virtio_desc, instance, &s))
		return -1;
	if (s.nq != (uint32_t)d->nq)
		return load_fail(r, d, "%u queues, this device has %d", s.nq, d->nq);
	if (s.features != d->features)
		return load_fail(r, d, "offered features 0x%llx, this device offers 0x%llx",
				 (unsigned long long)s.features, (unsigned long long)d->features);
	if (s.drv_features & ~s.features)
		return load_fail(r, d, "driver features 0x%llx beyond the offered 0x%llx",
				 (unsigned long long)s.drv_features, (unsigned long long)s.features);
	memcpy(vq, d->vq, sizeof vq);
	Q_TO(0) Q_TO(1) Q_TO(2) Q_TO(3)
	for (int i = 0; i < d->nq; i++) {
		if (vq[i].ready && vq_validate(d->mem, &vq[i], err, sizeof err) < 0)
			return load_fail(r, d, "queue %d: %s", i, err);
		if (!vq[i].ready && vq[i].size > vq[i].max_size)
			return load_fail(r, d, "queue %d: size %u over %u", i, vq[i].size, vq[i].max_size);
	}
	pthread_mutex_lock(&d->lock);
	d->drv_features = s.drv_features;
	d->status = s.status;
	d->cfg_gen = s.cfg_gen;
	d->isr = s.isr;
	d->broken = s.broken != 0;
	snprintf(d->broken_reason, sizeof d->broken_reason, "%s", s.broken_reason);
	memcpy(d->vq, vq, sizeof vq);
	int rc = d->tr && d->tr->load ? d->tr->load(d, r, instance) : 0;
	if (rc == 0 && d->ops->load)
		rc = d->ops->load(d, r, instance);
	if (rc == 0 && d->ops->loaded)
		d->ops->loaded(d);
	pthread_mutex_unlock(&d->lock);
	return rc;
}
