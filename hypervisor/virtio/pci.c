/* pci.c (virtio): the modern virtio-pci transport (virtio_pci.h). Config
 * space carries the vendor capabilities and MSI-X; BAR 0 holds common
 * config, ISR, device config, notify and the MSI-X table/PBA. The registers
 * that select (feature words, queue) and the MSI-X state are the
 * transport's; everything else goes to the device through virtio.h, which
 * validates it. */
#include "virtio/virtio_pci.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define MSIX_CAP 0x84
#define NO_VECTOR 0xffff

struct vpci {
	struct pci_dev pci;
	struct virtio_dev *d;
	uint32_t dfsel, gfsel;
	uint16_t qsel, msix_config;
	uint16_t qvec[VIRTIO_MAX_Q];
	uint32_t msix[VIRTIO_MSIX_VECS][4];
	uint32_t pba;
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	void *msi_opaque;
};

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

static void vpci_msix_send(struct vpci *t, unsigned vec)
{
	uint16_t ctrl = pci_get16(t->pci.cfg + MSIX_CAP + 2);
	if (vec >= VIRTIO_MSIX_VECS || !(ctrl & 0x8000))
		return;
	if ((ctrl & 0x4000) || (t->msix[vec][3] & 1)) {
		t->pba |= 1u << vec;
		return;
	}
	t->pba &= ~(1u << vec);
	uint64_t addr = t->msix[vec][0] | (uint64_t)t->msix[vec][1] << 32;
	t->msi(t->msi_opaque, addr, t->msix[vec][2]);
}

static void vpci_flush_pending(struct vpci *t)
{
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		if (t->pba & (1u << v))
			vpci_msix_send(t, v);
}

static void vpci_interrupt(struct virtio_dev *d, int q)
{
	struct vpci *t = d->tr_priv;
	vpci_msix_send(t, q == VIRTIO_IRQ_CONFIG ? t->msix_config : t->qvec[q]);
}

static void vpci_reset(struct virtio_dev *d)
{
	struct vpci *t = d->tr_priv;
	t->dfsel = t->gfsel = 0;
	t->msix_config = NO_VECTOR;
	t->qsel = 0;
	t->pba = 0;
	for (int i = 0; i < VIRTIO_MAX_Q; i++)
		t->qvec[i] = NO_VECTOR;
}

/* Saved state: the transport's registers and MSI-X ("virtio-pci"), then
 * the function's configuration space ("pci-function"). */
struct vpci_state {
	uint32_t dfsel, gfsel;
	uint16_t qsel, msix_config, qvec0, qvec1, qvec2, qvec3;
	uint8_t msix[VIRTIO_MSIX_VECS * 16];   /* the table as the guest sees it, little-endian */
	uint32_t pba;
};
#define VS(type, m) STATE_FIELD(struct vpci_state, type, m)
static const struct state_field vpci_fields[] = {
	VS(ST_U32, dfsel), VS(ST_U32, gfsel), VS(ST_U16, qsel), VS(ST_U16, msix_config), VS(ST_U16, qvec0),
	VS(ST_U16, qvec1), VS(ST_U16, qvec2), VS(ST_U16, qvec3), VS(ST_BYTES, msix), VS(ST_U32, pba),
};
static const struct state_desc vpci_desc = {
	.name = "virtio-pci", .version = 1, .min_version = 1,
	.fields = vpci_fields, .nfields = sizeof vpci_fields / sizeof vpci_fields[0],
};
_Static_assert(VIRTIO_MAX_Q == 4, "vpci_state holds four queue vectors");

static void vpci_save(struct virtio_dev *d, struct state_w *w, uint32_t instance)
{
	struct vpci *t = d->tr_priv;
	struct vpci_state s;
	memset(&s, 0, sizeof s);
	s.dfsel = t->dfsel;
	s.gfsel = t->gfsel;
	s.qsel = t->qsel;
	s.msix_config = t->msix_config;
	s.qvec0 = t->qvec[0];
	s.qvec1 = t->qvec[1];
	s.qvec2 = t->qvec[2];
	s.qvec3 = t->qvec[3];
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		for (unsigned k = 0; k < 4; k++)
			pci_put32(s.msix + 16 * v + 4 * k, t->msix[v][k]);
	s.pba = t->pba;
	state_w_section(w, &vpci_desc, instance, &s);
	pci_dev_save(&t->pci, w, instance);
}

static uint16_t vector_ok(uint16_t v) { return v < VIRTIO_MSIX_VECS ? v : NO_VECTOR; }

