/* pci.c (virtio): the modern virtio-pci transport. Config space carries the
 * vendor capabilities and MSI-X; BAR 0 holds common config, ISR, device
 * config, notify and the MSI-X table/PBA. Guest writes are validated: feature
 * negotiation, queue sizes and ring addresses, vector numbers. */
#include "virtio/virtio.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define MSIX_CAP 0x84

static void vpci_cap(uint8_t *c, uint8_t at, uint8_t next, uint8_t type, uint32_t off,
		     uint32_t len, uint8_t caplen)
{
	c[at] = 0x09;
	c[at + 1] = next;
	c[at + 2] = caplen;
	c[at + 3] = type;
	c[at + 4] = 0;   /* BAR 0 */
	pci_put32(c + at + 8, off);
	pci_put32(c + at + 12, len);
}

static void vpci_msix_send(struct virtio_dev *d, unsigned vec)
{
	uint16_t ctrl = pci_get16(d->pci.cfg + MSIX_CAP + 2);
	if (vec >= VIRTIO_MSIX_VECS || !(ctrl & 0x8000))
		return;
	if ((ctrl & 0x4000) || (d->msix[vec][3] & 1)) {
		d->pba |= 1u << vec;
		return;
	}
	d->pba &= ~(1u << vec);
	uint64_t addr = d->msix[vec][0] | (uint64_t)d->msix[vec][1] << 32;
	d->msi(d->msi_opaque, addr, d->msix[vec][2]);
}

static void vpci_flush_pending(struct virtio_dev *d)
{
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		if (d->pba & (1u << v))
			vpci_msix_send(d, v);
}

void virtio_signal(struct virtio_dev *d, int q)
{
	if (!vq_should_notify(d->mem, &d->vq[q]))
		return;
	d->isr |= 1;
	vpci_msix_send(d, d->vq[q].msix_vector);
}

