/* init_bgjob.c: forks boot jobs, carries their status_problem() calls back
 * over a pipe ("KEY<TAB>TEXT" lines) and calls their completion in init. */
#include "init_bgjob.h"
#include "init_log.h"
#include "init_loop.h"
#include "init_status.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOBS_MAX 4

struct bgjob {
	const char *name;
	pid_t pid;
	int fd;
	void (*done)(void);
	int64_t started_ms;
};
static struct bgjob g_jobs[JOBS_MAX];

void bgjob_start(const char *name, void (*work)(void), void (*done)(void))
{
	struct bgjob *j = NULL;
	int p[2];
	for (int i = 0; i < JOBS_MAX && !j; i++)
		if (!g_jobs[i].pid)
			j = &g_jobs[i];
	if (!j || pipe2(p, O_CLOEXEC) != 0) {
		work();
		done();
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		status_forward(p[1]);
		work();
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		ilog(LOG_WARNING, "%s: fork: %s; running it inline", name, strerror(errno));
		close(p[0]);
		work();
		done();
		return;
	}
	*j = (struct bgjob){ name, pid, p[0], done, mono_ms() };
}

/* The child has exited: its problem lines are all in the pipe. */
static void collect(struct bgjob *j)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(j->fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(j->fd);
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(l, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		if (tab[1])
			status_problem(l, "%s", tab + 1);
		else
			status_clear(l);
	}
}

int bgjob_reaped(pid_t pid, int status)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		struct bgjob *j = &g_jobs[i];
		if (j->pid != pid)
			continue;
		collect(j);
		if (status != 0)
			ilog(LOG_WARNING, "%s: child ended with status 0x%x", j->name, status);
		ilog(LOG_INFO, "%s: done in %lld ms", j->name, (long long)(mono_ms() - j->started_ms));
		j->pid = 0;
		j->done();
		return 1;
	}
	return 0;
}
