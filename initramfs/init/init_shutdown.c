/* init_shutdown.c: the orderly end: services stopped (SIGTERM, grace, then
 * SIGKILL), every other process ended, filesystems synced and unmounted,
 * then reboot(2). Also the fatal path, which never drops to a shell. */
#include "init_shutdown.h"
#include "init_console.h"
#include "init_log.h"
#include "init_mounts.h"
#include "init_services.h"
#include "init_state.h"
#include "init_watchdog.h"
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FATAL_DELAY_S 30
static enum shutdown_kind g_pending;

void shutdown_request(enum shutdown_kind k, const char *why)
{
	if (g_pending != SHUTDOWN_NONE)
		return;
	g_pending = k;
	ilog(LOG_NOTICE, "%s requested (%s)", k == SHUTDOWN_REBOOT ? "reboot" : "poweroff", why);
}

enum shutdown_kind shutdown_pending(void)
{
	return g_pending;
}

/* End every process left (VMMs, strays): SIGTERM, up to ms, then SIGKILL. */
static void kill_everything(int ms)
{
	kill(-1, SIGTERM);
	for (int waited = 0; waited < ms; waited += 100) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-1, 0) != 0 && errno == ESRCH)
			return;
		usleep(100000);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

void shutdown_now(enum shutdown_kind k)
{
	const char *what = k == SHUTDOWN_POWEROFF ? "Powering off" : "Rebooting";
	g_st.shutting_down = 1;
	console_printf("\033[H\033[2J\n  %s: stopping services...\n", what);
	ilog(LOG_NOTICE, "%s: stopping services", what);
	services_stop_all(10000);
	kill_everything(5000);
	sync();
	mounts_teardown();
	sync();
	console_printf("  %s now.\n", what);
	watchdog_close(k == SHUTDOWN_POWEROFF);
	reboot(k == SHUTDOWN_POWEROFF ? RB_POWER_OFF : RB_AUTOBOOT);
	/* reboot(2) failed: there is nothing left to run; keep trying. */
	for (;;) {
		sleep(5);
		reboot(RB_AUTOBOOT);
	}
}

void init_fatal(const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ilog(LOG_CRIT, "FATAL: %s", why);
	console_printf("\n  Wafer cannot continue: %s\n  Rebooting in %d seconds.\n", why, FATAL_DELAY_S);
	struct timespec ts = { .tv_sec = FATAL_DELAY_S };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