void virtio_interrupt(struct virtio_dev *d, int q)
{
	d->isr |= 1;
	vpci_msix_send(d, d->vq[q].msix_vector);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->cfg_gen++;
	d->isr |= 2;
	vpci_msix_send(d, d->msix_config);
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

static void vpci_reset(struct virtio_dev *d)
{
	d->status = 0;
	d->drv_features = 0;
	d->dfsel = d->gfsel = 0;
	d->isr = 0;
	d->msix_config = 0xffff;
	d->qsel = 0;
	d->broken = false;
	d->pba = 0;
	for (int i = 0; i < d->nq; i++)
		vq_reset(&d->vq[i], d->vq[i].max_size);
	if (d->ops->reset)
		d->ops->reset(d);
}

static void vpci_common_snapshot(struct virtio_dev *d, uint8_t *s)
{
	memset(s, 0, 0x40);
	pci_put32(s + 0x00, d->dfsel);
	pci_put32(s + 0x04, d->dfsel == 0 ? (uint32_t)d->features :
			     d->dfsel == 1 ? (uint32_t)(d->features >> 32) : 0);
	pci_put32(s + 0x08, d->gfsel);
	pci_put32(s + 0x0c, d->gfsel == 0 ? (uint32_t)d->drv_features :
			     d->gfsel == 1 ? (uint32_t)(d->drv_features >> 32) : 0);
	pci_put16(s + 0x10, d->msix_config);
	pci_put16(s + 0x12, (uint16_t)d->nq);
	s[0x14] = d->status;
	s[0x15] = d->cfg_gen;
	pci_put16(s + 0x16, d->qsel);
	if (d->qsel < d->nq) {
		const struct virtq *q = &d->vq[d->qsel];
		pci_put16(s + 0x18, q->size);
		pci_put16(s + 0x1a, q->msix_vector);
		pci_put16(s + 0x1c, q->ready);
		pci_put16(s + 0x1e, d->qsel);
		pci_put32(s + 0x20, (uint32_t)q->desc_gpa);
		pci_put32(s + 0x24, (uint32_t)(q->desc_gpa >> 32));
		pci_put32(s + 0x28, (uint32_t)q->avail_gpa);
		pci_put32(s + 0x2c, (uint32_t)(q->avail_gpa >> 32));
		pci_put32(s + 0x30, (uint32_t)q->used_gpa);
		pci_put32(s + 0x34, (uint32_t)(q->used_gpa >> 32));
	}
}

static void vpci_set_status(struct virtio_dev *d, uint8_t v)
{
	if (v == 0) {
		vpci_reset(d);
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

static void vpci_queue_enable(struct virtio_dev *d, struct virtq *q, uint16_t v)
{
	char err[160];
	if (v != 1 || q->ready)
		return;
	if (vq_validate(d->mem, q, err, sizeof(err)) < 0) {
		virtio_broken(d, "queue %u enable: %s", d->qsel, err);
		return;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
}

static void vpci_set_addr(uint64_t *a, unsigned off, uint32_t v, unsigned len)
{
	if (len == 8 && off == 0)
		return;   /* handled by caller as two halves */
	if (off == 0)
		*a = (*a & 0xffffffff00000000ULL) | v;
	else
		*a = (*a & 0xffffffffULL) | (uint64_t)v << 32;
}

static void vpci_queue_write(struct virtio_dev *d, unsigned off, uint32_t v, unsigned len)
{
	if (d->qsel >= d->nq)
		return;
	struct virtq *q = &d->vq[d->qsel];
	if (off == 0x1a) {
		q->msix_vector = v < VIRTIO_MSIX_VECS ? (uint16_t)v : 0xffff;
		return;
	}
	if (off == 0x1c) {
		vpci_queue_enable(d, q, (uint16_t)v);
		return;
	}
	if (q->ready)
		return;   /* size and addresses are frozen while enabled */
	if (off == 0x18)
		q->size = (uint16_t)v;
	else if (off >= 0x20 && off < 0x28)
		vpci_set_addr(&q->desc_gpa, (off - 0x20) / 4, v, len);
	else if (off >= 0x28 && off < 0x30)
		vpci_set_addr(&q->avail_gpa, (off - 0x28) / 4, v, len);
	else if (off >= 0x30 && off < 0x38)
		vpci_set_addr(&q->used_gpa, (off - 0x30) / 4, v, len);
}

static void vpci_common_write(struct virtio_dev *d, unsigned off, uint64_t v, unsigned len)
{
	if (len == 8 && off >= 0x20 && off < 0x38 && off % 8 == 0) {
		vpci_queue_write(d, off, (uint32_t)v, 4);
		vpci_queue_write(d, off + 4, (uint32_t)(v >> 32), 4);
		return;
	}
	uint32_t w = (uint32_t)v;
	switch (off) {
	case 0x00: d->dfsel = w; break;
	case 0x08: d->gfsel = w; break;
	case 0x0c:
		if (d->status & VIRTIO_STATUS_FEATURES_OK)
			break;
		if (d->gfsel == 0)
			d->drv_features = (d->drv_features & ~0xffffffffULL) | w;
		else if (d->gfsel == 1)
			d->drv_features = (d->drv_features & 0xffffffffULL) | (uint64_t)w << 32;
		break;
	case 0x10: d->msix_config = w < VIRTIO_MSIX_VECS ? (uint16_t)w : 0xffff; break;
	case 0x14: vpci_set_status(d, (uint8_t)w); break;
	case 0x16: d->qsel = (uint16_t)w; break;
	default:
		if (off >= 0x18 && off < 0x38)
			vpci_queue_write(d, off, w, len);
		else
			vmm_log_rl(LOGK_VIRTIO, "%s %s: write to read-only common config 0x%x",
				   d->ops->kind, d->id, off);
	}
}

static void vpci_msix_access(struct virtio_dev *d, uint64_t off, uint8_t *data, unsigned len,
			     int is_write)
{
	uint8_t tbl[VIRTIO_MSIX_VECS * 16];
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		for (unsigned k = 0; k < 4; k++)
			pci_put32(tbl + 16 * v + 4 * k, d->msix[v][k]);
	if (off + len > sizeof(tbl)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, tbl + off, len);
		return;
	}
	memcpy(tbl + off, data, len);
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		for (unsigned k = 0; k < 4; k++)
			d->msix[v][k] = pci_get32(tbl + 16 * v + 4 * k);
	vpci_flush_pending(d);
}

static void vpci_bar(struct pci_dev *pd, int bar, uint64_t off, uint8_t *data, unsigned len,
		     int is_write)
{
	struct virtio_dev *d = pd->opaque;
	uint64_t v = 0;
	(void)bar;
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)data[i] << (8 * i);
	pthread_mutex_lock(&d->lock);
	if (off < VIRTIO_OFF_ISR) {
		if (off + len > 0x38) {
			if (!is_write) memset(data, 0, len);
		} else if (is_write) {
			vpci_common_write(d, (unsigned)off, v, len);
		} else {
			uint8_t s[0x40];
			vpci_common_snapshot(d, s);
			memcpy(data, s + off, len);
		}
	} else if (off < VIRTIO_OFF_DEVCFG) {
		if (!is_write) {
			memset(data, 0, len);
			if (off == VIRTIO_OFF_ISR)
				data[0] = d->isr;
			d->isr = 0;
		}
	} else if (off < VIRTIO_OFF_NOTIFY) {
		unsigned o = (unsigned)(off - VIRTIO_OFF_DEVCFG);
		if (o + len > d->ops->cfg_size) {
			if (!is_write) memset(data, 0, len);
		} else if (is_write) {
			if (d->ops->cfg_write) d->ops->cfg_write(d, o, data, len);
		} else {
			d->ops->cfg_read(d, o, data, len);
		}
	} else if (off < VIRTIO_OFF_MSIX) {
		int q = (int)((off - VIRTIO_OFF_NOTIFY) / VIRTIO_NOTIFY_MULT);
		if (is_write && virtio_queue_live(d, q))
			d->ops->notify(d, q);
		else if (!is_write)
			memset(data, 0, len);
	} else if (off < VIRTIO_OFF_PBA) {
		vpci_msix_access(d, off - VIRTIO_OFF_MSIX, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len);
		if (off == VIRTIO_OFF_PBA)
			for (unsigned i = 0; i < len && i < 4; i++)
				data[i] = (uint8_t)(d->pba >> (8 * i));
	}
	pthread_mutex_unlock(&d->lock);
}

static void vpci_cfg_written(struct pci_dev *pd, unsigned off, unsigned len)
{
	struct virtio_dev *d = pd->opaque;
	if (off + len > MSIX_CAP + 2 && off <= MSIX_CAP + 3) {
		pthread_mutex_lock(&d->lock);
		vpci_flush_pending(d);
		pthread_mutex_unlock(&d->lock);
	}
}

void virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv,
		     const char *id, const struct guest_mem *mem, uint64_t features,
		     int nq, uint16_t qsize,
		     void (*msi)(void *, uint64_t, uint32_t), void *msi_opaque)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->priv = priv;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->mem = mem;
	d->features = features | VIRTIO_F_VERSION_1;
	d->nq = nq;
	d->msi = msi;
	d->msi_opaque = msi_opaque;
	for (int i = 0; i < nq; i++)
		vq_reset(&d->vq[i], qsize);
	d->msix_config = 0xffff;
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		d->msix[v][3] = 1;   /* masked at reset */

	struct pci_dev *p = &d->pci;
	pci_dev_init(p, 0x1af4, (uint16_t)(0x1040 + ops->type), 1, ops->class_code, 0x1af4, 0x40);
	p->cfg[0x06] = 0x10;     /* status: capability list */
	p->cfg[0x34] = 0x40;
	uint8_t *c = p->cfg;
	vpci_cap(c, 0x40, 0x50, CAP_COMMON, VIRTIO_OFF_COMMON, 0x38, 16);
	vpci_cap(c, 0x50, 0x60, CAP_ISR, VIRTIO_OFF_ISR, 4, 16);
	vpci_cap(c, 0x60, 0x70, CAP_DEVICE, VIRTIO_OFF_DEVCFG, ops->cfg_size ? ops->cfg_size : 4, 16);
	vpci_cap(c, 0x70, MSIX_CAP, CAP_NOTIFY, VIRTIO_OFF_NOTIFY, VIRTIO_NOTIFY_MULT * (uint32_t)nq, 20);
	pci_put32(c + 0x80, VIRTIO_NOTIFY_MULT);
	c[MSIX_CAP] = 0x11;
	c[MSIX_CAP + 1] = 0;
	pci_put16(c + MSIX_CAP + 2, VIRTIO_MSIX_VECS - 1);
	pci_put32(c + MSIX_CAP + 4, VIRTIO_OFF_MSIX);   /* BIR 0 */
	pci_put32(c + MSIX_CAP + 8, VIRTIO_OFF_PBA);
	p->wmask[MSIX_CAP + 3] = 0xc0;                  /* enable, function mask */
	pci_dev_add_bar(p, 0, VIRTIO_BAR_SIZE);
	p->bar_access = vpci_bar;
	p->cfg_written = vpci_cfg_written;
	p->opaque = d;
	p->name = d->id;
}
