/* init_logring.c: a byte ring of variable-size log records with sequence
 * numbers; the oldest records make room for new ones. */
#include "init_logring.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rechdr {
	uint32_t len;      /* whole record incl. header */
	uint8_t prio, taglen;
	uint16_t msglen;
	uint64_t seq;
	int64_t time_ms;
};

int logring_init(struct logring *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (cap < sizeof(struct rechdr) + LOG_TAG_MAX + LOG_MSG_MAX)
		cap = sizeof(struct rechdr) + LOG_TAG_MAX + LOG_MSG_MAX;
	r->buf = malloc(cap);
	if (!r->buf)
		return -1;
	r->cap = cap;
	r->first_seq = r->next_seq = 1;
	return 0;
}

void logring_free(struct logring *r)
{
	free(r->buf);
	r->buf = NULL;
}

static void ring_put(struct logring *r, size_t pos, const void *src, size_t n)
{
	size_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->buf + pos, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void ring_get(const struct logring *r, size_t pos, void *dst, size_t n)
{
	size_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(dst, r->buf + pos, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

static void drop_oldest(struct logring *r)
{
	struct rechdr h;
	ring_get(r, r->tail, &h, sizeof h);
	r->tail = (r->tail + h.len) % r->cap;
	r->used -= h.len;
	r->first_seq++;
}

uint64_t logring_add(struct logring *r, int64_t time_ms, int prio, const char *tag,
		     const char *msg, size_t len)
{
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	if (len > LOG_MSG_MAX)
		len = LOG_MSG_MAX;
	size_t tl = strlen(tag);
	if (tl > LOG_TAG_MAX)
		tl = LOG_TAG_MAX;
	struct rechdr h = { .len = (uint32_t)(sizeof h + tl + len), .prio = (uint8_t)prio,
			    .taglen = (uint8_t)tl, .msglen = (uint16_t)len,
			    .seq = r->next_seq, .time_ms = time_ms };
	while (r->used + h.len > r->cap)
		drop_oldest(r);
	ring_put(r, r->head, &h, sizeof h);
	ring_put(r, (r->head + sizeof h) % r->cap, tag, tl);
	ring_put(r, (r->head + sizeof h + tl) % r->cap, msg, len);
	r->head = (r->head + h.len) % r->cap;
	r->used += h.len;
	return r->next_seq++;
}

void logring_cursor_start(const struct logring *r, struct logcursor *c)
{
	c->seq = r->first_seq;
	c->pos = r->tail;
}

void logring_cursor_end(const struct logring *r, struct logcursor *c)
{
	c->seq = r->next_seq;
	c->pos = r->head;
}

int logring_read(const struct logring *r, struct logcursor *c, struct logrec *out, uint64_t *lost)
{
	if (lost)
		*lost = 0;
	if (c->seq < r->first_seq) {
		if (lost)
			*lost = r->first_seq - c->seq;
		logring_cursor_start(r, c);
	}
	if (c->seq >= r->next_seq)
		return 0;
	struct rechdr h;
	ring_get(r, c->pos, &h, sizeof h);
	out->seq = h.seq;
	out->time_ms = h.time_ms;
	out->prio = h.prio;
	ring_get(r, (c->pos + sizeof h) % r->cap, out->tag, h.taglen);
	out->tag[h.taglen] = '\0';
	ring_get(r, (c->pos + sizeof h + h.taglen) % r->cap, out->msg, h.msglen);
	out->msg[h.msglen] = '\0';
	out->msglen = h.msglen;
	c->pos = (c->pos + h.len) % r->cap;
	c->seq = h.seq + 1;
	return 1;
}

size_t logrec_format(const struct logrec *rec, char *out, size_t n)
{
	int k = snprintf(out, n, "%llu %lld %d %s ", (unsigned long long)rec->seq,
			 (long long)rec->time_ms, rec->prio, rec->tag[0] ? rec->tag : "-");
	/* the header, the newline and the NUL must fit */
	if (k < 0 || (size_t)k + 2 > n)
		return 0;
	size_t o = (size_t)k;
	for (size_t i = 0; i < rec->msglen && o + 2 < n; i++) {
		unsigned char ch = (unsigned char)rec->msg[i];
		out[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	out[o++] = '\n';
	out[o] = '\0';
	return o;
}

void logtag_intake(char *out, const char *claim, int trusted, unsigned uid)
{
	if (trusted)
		snprintf(out, LOG_TAG_MAX + 1, "%s", claim[0] ? claim : "unknown");
	else
		snprintf(out, LOG_TAG_MAX + 1, "uid%u:%s", uid, claim[0] ? claim : "unknown");
}
