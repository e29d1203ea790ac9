/* init_console.c: opens the consoles, makes their input inert (raw mode, no
 * echo, no signal keys, input read and discarded, VT switching locked) and
 * writes to all of them. */
#include "init_console.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/vt.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int con_fd[CONSOLE_MAX];
static int con_n;
static char con_names[128];
static char con_list[CONSOLE_MAX][20];

static void console_make_inert(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &t) != 0)
		return;
	/* No line discipline: no echo, no ^C/^Z/^\ signals, no canonical editing;
	 * output still translates \n to \r\n. */
	t.c_lflag &= ~(ICANON | ECHO | ECHOE | ECHOK | ECHONL | ISIG | IEXTEN);
	t.c_iflag &= ~(IXON | IXOFF | ICRNL | INLCR | IGNCR | BRKINT);
	t.c_iflag |= IGNBRK; /* a serial BREAK (SysRq on serial) is ignored */
	t.c_oflag |= OPOST | ONLCR;
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(fd, TCSANOW, &t);
	tcflush(fd, TCIFLUSH);
}

static void console_add(const char *name)
{
	char path[64];
	if (con_n >= CONSOLE_MAX)
		return;
	if (strcmp(name, "tty0") == 0)
		name = "tty1";
	for (int i = 0; i < con_n; i++)
		if (strcmp(con_list[i], name) == 0)
			return; /* already open */
	for (size_t i = 0; name[i]; i++)
		if (name[i] == '/' || i > 16)
			return;
	snprintf(path, sizeof path, "/dev/%s", name);
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	console_make_inert(fd);
	if (strncmp(name, "tty", 3) == 0 && name[3] >= '0' && name[3] <= '9') {
		/* a VT: never blank the status screen, no blinking cursor */
		static const char vt[] = "\033[9;0]\033[?25l";
		if (write(fd, vt, sizeof vt - 1) < 0) { /* best effort */ }
		/* Alt-Fn cannot switch away from the status screen */
		ioctl(fd, VT_ACTIVATE, atoi(name + 3));
		ioctl(fd, VT_LOCKSWITCH, 1);
	}
	snprintf(con_list[con_n], sizeof con_list[0], "%s", name);
	con_fd[con_n++] = fd;
	size_t l = strlen(con_names);
	snprintf(con_names + l, sizeof con_names - l, "%s%s", l ? " " : "", name);
}

void console_open_all(void)
{
	char buf[256], *save = NULL, *tok;
	int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	con_n = 0;
	con_names[0] = '\0';
	if (n > 0) {
		buf[n] = '\0';
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			console_add(tok);
	}
	if (con_n == 0)
		console_add("console");
	/* the local screen shows the status even when the kernel's console is
	 * only the serial port (console_add skips a tty1 already open) */
	console_add("tty1");
}

void console_write(const char *buf, size_t len)
{
	for (int i = 0; i < con_n; i++) {
		size_t off = 0;
		int spins = 0;
		while (off < len && spins < 200) {
			ssize_t w = write(con_fd[i], buf + off, len - off);
			if (w > 0) {
				off += (size_t)w;
			} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				struct pollfd p = { .fd = con_fd[i], .events = POLLOUT };
				poll(&p, 1, 10);
				spins++;
			} else {
				break;
			}
		}
	}
}

void console_printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int console_fds(int *fds, int max)
{
	int n = 0;
	for (int i = 0; i < con_n && n < max; i++)
		fds[n++] = con_fd[i];
	return n;
}

void console_drain(int fd)
{
	char junk[256];
	while (read(fd, junk, sizeof junk) > 0)
		;
}

const char *console_names(void)
{
	return con_names;
}
