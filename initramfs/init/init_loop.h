/* init_loop.h: init's single-threaded event loop (poll over registered fds)
 * and its clocks. */
#ifndef INIT_LOOP_H
#define INIT_LOOP_H
#include <stdint.h>

typedef void (*loop_fn)(int fd, short revents, void *ctx);

/* Register fd for events (POLLIN/POLLOUT); returns 0 or -1 when full. */
int loop_add(int fd, short events, loop_fn fn, void *ctx);
void loop_set_events(int fd, short events);
/* Unregister (safe from inside a callback); does not close fd. */
void loop_del(int fd);
/* Wait at most timeout_ms for events and dispatch them. */
void loop_once(int timeout_ms);
int64_t mono_ms(void);
int64_t wall_ms(void);
#endif
