/* balloon.c: virtio-balloon: the host sets a target, the guest inflates
 * (pages given back with MADV_DONTNEED) or deflates, and reports memory
 * statistics through the stats queue (the buffer is held until the host
 * wants fresh figures). */
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BALLOON_F_STATS_VQ (1ULL << 1)
#define Q_INFLATE 0
#define Q_DEFLATE 1
#define Q_STATS 2

struct balloon {
	struct virtio_dev vd;
	uint32_t target_pages, actual_pages;
	uint64_t mem_pages;
	uint64_t stats[10];
	bool stats_held;
	uint16_t stats_head;
};

static void balloon_cfg_read(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	struct balloon *b = d->priv;
	uint8_t c[8];
	memcpy(c, &b->target_pages, 4);
	memcpy(c + 4, &b->actual_pages, 4);
	memcpy(data, c + off, len);
}

static void balloon_cfg_write(struct virtio_dev *d, unsigned off, const uint8_t *data, unsigned len)
{
	struct balloon *b = d->priv;
	uint8_t c[8];
	memcpy(c, &b->target_pages, 4);
	memcpy(c + 4, &b->actual_pages, 4);
	if (off < 4)
		return;   /* num_pages is the host's */
	memcpy(c + off, data, len);
	memcpy(&b->actual_pages, c + 4, 4);
}

static void balloon_inflate(struct virtio_dev *d, struct vq_chain *c)
{
	for (uint64_t off = 0; off + 4 <= c->out_len; off += 4) {
		uint32_t pfn;
		iov_copy_from(c->out, c->n_out, off, &pfn, 4);
		void *p = vmm_gpa_ptr(d->mem, (uint64_t)pfn << 12, 4096);
		if (!p) {
			vmm_log_rl(LOGK_VIRTIO, "virtio-balloon: pfn 0x%x outside guest memory ignored", pfn);
			continue;
		}
		madvise(p, 4096, MADV_DONTNEED);
	}
}

static void balloon_take_stats(struct balloon *b, struct vq_chain *c)
{
	for (uint64_t off = 0; off + 10 <= c->out_len; off += 10) {
		uint8_t e[10];
		uint16_t tag;
		uint64_t val;
		iov_copy_from(c->out, c->n_out, off, e, 10);
		memcpy(&tag, e, 2);
		memcpy(&val, e + 2, 8);
		if (tag < 10)
			b->stats[tag] = val;
	}
	b->stats_held = true;
	b->stats_head = c->head;
}

static void balloon_notify(struct virtio_dev *d, int q)
{
	struct balloon *b = d->priv;
	struct vq_chain *c = &d->chain;
	int done = 0;
	while (virtio_pop(d, q, c) > 0) {
		if (q == Q_STATS) {
			if (b->stats_held)   /* a second buffer: return the older one */
				vq_push(d->mem, &d->vq[q], b->stats_head, 0);
			balloon_take_stats(b, c);
			continue;
		}
		if (q == Q_INFLATE)
			balloon_inflate(d, c);
		if (vq_push(d->mem, &d->vq[q], c->head, 0) < 0) {
			virtio_broken(d, "used ring outside guest memory");
			break;
		}
		done++;
	}
	if (done)
		virtio_signal(d, q);
}

static void balloon_reset(struct virtio_dev *d)
{
	struct balloon *b = d->priv;
	b->stats_held = false;
	b->actual_pages = 0;
}

/* Saved state: the target the host set, what the guest reports, the last
 * statistics and the statistics buffer the device still holds. */
struct balloon_state {
	uint32_t target_pages, actual_pages;
	uint8_t stats[10 * 8];   /* the ten counters, little-endian */
	bool stats_held;
	uint16_t stats_head;
};
#define BS(type, m) STATE_FIELD(struct balloon_state, type, m)
static const struct state_field balloon_fields[] = {
	BS(ST_U32, target_pages), BS(ST_U32, actual_pages), BS(ST_BYTES, stats), BS(ST_BOOL, stats_held),
	BS(ST_U16, stats_head),
};
static const struct state_desc balloon_desc = {
	.name = "virtio-balloon", .version = 1, .min_version = 1,
	.fields = balloon_fields, .nfields = sizeof balloon_fields / sizeof balloon_fields[0],
};

