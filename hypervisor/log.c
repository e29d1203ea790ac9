/* log.c: stderr log lines with the VM id prefix, written with one write()
 * each so lines from several threads never interleave; rate limiting for
 * guest-triggered messages. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_id[72] = "?";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { time_t sec; unsigned count, dropped; } log_rate[LOGK_COUNT];

#define LOG_RATE_PER_SEC 10

void log_set_id(const char *id)
{
	snprintf(log_id, sizeof(log_id), "%s", id);
}

static void log_vwrite(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "wafer-vmm[%s]: ", log_id);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = strlen(line);
	line[len++] = '\n';
	ssize_t r = write(STDERR_FILENO, line, len);
	(void)r;
}

void vmm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(fmt, ap);
	va_end(ap);
}

void vmm_log_rl(enum log_kind kind, const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned dropped = 0;
	int emit = 0;
	pthread_mutex_lock(&log_lock);
	if (log_rate[kind].sec != ts.tv_sec) {
		dropped = log_rate[kind].dropped;
		log_rate[kind].sec = ts.tv_sec;
		log_rate[kind].count = 0;
		log_rate[kind].dropped = 0;
	}
	if (log_rate[kind].count < LOG_RATE_PER_SEC) {
		log_rate[kind].count++;
		emit = 1;
	} else {
		log_rate[kind].dropped++;
	}
	pthread_mutex_unlock(&log_lock);
	if (dropped)
		vmm_log("%u similar messages suppressed", dropped);
	if (emit) {
		va_list ap;
		va_start(ap, fmt);
		log_vwrite(fmt, ap);
		va_end(ap);
	}
}
