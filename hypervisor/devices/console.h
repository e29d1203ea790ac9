/* console.h: the bounded console output ring. Bytes carry absolute offsets
 * (total written so far), so readers can start anywhere still in the ring
 * and follow without losing their place. */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct console_ring {
	pthread_mutex_t lock;
	uint8_t *buf;
	size_t size;
	uint64_t end;          /* absolute offset one past the newest byte */
	void (*notify)(void *opaque);   /* called (unlocked) after new bytes */
	void *opaque;
};

int console_init(struct console_ring *c, size_t size);
void console_free(struct console_ring *c);
void console_put(struct console_ring *c, const uint8_t *buf, size_t len);
/* Oldest absolute offset still available. */
uint64_t console_start(struct console_ring *c);
uint64_t console_end(struct console_ring *c);
/* Copy bytes from absolute *pos (clamped up to the oldest available; the
 * number of skipped bytes is added to *lost if lost != NULL). Returns bytes
 * copied (0 when *pos is at the end); advances *pos. */
size_t console_get(struct console_ring *c, uint64_t *pos, uint8_t *out, size_t max,
		   uint64_t *lost);
#endif