static void balloon_save(struct virtio_dev *d, struct state_w *w, uint32_t instance)
{
	struct balloon *b = d->priv;
	struct balloon_state s;
	memset(&s, 0, sizeof s);
	s.target_pages = b->target_pages;
	s.actual_pages = b->actual_pages;
	for (unsigned i = 0; i < 10; i++)
		state_put_le(s.stats + 8 * i, b->stats[i], 8);
	s.stats_held = b->stats_held;
	s.stats_head = b->stats_head;
	state_w_section(w, &balloon_desc, instance, &s);
}

static int balloon_load(struct virtio_dev *d, struct state_r *r, uint32_t instance)
{
	struct balloon *b = d->priv;
	struct balloon_state s;
	if (state_r_section(r, &balloon_desc, instance, &s))
		return -1;
	if (s.target_pages > b->mem_pages || (s.stats_held && s.stats_head >= d->vq[Q_STATS].size)) {
		snprintf(r->err, sizeof r->err, "virtio-balloon: saved state: target %u pages or held buffer %u "
			 "does not fit this device", s.target_pages, s.stats_head);
		return -1;
	}
	b->target_pages = s.target_pages;
	b->actual_pages = s.actual_pages;
	for (unsigned i = 0; i < 10; i++)
		b->stats[i] = state_get_le(s.stats + 8 * i, 8);
	b->stats_held = s.stats_held;
	b->stats_head = s.stats_head;
	return 0;
}

static const struct virtio_ops balloon_ops = {
	.kind = "virtio-balloon", .type = 5, .class_code = 0x050000, .cfg_size = 8,
	.cfg_read = balloon_cfg_read, .cfg_write = balloon_cfg_write,
	.notify = balloon_notify, .reset = balloon_reset,
	.save = balloon_save, .load = balloon_load,
};

struct virtio_dev *virtio_balloon_create(const struct virtio_env *env, uint64_t mem_bytes,
					 char *err, size_t errlen)
{
	struct balloon *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "virtio-balloon: out of memory");
		return NULL;
	}
	b->mem_pages = mem_bytes >> 12;
	virtio_dev_init(&b->vd, &balloon_ops, b, "balloon0", env->mem, BALLOON_F_STATS_VQ, 3, 128);
	return &b->vd;
}

void virtio_balloon_set_target(struct virtio_dev *d, uint64_t target_mib)
{
	struct balloon *b = d->priv;
	pthread_mutex_lock(&d->lock);
	/* target is the guest's usable memory; num_pages is what it must give back */
	uint64_t keep = target_mib << 8;
	b->target_pages = (uint32_t)(keep >= b->mem_pages ? 0 : b->mem_pages - keep);
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_config_changed(d);
	pthread_mutex_unlock(&d->lock);
}

void virtio_balloon_get_stats(struct virtio_dev *d, struct balloon_stats *s)
{
	struct balloon *b = d->priv;
	pthread_mutex_lock(&d->lock);
	memset(s, 0, sizeof(*s));
	s->target_pages = b->mem_pages - b->target_pages;
	s->actual_pages = b->mem_pages - b->actual_pages;
	s->swap_in = b->stats[0]; s->swap_out = b->stats[1];
	s->major_faults = b->stats[2]; s->minor_faults = b->stats[3];
	s->free_memory = b->stats[4]; s->total_memory = b->stats[5];
	s->available_memory = b->stats[6]; s->disk_caches = b->stats[7];
	if (b->stats_held && virtio_queue_live(d, Q_STATS)) {
		b->stats_held = false;
		if (vq_push(d->mem, &d->vq[Q_STATS], b->stats_head, 0) == 0)
			virtio_signal(d, Q_STATS);
	}
	pthread_mutex_unlock(&d->lock);
}