static int vpci_load(struct virtio_dev *d, struct state_r *r, uint32_t instance)
{
	struct vpci *t = d->tr_priv;
	struct vpci_state s;
	if (state_r_section(r, &vpci_desc, instance, &s) || pci_dev_load(&t->pci, r, instance))
		return -1;
	t->dfsel = s.dfsel;
	t->gfsel = s.gfsel;
	t->qsel = s.qsel;
	t->msix_config = vector_ok(s.msix_config);
	t->qvec[0] = vector_ok(s.qvec0);
	t->qvec[1] = vector_ok(s.qvec1);
	t->qvec[2] = vector_ok(s.qvec2);
	t->qvec[3] = vector_ok(s.qvec3);
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		for (unsigned k = 0; k < 4; k++)
			t->msix[v][k] = pci_get32(s.msix + 16 * v + 4 * k);
	t->pba = s.pba & ((1u << VIRTIO_MSIX_VECS) - 1);
	return 0;
}

static const struct virtio_transport vpci_transport = {
	.name = "virtio-pci", .interrupt = vpci_interrupt, .reset = vpci_reset,
	.save = vpci_save, .load = vpci_load,
};

static void vpci_common_snapshot(struct vpci *t, uint8_t *s)
{
	struct virtio_dev *d = t->d;
	memset(s, 0, 0x40);
	pci_put32(s + 0x00, t->dfsel);
	pci_put32(s + 0x04, virtio_features_get(d, t->dfsel, false));
	pci_put32(s + 0x08, t->gfsel);
	pci_put32(s + 0x0c, virtio_features_get(d, t->gfsel, true));
	pci_put16(s + 0x10, t->msix_config);
	pci_put16(s + 0x12, (uint16_t)d->nq);
	s[0x14] = d->status;
	s[0x15] = d->cfg_gen;
	pci_put16(s + 0x16, t->qsel);
	if (t->qsel < d->nq) {
		const struct virtq *q = &d->vq[t->qsel];
		pci_put16(s + 0x18, q->size);
		pci_put16(s + 0x1a, t->qvec[t->qsel]);
		pci_put16(s + 0x1c, q->ready);
		pci_put16(s + 0x1e, t->qsel);
		pci_put32(s + 0x20, (uint32_t)q->desc_gpa);
		pci_put32(s + 0x24, (uint32_t)(q->desc_gpa >> 32));
		pci_put32(s + 0x28, (uint32_t)q->avail_gpa);
		pci_put32(s + 0x2c, (uint32_t)(q->avail_gpa >> 32));
		pci_put32(s + 0x30, (uint32_t)q->used_gpa);
		pci_put32(s + 0x34, (uint32_t)(q->used_gpa >> 32));
	}
}

/* One 32-bit half of a ring address at common-config offset off (0x20..0x37). */
static void vpci_queue_addr(struct vpci *t, unsigned off, uint32_t v)
{
	const struct virtq *q = &t->d->vq[t->qsel];
	int which = (int)(off - 0x20) / 8;
	uint64_t cur = which == 0 ? q->desc_gpa : which == 1 ? q->avail_gpa : q->used_gpa;
	if ((off - 0x20) % 8 == 0)
		cur = (cur & 0xffffffff00000000ULL) | v;
	else
		cur = (cur & 0xffffffffULL) | (uint64_t)v << 32;
	virtio_queue_set_addr(t->d, t->qsel, which, cur);
}

static void vpci_queue_write(struct vpci *t, unsigned off, uint32_t v)
{
	if (t->qsel >= t->d->nq)
		return;
	if (off == 0x1a)
		t->qvec[t->qsel] = v < VIRTIO_MSIX_VECS ? (uint16_t)v : NO_VECTOR;
	else if (off == 0x1c)
		virtio_queue_enable(t->d, (uint16_t)v == 1 ? t->qsel : -1);
	else if (off == 0x18)
		virtio_queue_set_size(t->d, t->qsel, (uint16_t)v);
	else if (off >= 0x20 && off < 0x38)
		vpci_queue_addr(t, off & ~3u, v);
}

static void vpci_common_write(struct vpci *t, unsigned off, uint64_t v, unsigned len)
{
	struct virtio_dev *d = t->d;
	if (len == 8 && off >= 0x20 && off < 0x38 && off % 8 == 0) {
		vpci_queue_write(t, off, (uint32_t)v);
		vpci_queue_write(t, off + 4, (uint32_t)(v >> 32));
		return;
	}
	uint32_t w = (uint32_t)v;
	switch (off) {
	case 0x00: t->dfsel = w; break;
	case 0x08: t->gfsel = w; break;
	case 0x0c: virtio_driver_features_set(d, t->gfsel, w); break;
	case 0x10: t->msix_config = w < VIRTIO_MSIX_VECS ? (uint16_t)w : NO_VECTOR; break;
	case 0x14: virtio_set_status(d, (uint8_t)w); break;
	case 0x16: t->qsel = (uint16_t)w; break;
	default:
		if (off >= 0x18 && off < 0x38)
			vpci_queue_write(t, off, w);
		else
			vmm_log_rl(LOGK_VIRTIO, "%s %s: write to read-only common config 0x%x",
				   d->ops->kind, d->id, off);
	}
}

