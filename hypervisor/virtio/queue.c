/* queue.c: split virtqueue processing with validation of everything the
 * guest controls: ring addresses, avail index jumps, descriptor indices,
 * chain loops and length, descriptor order, address ranges. */
#include "queue.h"

#include <stdio.h>
#include <string.h>

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4

struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

void vq_reset(struct virtq *q, uint16_t max_size)
{
	memset(q, 0, sizeof(*q));
	q->max_size = max_size;
	q->size = max_size;
}

int vq_validate(const struct guest_mem *m, const struct virtq *q, char *err, size_t errlen)
{
	if (q->size == 0 || q->size > q->max_size || (q->size & (q->size - 1))) {
		snprintf(err, errlen, "queue size %u invalid (max %u, power of two)", q->size, q->max_size);
		return -1;
	}
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
		snprintf(err, errlen, "misaligned ring addresses");
		return -1;
	}
	if (!vmm_gpa_ptr(m, q->desc_gpa, 16ull * q->size) ||
	    !vmm_gpa_ptr(m, q->avail_gpa, 6 + 2ull * q->size) ||
	    !vmm_gpa_ptr(m, q->used_gpa, 6 + 8ull * q->size)) {
		snprintf(err, errlen, "ring outside guest memory (desc 0x%llx avail 0x%llx used 0x%llx)",
			 (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
			 (unsigned long long)q->used_gpa);
		return -1;
	}
	return 0;
}

static uint16_t ld16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static int vq_read_desc(const struct guest_mem *m, const struct virtq *q, uint16_t i,
			struct vring_desc *d)
{
	const uint8_t *p = vmm_gpa_ptr(m, q->desc_gpa + 16ull * i, 16);
	if (!p)
		return -1;
	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
	return 0;
}

static int vq_walk(const struct guest_mem *m, const struct virtq *q, uint16_t head,
		   struct vq_chain *c, char *err, size_t errlen)
{
	uint16_t i = head;
	uint64_t total = 0;
	for (unsigned count = 0;; count++) {
		struct vring_desc d;
		if (count >= q->size) {
			snprintf(err, errlen, "descriptor chain loop or longer than the queue (head %u)", head);
			return -1;
		}
		if (i >= q->size || vq_read_desc(m, q, i, &d) < 0) {
			snprintf(err, errlen, "descriptor index %u out of range (size %u)", i, q->size);
			return -1;
		}
		if (d.flags & VRING_DESC_F_INDIRECT) {
			snprintf(err, errlen, "indirect descriptor not negotiated (desc %u)", i);
			return -1;
		}
		total += d.len;
		if (total > VQ_MAX_CHAIN_BYTES) {
			snprintf(err, errlen, "descriptor chain longer than %u bytes", VQ_MAX_CHAIN_BYTES);
			return -1;
		}
		void *p = d.len ? vmm_gpa_ptr(m, d.addr, d.len) : NULL;
		if (d.len && !p) {
			snprintf(err, errlen, "descriptor %u buffer 0x%llx+%u outside guest memory",
				 i, (unsigned long long)d.addr, d.len);
			return -1;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			c->in[c->n_in++] = (struct iovec){ p, d.len };
			c->in_len += d.len;
		} else {
			if (c->n_in) {
				snprintf(err, errlen, "device-readable descriptor %u after a writable one", i);
				return -1;
			}
			c->out[c->n_out++] = (struct iovec){ p, d.len };
			c->out_len += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(const struct guest_mem *m, struct virtq *q, struct vq_chain *c,
	   char *err, size_t errlen)
{
	const uint8_t *avail = vmm_gpa_ptr(m, q->avail_gpa, 6 + 2ull * q->size);
	if (!q->ready || !avail) {
		snprintf(err, errlen, "queue not ready or avail ring outside guest memory");
		return -1;
	}
	uint16_t idx = __atomic_load_n((const uint16_t *)(const void *)(avail + 2), __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size) {
		snprintf(err, errlen, "avail index jumped from %u to %u (queue size %u)",
			 q->last_avail, idx, q->size);
		return -1;
	}
	uint16_t head = ld16(avail + 4 + 2 * (q->last_avail % q->size));
	memset(c, 0, offsetof(struct vq_chain, out));
	c->head = head;
	c->out_len = c->in_len = 0;
	if (head >= q->size) {
		snprintf(err, errlen, "avail ring head %u out of range (size %u)", head, q->size);
		return -1;
	}
	if (vq_walk(m, q, head, c, err, errlen) < 0)
		return -1;
	q->last_avail++;
	return 1;
}

int vq_push(const struct guest_mem *m, struct virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *used = vmm_gpa_ptr(m, q->used_gpa, 6 + 8ull * q->size);
	if (!used)
		return -1;
	uint8_t *e = used + 4 + 8 * (q->used_idx % q->size);
	uint32_t id = head;
	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(void *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool vq_should_notify(const struct guest_mem *m, const struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	const uint8_t *avail = vmm_gpa_ptr(m, q->avail_gpa, 2);
	return !avail || !(ld16(avail) & 1);
}

/* One walk for both directions: to_iov copies buf into the iovec. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off, uint8_t *buf, size_t len, int to_iov)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - off;
		if (k > len - done)
			k = len - done;
		uint8_t *at = (uint8_t *)iov[i].iov_base + off;
		if (to_iov)
			memcpy(at, buf + done, k);
		else
			memcpy(buf + done, at, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t iov_copy_from(const struct iovec *iov, unsigned n, size_t off, void *dst, size_t len)
{
	return iov_copy(iov, n, off, dst, len, 0);
}

size_t iov_copy_to(const struct iovec *iov, unsigned n, size_t off, const void *src, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)src, len, 1);
}
