/* init_services.c: starts the services of the table with their output piped
 * into the log ring, restarts them with exponential backoff (1 s doubling to
 * 60 s, reset after 30 s of good running) and reaps orphans. */
#include "init_services.h"
#include "init_log.h"
#include "init_logsrv.h"
#include "init_loop.h"
#include "init_svctab.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


static int g_enabled = 1;
void (*services_on_orphan)(pid_t pid, int status);

void svc_arg(struct svc_argv *a, const char *fmt, ...)
{
	if (a->argc >= SVC_ARGV_MAX || a->used >= sizeof a->buf)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(a->buf + a->used, sizeof a->buf - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof a->buf - a->used)
		return;
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
}

struct service *services_table(int *n)
{
	return svctab_get(n);
}

void services_enable(int on)
{
	g_enabled = on;
}

static void child_exec(struct svc_argv *a, int out)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(out, 1);
	dup2(out, 2);
	execv(a->argv[0], a->argv);
	dprintf(2, "exec %s: %s\n", a->argv[0], strerror(errno));
	_exit(127);
}

static void service_start(struct service *s)
{
	struct svc_argv a = { 0 };
	if (s->build(&a) != 0 || a.argc == 0) {
		s->next_start_ms = mono_ms() + 2000; /* check again later */
		return;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		ilog(LOG_ERR, "service %s: pipe: %s", s->name, strerror(errno));
		s->next_start_ms = mono_ms() + BACKOFF_MIN_MS;
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(&a, p[1]);
	close(p[1]);
	if (pid < 0) {
		ilog(LOG_ERR, "service %s: fork: %s", s->name, strerror(errno));
		close(p[0]);
		s->next_start_ms = mono_ms() + BACKOFF_MIN_MS;
		return;
	}
	logsrv_add_pipe(p[0], s->name);
	s->pid = pid;
	s->started_ms = mono_ms();
	s->stopping = 0;
	ilog(LOG_INFO, "service %s started (pid %d)", s->name, (int)pid);
}

int services_tick(void)
{
	int n, next = 1000;
	struct service *t = svctab_get(&n);
	int64_t now = mono_ms();
	for (int i = 0; i < n && g_enabled; i++) {
		if (t[i].pid > 0)
			continue;
		if (t[i].next_start_ms <= now)
			service_start(&t[i]);
		if (t[i].pid <= 0 && t[i].next_start_ms - now < next)
			next = (int)(t[i].next_start_ms - now);
	}
	return next < 10 ? 10 : next;
}

static void service_exited(struct service *s, int status)
{
	int64_t now = mono_ms(), ran = now - s->started_ms;
	s->pid = 0;
	s->last_status = status;
	if (s->stopping) {
		s->stopping = 0;
		s->next_start_ms = now;
		return;
	}
	s->backoff_ms = svc_backoff_next(s->backoff_ms, ran);
	s->restarts++;
	s->next_start_ms = now + s->backoff_ms;
	if (WIFSIGNALED(status))
		ilog(LOG_WARNING, "service %s killed by signal %d after %lld ms; restart in %d s",
		     s->name, WTERMSIG(status), (long long)ran, s->backoff_ms / 1000);
	else
		ilog(LOG_WARNING, "service %s exited with status %d after %lld ms; restart in %d s",
		     s->name, WEXITSTATUS(status), (long long)ran, s->backoff_ms / 1000);
}

void services_kick(void)
{
	int n;
	struct service *t = svctab_get(&n);
	for (int i = 0; i < n; i++)
		if (t[i].pid <= 0 && t[i].restarts == 0)
			t[i].next_start_ms = mono_ms();
}

void services_reap(void)
{
	int status, n;
	pid_t pid;
	struct service *t = svctab_get(&n);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int found = 0;
		for (int i = 0; i < n && !found; i++)
			if (t[i].pid == pid) {
				service_exited(&t[i], status);
				found = 1;
			}
		if (!found && services_on_orphan)
			services_on_orphan(pid, status);
		if (!found)
			ilog(LOG_INFO, "reaped pid %d (status 0x%x)", (int)pid, status);
	}
}

static void service_signal_wait(struct service *s, int grace_ms)
{
	if (s->pid <= 0)
		return;
	s->stopping = 1;
	kill(s->pid, SIGTERM);
	int64_t end = mono_ms() + grace_ms;
	while (s->pid > 0 && mono_ms() < end) {
		usleep(50000);
		services_reap();
	}
	if (s->pid > 0) {
		ilog(LOG_WARNING, "service %s did not stop in %d ms: SIGKILL", s->name, grace_ms);
		kill(s->pid, SIGKILL);
		while (s->pid > 0 && waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
		s->pid = 0;
	}
}

void services_restart(const char *name)
{
	int n;
	struct service *t = svctab_get(&n);
	for (int i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) != 0)
			continue;
		service_signal_wait(&t[i], 5000);
		t[i].next_start_ms = mono_ms();
		t[i].backoff_ms = 0;
	}
}

void services_stop_all(int grace_ms)
{
	int n;
	struct service *t = svctab_get(&n);
	g_enabled = 0;
	for (int i = 0; i < n; i++)
		if (t[i].pid > 0) {
			t[i].stopping = 1;
			kill(t[i].pid, SIGTERM);
		}
	for (int i = n - 1; i >= 0; i--)
		service_signal_wait(&t[i], grace_ms);
}
