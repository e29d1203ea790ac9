/* wlog.h: the project's one logging call. Lines go to stderr (which wafer-init
 * collects into its log ring) as "<prog>: <level> <subsys>: <message>", with an
 * optional timestamp prefix for programs run by hand. A small rate limiter
 * keeps a hostile peer from flooding the log. */
#ifndef WAFER_WLOG_H
#define WAFER_WLOG_H
#include <stdbool.h>
#include <stdint.h>

enum wlog_level { WLOG_ERR = 3, WLOG_WARN = 4, WLOG_INFO = 6, WLOG_DEBUG = 7 };

#define WLOG_TIMESTAMP 1u  /* prefix each line with UTC ISO-8601 time */

/* prog: program name in every line; fd: where to write (-1: stderr). */
void wlog_init(const char *prog, int fd, unsigned flags);
void wlog_set_level(enum wlog_level max); /* lines above max are dropped */
/* Parses "err", "warn", "info", "debug"; returns -1 if unknown. */
int wlog_parse_level(const char *s);
void wlog(enum wlog_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allows `burst` events per `interval_ms`; beyond that wlog_rl_allow returns
 * false and counts the suppressed events, reported by the next allowed line. */
struct wlog_ratelimit {
	unsigned interval_ms, burst;
	uint64_t window_start_ms;
	unsigned in_window;
	unsigned suppressed;
};
#define WLOG_RATELIMIT_INIT(ms, n) { (ms), (n), 0, 0, 0 }
bool wlog_rl_allow(struct wlog_ratelimit *rl, unsigned *suppressed);
/* Log through a rate limiter (thread-safe). */
void wlog_rl(struct wlog_ratelimit *rl, enum wlog_level level, const char *subsys,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
uint64_t wlog_now_ms(void); /* CLOCK_MONOTONIC in milliseconds */
#endif
