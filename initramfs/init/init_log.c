/* init_log.c: writes init's messages to /dev/kmsg as "wafer-init: ..." with a
 * syslog priority, so they reach the ring through the kernel log. */
#include "init_log.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int kmsg_fd = -1;

void ilog_open(void)
{
	if (kmsg_fd >= 0)
		return;
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	/* Userspace writes to /dev/kmsg are rate limited by default: lift it for
	 * init, whose messages are few but all matter. */
	int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "on\n", 3) < 0) { /* older kernels: keep the limit */ }
		close(fd);
	}
}

void ilog(int prio, const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "<%d>wafer-init: ", LOG_DAEMON | (prio & 7));
	if (n < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + ((size_t)m < sizeof buf - (size_t)n - 1 ? (size_t)m : sizeof buf - (size_t)n - 2);
	buf[len++] = '\n';
	if (kmsg_fd >= 0 && write(kmsg_fd, buf, len) >= 0)
		return;
	/* No kernel log yet: the console is all there is. */
	const char *text = strchr(buf, '>') + 1;
	if (write(2, text, len - (size_t)(text - buf)) < 0) { /* nowhere else to go */ }
}
