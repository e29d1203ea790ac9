/* wlog.c: the logging call and the rate limiter (see wlog.h). One write(2)
 * per line so concurrent threads and processes do not interleave lines. */
#include "wlog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *wlog_prog = "wafer";
static int wlog_fd = 2;
static unsigned wlog_flags;
static enum wlog_level wlog_max = WLOG_INFO;
static pthread_mutex_t wlog_rl_lock = PTHREAD_MUTEX_INITIALIZER;

void wlog_init(const char *prog, int fd, unsigned flags)
{
	if (prog)
		wlog_prog = prog;
	wlog_fd = fd >= 0 ? fd : 2;
	wlog_flags = flags;
}

void wlog_set_level(enum wlog_level max)
{
	wlog_max = max;
}

int wlog_parse_level(const char *s)
{
	static const struct { const char *n; enum wlog_level l; } t[] = {
		{ "err", WLOG_ERR }, { "error", WLOG_ERR }, { "warn", WLOG_WARN },
		{ "warning", WLOG_WARN }, { "info", WLOG_INFO }, { "debug", WLOG_DEBUG },
	};
	for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0)
			return (int)t[i].l;
	return -1;
}

static const char *level_name(enum wlog_level l)
{
	switch (l) {
	case WLOG_ERR: return "error";
	case WLOG_WARN: return "warning";
	case WLOG_INFO: return "info";
	default: return "debug";
	}
}

uint64_t wlog_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wlog_v(enum wlog_level level, const char *subsys, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n = 0;
	if (wlog_flags & WLOG_TIMESTAMP) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	int k = snprintf(line + n, sizeof line - n, "%s: %s %s: ", wlog_prog,
			 level_name(level), subsys ? subsys : "-");
	if (k > 0)
		n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (k > 0)
		n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
	/* one line per call: newlines in the message become spaces */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(wlog_fd, line, n);
	(void)w;
}

void wlog(enum wlog_level level, const char *subsys, const char *fmt, ...)
{
	if (level > wlog_max)
		return;
	va_list ap;
	va_start(ap, fmt);
	wlog_v(level, subsys, fmt, ap);
	va_end(ap);
}

bool wlog_rl_allow(struct wlog_ratelimit *rl, unsigned *suppressed)
{
	uint64_t now = wlog_now_ms();
	bool ok;
	pthread_mutex_lock(&wlog_rl_lock);
	if (rl->window_start_ms == 0 || now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now ? now : 1;
		rl->in_window = 0;
	}
	ok = rl->in_window < rl->burst;
	if (ok) {
		rl->in_window++;
		if (suppressed)
			*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&wlog_rl_lock);
	return ok;
}

void wlog_rl(struct wlog_ratelimit *rl, enum wlog_level level, const char *subsys,
	     const char *fmt, ...)
{
	unsigned sup = 0;
	if (level > wlog_max || !wlog_rl_allow(rl, &sup))
		return;
	if (sup)
		wlog(level, subsys, "%u similar messages suppressed", sup);
	va_list ap;
	va_start(ap, fmt);
	wlog_v(level, subsys, fmt, ap);
	va_end(ap);
}
