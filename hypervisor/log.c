/* log.c: the VMM's log lines through the project's logging call (lib/wlog):
 * "wafer-vmm[ID]: LEVEL vmm: message" on stderr, and one rate limiter per
 * kind for messages a guest can trigger (10 per second, then a summary). */
#include "log.h"
#include "wlog.h"

#include <stdarg.h>
#include <stdio.h>

static char log_prog[80] = "wafer-vmm";
static struct wlog_ratelimit log_rate[LOGK_COUNT] = {
	WLOG_RATELIMIT_INIT(1000, 10), WLOG_RATELIMIT_INIT(1000, 10), WLOG_RATELIMIT_INIT(1000, 10),
	WLOG_RATELIMIT_INIT(1000, 10), WLOG_RATELIMIT_INIT(1000, 10), WLOG_RATELIMIT_INIT(1000, 10),
};
static const char *const log_subsys[LOGK_COUNT] = { "pio", "mmio", "pci", "virtio", "uart", "vmm" };

void log_set_id(const char *id)
{
	snprintf(log_prog, sizeof(log_prog), "wafer-vmm[%s]", id);
	wlog_init(log_prog, -1, 0);
}

void vmm_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wlog(WLOG_INFO, "vmm", "%s", msg);
}

void vmm_log_rl(enum log_kind kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wlog_rl(&log_rate[kind], WLOG_WARN, log_subsys[kind], "%s", msg);
}
