/* blk.c: virtio-blk over a raw image file: read, write, flush (fdatasync),
 * discard (hole punching), get-id; read-only images refuse writes. Requests
 * outside the image get an I/O error status; malformed chains break the
 * device. I/O runs in the notifying vCPU thread. */
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define BLK_F_SEG_MAX (1ULL << 2)
#define BLK_F_RO (1ULL << 5)
#define BLK_F_BLK_SIZE (1ULL << 6)
#define BLK_F_FLUSH (1ULL << 9)
#define BLK_F_DISCARD (1ULL << 13)
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_T_DISCARD 11
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2
#define BLK_QSIZE 128
#define BLK_MAX_DISCARD_SEGS 16

struct blk {
	struct virtio_dev vd;
	int fd;
	bool ro;
	uint64_t capacity;        /* bytes, multiple of 512 */
	struct blk_stats st;
	struct iovec iov[VQ_MAX_SIZE];
};

static void blk_cfg_read(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	struct blk *b = d->priv;
	uint8_t c[60];
	memset(c, 0, sizeof(c));
	uint64_t sectors = b->capacity / 512;
	memcpy(c, &sectors, 8);
	uint32_t seg_max = BLK_QSIZE - 2, blk_size = 512, max_discard = 1u << 22,
		 discard_segs = BLK_MAX_DISCARD_SEGS, discard_align = 8;
	memcpy(c + 12, &seg_max, 4);
	memcpy(c + 20, &blk_size, 4);
	memcpy(c + 36, &max_discard, 4);
	memcpy(c + 40, &discard_segs, 4);
	memcpy(c + 44, &discard_align, 4);
	memcpy(data, c + off, len);
}

/* Data iovecs: skip `skip` bytes of src, take `len` bytes. Returns count. */
static unsigned blk_sub_iov(struct iovec *dst, const struct iovec *src, unsigned n,
			    size_t skip, size_t len)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		size_t take = src[i].iov_len - skip;
		if (take > len)
			take = len;
		dst[k++] = (struct iovec){ (uint8_t *)src[i].iov_base + skip, take };
		len -= take;
		skip = 0;
	}
	return k;
}

static int blk_range_ok(const struct blk *b, uint64_t sector, uint64_t len)
{
	return sector <= b->capacity / 512 && len <= b->capacity - sector * 512;
}

static uint8_t blk_rw(struct blk *b, struct vq_chain *c, int write, uint64_t sector,
		      uint32_t *written)
{
	uint64_t len = write ? c->out_len - 16 : c->in_len - 1;
	if (!blk_range_ok(b, sector, len))
		return BLK_S_IOERR;
	if (write && b->ro)
		return BLK_S_IOERR;
	unsigned n = write ? blk_sub_iov(b->iov, c->out, c->n_out, 16, len)
			   : blk_sub_iov(b->iov, c->in, c->n_in, 0, len);
	ssize_t r = len ? (write ? pwritev(b->fd, b->iov, (int)n, (off_t)(sector * 512))
				 : preadv(b->fd, b->iov, (int)n, (off_t)(sector * 512))) : 0;
	if (r < 0 || (uint64_t)r != len) {
		b->st.errors++;
		return BLK_S_IOERR;
	}
	if (write) {
		b->st.wr_ops++;
		b->st.wr_bytes += len;
	} else {
		b->st.rd_ops++;
		b->st.rd_bytes += len;
		*written = (uint32_t)len;
	}
	return BLK_S_OK;
}

static uint8_t blk_discard(struct blk *b, struct vq_chain *c)
{
	uint64_t n = (c->out_len - 16) / 16;
	if (b->ro || n == 0 || n > BLK_MAX_DISCARD_SEGS)
		return BLK_S_IOERR;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t seg[16];
		uint64_t sector;
		uint32_t count;
		iov_copy_from(c->out, c->n_out, 16 + 16 * i, seg, 16);
		memcpy(&sector, seg, 8);
		memcpy(&count, seg + 8, 4);
		if (!blk_range_ok(b, sector, (uint64_t)count * 512))
			return BLK_S_IOERR;
		if (count && fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       (off_t)(sector * 512), (off_t)count * 512) < 0 &&
		    errno != EOPNOTSUPP)
			return BLK_S_IOERR;
	}
	b->st.discard_ops++;
	return BLK_S_OK;
}

