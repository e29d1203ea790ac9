/* init_loop.c: a small poll(2) dispatcher. Entries removed during dispatch
 * are marked and compacted afterwards, so callbacks may add and remove. */
#include "init_loop.h"
#include <errno.h>
#include <poll.h>
#include <time.h>

#define LOOP_MAX 256

struct entry { loop_fn fn; void *ctx; };
static struct pollfd g_pfd[LOOP_MAX];
static struct entry g_ent[LOOP_MAX];
static int g_n;

int loop_add(int fd, short events, loop_fn fn, void *ctx)
{
	if (g_n >= LOOP_MAX)
		return -1;
	g_pfd[g_n] = (struct pollfd){ .fd = fd, .events = events };
	g_ent[g_n] = (struct entry){ fn, ctx };
	g_n++;
	return 0;
}

void loop_set_events(int fd, short events)
{
	for (int i = 0; i < g_n; i++)
		if (g_pfd[i].fd == fd)
			g_pfd[i].events = events;
}

void loop_del(int fd)
{
	for (int i = 0; i < g_n; i++)
		if (g_pfd[i].fd == fd) {
			g_pfd[i].fd = -1;
			g_ent[i].fn = 0;
		}
}

static void compact(void)
{
	int o = 0;
	for (int i = 0; i < g_n; i++) {
		if (!g_ent[i].fn)
			continue;
		g_pfd[o] = g_pfd[i];
		g_ent[o++] = g_ent[i];
	}
	g_n = o;
}

void loop_once(int timeout_ms)
{
	int n = g_n;
	if (poll(g_pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		return;
	for (int i = 0; i < n; i++) {
		short re = g_pfd[i].revents;
		g_pfd[i].revents = 0;
		if (re && g_ent[i].fn && g_pfd[i].fd >= 0)
			g_ent[i].fn(g_pfd[i].fd, re, g_ent[i].ctx);
	}
	compact();
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
int64_t wall_ms(void) { return clock_ms(CLOCK_REALTIME); }
