/* init_watchdog.c: /dev/watchdog handling with the Linux watchdog ioctls. */
#include "init_watchdog.h"
#include "init_log.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int g_wd = -1;

int watchdog_open(int timeout_s)
{
	if (access("/dev/watchdog", F_OK) != 0)
		return 0;
	g_wd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
	if (g_wd < 0) {
		ilog(LOG_WARNING, "watchdog: open: %s", strerror(errno));
		return 0;
	}
	int t = timeout_s;
	if (ioctl(g_wd, WDIOC_SETTIMEOUT, &t) != 0)
		ilog(LOG_WARNING, "watchdog: cannot set a %d s timeout: %s", timeout_s, strerror(errno));
	ioctl(g_wd, WDIOC_GETTIMEOUT, &t);
	ilog(LOG_INFO, "watchdog: armed, %d s timeout", t);
	return 1;
}

void watchdog_pet(void)
{
	if (g_wd >= 0 && ioctl(g_wd, WDIOC_KEEPALIVE, 0) != 0 && write(g_wd, "k", 1) < 0)
		ilog(LOG_WARNING, "watchdog: keepalive: %s", strerror(errno));
}

void watchdog_close(int disarm)
{
	if (g_wd < 0)
		return;
	if (disarm && write(g_wd, "V", 1) < 0) { /* no magic close: it may fire */ }
	if (disarm)
		close(g_wd);
	else
		watchdog_pet();
}
