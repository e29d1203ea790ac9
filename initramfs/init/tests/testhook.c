/* testhook.c: wafer-testhook, a test-only program that system tests add to
 * the appliance with an overlay archive as /usr/libexec/wafer/test-hook.
 * wafer-init runs it as a service; it does what wafer.test.hook=A,B,... on
 * the kernel command line asks, from outside init, and reports on the
 * console with "test-hook:" lines:
 *   kill:SERVICE   wait until SERVICE runs, SIGKILL it, wait for the restart
 *   status         print init's status reply
 *   reboot         ask init for an orderly reboot over init.sock
 *   logdump        print the log ring (dump) on the console
 *   logfollow      print new log lines as they come (does not return)
 *   poweroff       ask init for an orderly poweroff
 *   sleep:N        wait N seconds
 *   waitfile:PATH  wait (up to 10 minutes) until PATH exists, e.g. a file a
 *                  test creates through the API to say "now"
 *   waitmsg:TEXT   follow the log until a record contains TEXT, print it
 *   halve:GLOB     cut every file GLOB matches to half its size (damaged
 *                  data a test cannot reach through the API, e.g. a saved
 *                  VM state on the datastore)
 *   hostile        feed malformed input to init.sock, log.sock and
 *                  log-in.sock, then check init still answers
 *   rss            print wafer-init's memory use (VmRSS, VmHWM of PID 1)
 * The actions can also come from the file /usr/libexec/wafer/test-hook.actions
 * (one line, same syntax, spaces allowed) in the overlay, for images whose kernel command
 * line the test cannot change. Never part of the product image. */
#include "initctl.h"
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int con = -1;

static void say(const char *fmt, ...)
{
	char buf[1400];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	if (con >= 0 && write(con, buf, (size_t)n) < 0) { /* nothing to do */ }
}

static int service_pid(const char *name, int *restarts)
{
	char out[4096], key[64], v[128];
	snprintf(key, sizeof key, "service.%s", name);
	if (initctl_status(NULL, out, sizeof out) != 0 || initctl_kv(out, key, v, sizeof v) != 0)
		return -1;
	char *p = strstr(v, "pid="), *r = strstr(v, "restarts=");
	if (restarts)
		*restarts = r ? atoi(r + 9) : 0;
	return strncmp(v, "up", 2) == 0 && p ? atoi(p + 4) : 0;
}

static void do_kill(const char *svc)
{
	int pid = 0, restarts = 0, again;
	for (int i = 0; i < 600 && (pid = service_pid(svc, &restarts)) <= 0; i++)
		usleep(100000);
	if (pid <= 0) {
		say("test-hook: kill %s: service never ran", svc);
		return;
	}
	sleep(2);
	if (kill(pid, SIGKILL) != 0) {
		say("test-hook: kill %s pid %d: %s", svc, pid, strerror(errno));
		return;
	}
	say("test-hook: killed %s pid %d", svc, pid);
	for (int i = 0; i < 300; i++) {
		int now = service_pid(svc, &again);
		if (now > 0 && now != pid) {
			say("test-hook: %s restarted as pid %d (restarts %d)", svc, now, again);
			return;
		}
		usleep(100000);
	}
	say("test-hook: %s NOT restarted", svc);
}

static void do_log(int follow)
{
	struct initctl_log l;
	struct initctl_logrec r;
	int rc = initctl_log_open(&l, NULL, follow, 0);
	if (rc) {
		say("test-hook: log.sock: %s", strerror(-rc));
		return;
	}
	long long t0 = -1;
	while ((rc = initctl_log_next(&l, &r, follow ? -1 : 5000)) == 1) {
		if (t0 < 0)
			t0 = r.time_ms;
		say("test-hook: log %llu +%lldms %d %s: %s", (unsigned long long)r.seq, r.time_ms - t0,
		    r.prio, r.tag, r.msg);
	}
	say("test-hook: log end (%d)", rc);
	initctl_log_close(&l);
}