static uint8_t blk_request(struct blk *b, struct vq_chain *c, uint32_t type, uint64_t sector,
			   uint32_t *written)
{
	switch (type) {
	case BLK_T_IN: return blk_rw(b, c, 0, sector, written);
	case BLK_T_OUT: return blk_rw(b, c, 1, sector, written);
	case BLK_T_FLUSH:
		b->st.flush_ops++;
		return b->ro || fdatasync(b->fd) == 0 ? BLK_S_OK : BLK_S_IOERR;
	case BLK_T_GET_ID: {
		char id[20];
		memset(id, 0, sizeof(id));
		strncpy(id, b->vd.id, sizeof(id));
		size_t n = c->in_len - 1 < sizeof(id) ? c->in_len - 1 : sizeof(id);
		*written = (uint32_t)iov_copy_to(c->in, c->n_in, 0, id, n);
		return BLK_S_OK;
	}
	case BLK_T_DISCARD: return blk_discard(b, c);
	default: return BLK_S_UNSUPP;
	}
}

static void blk_notify(struct virtio_dev *d, int q)
{
	struct blk *b = d->priv;
	struct vq_chain *c = &d->chain;
	int done = 0;
	while (virtio_pop(d, q, c) > 0) {
		uint8_t hdr[16];
		if (c->in_len == 0 || iov_copy_from(c->out, c->n_out, 0, hdr, 16) != 16) {
			virtio_broken(d, "request without header or status byte (head %u)", c->head);
			break;
		}
		uint32_t type, written = 0;
		uint64_t sector;
		memcpy(&type, hdr, 4);
		memcpy(&sector, hdr + 8, 8);
		uint8_t status = blk_request(b, c, type, sector, &written);
		iov_copy_to(c->in, c->n_in, c->in_len - 1, &status, 1);
		if (vq_push(d->mem, &d->vq[q], c->head, written + 1) < 0) {
			virtio_broken(d, "used ring outside guest memory");
			break;
		}
		done++;
	}
	if (done)
		virtio_signal(d, q);
}

static const struct virtio_ops blk_ops = {
	.kind = "virtio-blk", .type = 2, .class_code = 0x018000, .cfg_size = 60,
	.cfg_read = blk_cfg_read, .notify = blk_notify,
};

struct virtio_dev *virtio_blk_create(const struct virtio_env *env, const struct cfg_disk *cd,
				     int fd, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		snprintf(err, errlen, "disk %s: not a regular file or block device", cd->id);
		return NULL;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	struct blk *b = calloc(1, sizeof(*b));
	if (!b || size < 0) {
		snprintf(err, errlen, "disk %s: %s", cd->id, b ? strerror(errno) : "out of memory");
		free(b);
		return NULL;
	}
	b->fd = fd;
	b->ro = cd->readonly;
	b->capacity = (uint64_t)size & ~511ULL;
	uint64_t f = BLK_F_SEG_MAX | BLK_F_BLK_SIZE | BLK_F_FLUSH |
		     (b->ro ? BLK_F_RO : BLK_F_DISCARD);
	virtio_dev_init(&b->vd, &blk_ops, b, cd->id, env->mem, f, 1, BLK_QSIZE);
	return &b->vd;
}

void virtio_blk_get_stats(struct virtio_dev *d, struct blk_stats *s)
{
	struct blk *b = d->priv;
	pthread_mutex_lock(&d->lock);
	*s = b->st;
	pthread_mutex_unlock(&d->lock);
}

void virtio_blk_destroy(struct virtio_dev *d)
{
	struct blk *b = d->priv;
	close(b->fd);
	free(b);
}
