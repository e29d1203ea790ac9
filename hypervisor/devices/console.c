/* console.c: the console output ring buffer (bounded, absolute offsets). */
#include "console.h"

#include <stdlib.h>
#include <string.h>

int console_init(struct console_ring *c, size_t size)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->buf = malloc(size);
	if (!c->buf)
		return -1;
	c->size = size;
	return 0;
}

void console_free(struct console_ring *c)
{
	free(c->buf);
	c->buf = NULL;
}

void console_put(struct console_ring *c, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (len > c->size) {          /* only the tail survives */
		c->end += len - c->size;
		buf += len - c->size;
		len = c->size;
	}
	size_t at = (size_t)(c->end % c->size);
	size_t first = c->size - at < len ? c->size - at : len;
	memcpy(c->buf + at, buf, first);
	memcpy(c->buf, buf + first, len - first);
	c->end += len;
	pthread_mutex_unlock(&c->lock);
	if (c->notify)
		c->notify(c->opaque);
}

static uint64_t console_start_locked(const struct console_ring *c)
{
	return c->end > c->size ? c->end - c->size : 0;
}

uint64_t console_start(struct console_ring *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t s = console_start_locked(c);
	pthread_mutex_unlock(&c->lock);
	return s;
}

uint64_t console_end(struct console_ring *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t e = c->end;
	pthread_mutex_unlock(&c->lock);
	return e;
}

size_t console_get(struct console_ring *c, uint64_t *pos, uint8_t *out, size_t max,
		   uint64_t *lost)
{
	pthread_mutex_lock(&c->lock);
	uint64_t start = console_start_locked(c);
	if (*pos < start) {
		if (lost)
			*lost += start - *pos;
		*pos = start;
	}
	if (*pos > c->end)
		*pos = c->end;
	uint64_t avail = c->end - *pos;
	size_t n = avail < max ? (size_t)avail : max;
	for (size_t done = 0; done < n;) {
		size_t at = (size_t)((*pos + done) % c->size);
		size_t chunk = c->size - at < n - done ? c->size - at : n - done;
		memcpy(out + done, c->buf + at, chunk);
		done += chunk;
	}
	*pos += n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