static void do_waitmsg(const char *text)
{
	struct initctl_log l;
	struct initctl_logrec r;
	int rc = initctl_log_open(&l, NULL, 1, 0);
	while (rc == 0 && (rc = initctl_log_next(&l, &r, 120000)) == 1) {
		if (strstr(r.msg, text)) {
			say("test-hook: seen %s: %s", r.tag, r.msg);
			initctl_log_close(&l);
			return;
		}
		rc = 0;
	}
	say("test-hook: waitmsg %s: not seen (%d)", text, rc);
	initctl_log_close(&l);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send data, read the reply (until EOF or 2 s) into out. */
static void exchange(const char *path, const void *data, size_t len, char *out, size_t n)
{
	int fd = raw_connect(path);
	size_t got = 0;
	out[0] = '\0';
	if (fd < 0)
		return;
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (len && send(fd, data, len, MSG_NOSIGNAL) < 0) { /* init may close early */ }
	ssize_t r;
	while (got < n - 1 && (r = recv(fd, out + got, n - 1 - got, 0)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fd);
}

static void do_hostile(void)
{
	static char junk[10000];
	char out[4096];
	int bad = 0, fds[24];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 1);
	exchange(INITCTL_SOCK, junk, sizeof junk, out, sizeof out);
	bad |= strncmp(out, "error", 5) != 0;
	exchange(INITCTL_SOCK, "\0\0\0\n", 4, out, sizeof out);
	bad |= strncmp(out, "error", 5) != 0;
	exchange(INITCTL_SOCK, "", 0, out, sizeof out); /* says nothing */
	exchange(INITCTL_LOG_SOCK, "bogus\n", 6, out, sizeof out);
	bad |= strncmp(out, "error", 5) != 0;
	exchange(INITCTL_LOG_SOCK, junk, 200, out, sizeof out);
	bad |= strncmp(out, "error", 5) != 0;
	for (int i = 0; i < 24; i++) /* more readers than init serves */
		fds[i] = initctl_log_intake(INITCTL_LOG_SOCK, "follow end");
	for (int i = 0; i < 24; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	int in = initctl_log_intake(NULL, "hostile-test");
	if (in >= 0) {
		if (write(in, junk, sizeof junk) < 0 || write(in, "\nafter the junk\n", 16) < 0)
			bad = 1;
		close(in);
	}
	/* a process that is not one of init's services claims a service's tag */
	pid_t child = fork();
	if (child == 0) {
		int f = initctl_log_intake(NULL, "wafer-agent");
		if (f >= 0 && write(f, "forged by a child of the hook\n", 30) < 0)
			_exit(1);
		_exit(0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	sleep(1);
	int rc = initctl_status(NULL, out, sizeof out);
	say("test-hook: hostile %s (status rc=%d)", bad || rc ? "FAILED" : "ok", rc);
}

static void run(const char *action)
{
	char out[4096];
	if (strncmp(action, "kill:", 5) == 0) {
		do_kill(action + 5);
	} else if (strcmp(action, "status") == 0) {
		int rc = initctl_status(NULL, out, sizeof out);
		say("test-hook: status rc=%d\n%s", rc, out);
	} else if (strcmp(action, "reboot") == 0) {
		sleep(2);
		/* init may stop this hook before the answer can be printed */
		say("test-hook: requesting a reboot");
		say("test-hook: reboot requested: %d", initctl_reboot(NULL));
	} else if (strcmp(action, "poweroff") == 0) {
		sleep(2);
		say("test-hook: requesting a poweroff");
		say("test-hook: poweroff requested: %d", initctl_poweroff(NULL));
	} else if (strcmp(action, "logdump") == 0) {
		do_log(0);
	} else if (strcmp(action, "logfollow") == 0) {
		do_log(1);
	} else if (strncmp(action, "waitmsg:", 8) == 0) {
		do_waitmsg(action + 8);
	} else if (strcmp(action, "hostile") == 0) {
		do_hostile();
	} else if (strcmp(action, "rss") == 0) {
		int fd = open("/proc/1/status", O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, out, sizeof out - 1) : -1;
		out[n > 0 ? n : 0] = '\0';
		for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
			if (!strncmp(l, "VmRSS", 5) || !strncmp(l, "VmHWM", 5) || !strncmp(l, "RssAnon", 7))
				say("test-hook: init %s", l);
		if (fd >= 0)
			close(fd);
	} else if (strncmp(action, "waitfile:", 9) == 0) {
		int i = 0;
		while (access(action + 9, F_OK) != 0 && i++ < 6000)
			usleep(100000);
		say("test-hook: waitfile %s: %s", action + 9, i <= 6000 ? "present" : "timed out");
	} else if (strncmp(action, "halve:", 6) == 0) {
		glob_t g;
		if (glob(action + 6, 0, NULL, &g) != 0) {
			say("test-hook: halve %s: no such file", action + 6);
			return;
		}
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;
			int rc = stat(g.gl_pathv[i], &st) == 0 ? truncate(g.gl_pathv[i], st.st_size / 2) : -1;
			say("test-hook: halve %s: %s", g.gl_pathv[i], rc == 0 ? "done" : strerror(errno));
		}
		globfree(&g);
	} else if (strncmp(action, "sleep:", 6) == 0) {
		sleep((unsigned)atoi(action + 6));
	} else {
		say("test-hook: unknown action '%s'", action);
	}
}

int main(void)
{
	char cmdline[4096] = "", *save = NULL;
	con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
	cmdline[n > 0 ? n : 0] = '\0';
	char *hook = strstr(cmdline, "wafer.test.hook=");
	if (hook) {
		hook += 16;
		hook[strcspn(hook, " \n")] = '\0'; /* a command-line word */
	} else {
		fd = open("/usr/libexec/wafer/test-hook.actions", O_RDONLY);
		n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
		cmdline[n > 0 ? n : 0] = '\0';
		hook = n > 0 ? cmdline : NULL;
	}
	if (hook) {
		hook[strcspn(hook, "\n")] = '\0';
		for (char *a = strtok_r(hook, ",", &save); a; a = strtok_r(NULL, ",", &save))
			run(a);
		say("test-hook: done");
	}
	for (;;) /* stay up: init would restart a finished service */
		pause();
}
