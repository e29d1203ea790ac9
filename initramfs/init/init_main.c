/* init_main.c: wafer-init's entry point: the boot sequence of PID 1. */
#include "init_cmdline.h"
#include "init_console.h"
#include "init_log.h"
#include "init_mounts.h"
#include "wafer-version.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct cmdline g_cmdline;

static void read_cmdline(void)
{
	char buf[CMDLINE_MAX];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	if (cmdline_set(&g_cmdline, buf, n > 0 ? (size_t)n : 0) < 0)
		ilog(LOG_WARNING, "kernel command line longer than %d bytes: cut", CMDLINE_MAX);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	umask(022);
	mounts_early();
	ilog_open();
	console_open_all();
	read_cmdline();
	char slot[16];
	if (cmdline_get(&g_cmdline, "wafer.slot", slot, sizeof slot) != 1 || !slot[0])
		strcpy(slot, "?");
	console_printf("Wafer %s (%s) slot %s booting\n", WAFER_VERSION, WAFER_BOARD, slot);
	ilog(LOG_INFO, "Wafer %s (%s) slot %s booting; consoles: %s", WAFER_VERSION,
	     WAFER_BOARD, slot, console_names());
	mounts_rest();

	int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		struct pollfd p[1 + CONSOLE_MAX];
		int cfd[CONSOLE_MAX], nc = console_fds(cfd, CONSOLE_MAX);
		p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (int i = 0; i < nc; i++)
			p[1 + i] = (struct pollfd){ .fd = cfd[i], .events = POLLIN };
		if (poll(p, 1 + (nfds_t)nc, -1) < 0 && errno != EINTR)
			sleep(1);
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si)
			;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (int i = 0; i < nc; i++)
			if (p[1 + i].revents & POLLIN)
				console_drain(cfd[i]);
	}
}