static void vpci_msix_access(struct vpci *t, uint64_t off, uint8_t *data, unsigned len,
			     int is_write)
{
	uint8_t tbl[VIRTIO_MSIX_VECS * 16];
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		for (unsigned k = 0; k < 4; k++)
			pci_put32(tbl + 16 * v + 4 * k, t->msix[v][k]);
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
			t->msix[v][k] = pci_get32(tbl + 16 * v + 4 * k);
	vpci_flush_pending(t);
}

static void vpci_bar(struct pci_dev *pd, int bar, uint64_t off, uint8_t *data, unsigned len,
		     int is_write)
{
	struct vpci *t = pd->opaque;
	struct virtio_dev *d = t->d;
	uint64_t v = 0;
	(void)bar;
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)data[i] << (8 * i);
	pthread_mutex_lock(&d->lock);
	if (off < VIRTIO_OFF_ISR) {
		if (off + len > 0x38) {
			if (!is_write) memset(data, 0, len);
		} else if (is_write) {
			vpci_common_write(t, (unsigned)off, v, len);
		} else {
			uint8_t s[0x40];
			vpci_common_snapshot(t, s);
			memcpy(data, s + off, len);
		}
	} else if (off < VIRTIO_OFF_DEVCFG) {
		if (!is_write) {
			uint8_t isr = virtio_isr_take(d);
			memset(data, 0, len);
			if (off == VIRTIO_OFF_ISR)
				data[0] = isr;
		}
	} else if (off < VIRTIO_OFF_NOTIFY) {
		virtio_cfg_access(d, (unsigned)(off - VIRTIO_OFF_DEVCFG), data, len, is_write);
	} else if (off < VIRTIO_OFF_MSIX) {
		if (is_write)
			virtio_notify(d, (int)((off - VIRTIO_OFF_NOTIFY) / VIRTIO_NOTIFY_MULT));
		else
			memset(data, 0, len);
	} else if (off < VIRTIO_OFF_PBA) {
		vpci_msix_access(t, off - VIRTIO_OFF_MSIX, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len);
		if (off == VIRTIO_OFF_PBA)
			for (unsigned i = 0; i < len && i < 4; i++)
				data[i] = (uint8_t)(t->pba >> (8 * i));
	}
	pthread_mutex_unlock(&d->lock);
}

static void vpci_cfg_written(struct pci_dev *pd, unsigned off, unsigned len)
{
	struct vpci *t = pd->opaque;
	if (off + len > MSIX_CAP + 2 && off <= MSIX_CAP + 3) {
		pthread_mutex_lock(&t->d->lock);
		vpci_flush_pending(t);
		pthread_mutex_unlock(&t->d->lock);
	}
}

struct pci_dev *virtio_pci_attach(struct virtio_dev *d, void (*msi)(void *, uint64_t, uint32_t),
				  void *opaque)
{
	struct vpci *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->d = d;
	t->msi = msi;
	t->msi_opaque = opaque;
	for (unsigned v = 0; v < VIRTIO_MSIX_VECS; v++)
		t->msix[v][3] = 1;   /* masked at reset */
	pthread_mutex_lock(&d->lock);
	d->tr = &vpci_transport;
	d->tr_priv = t;
	vpci_reset(d);
	pthread_mutex_unlock(&d->lock);

	const struct virtio_ops *ops = d->ops;
	struct pci_dev *p = &t->pci;
	pci_dev_init(p, 0x1af4, (uint16_t)(0x1040 + ops->type), 1, ops->class_code, 0x1af4, 0x40);
	p->cfg[0x06] = 0x10;     /* status: capability list */
	p->cfg[0x34] = 0x40;
	uint8_t *c = p->cfg;
	vpci_cap(c, 0x40, 0x50, CAP_COMMON, VIRTIO_OFF_COMMON, 0x38, 16);
	vpci_cap(c, 0x50, 0x60, CAP_ISR, VIRTIO_OFF_ISR, 4, 16);
	vpci_cap(c, 0x60, 0x70, CAP_DEVICE, VIRTIO_OFF_DEVCFG, ops->cfg_size ? ops->cfg_size : 4, 16);
	vpci_cap(c, 0x70, MSIX_CAP, CAP_NOTIFY, VIRTIO_OFF_NOTIFY, VIRTIO_NOTIFY_MULT * (uint32_t)d->nq, 20);
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
	p->opaque = t;
	p->name = d->id;
	return p;
}

struct pci_dev *virtio_pci_function(struct virtio_dev *d)
{
	struct vpci *t = d->tr_priv;
	return &t->pci;
}

void virtio_pci_detach(struct virtio_dev *d)
{
	free(d->tr_priv);
	d->tr_priv = NULL;
	d->tr = NULL;
}
