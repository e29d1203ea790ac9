/* fatcheck.c: check and repair a FAT volume with fsck.fat (see fatcheck.h).
 *
 * fsck.fat's exit codes (dosfstools 4.2, src/fsck.fat.c, src/common.c,
 * src/io.c): 0 nothing changed; 1 the volume was changed (with -w the
 * changes are already written) or it stopped on an error (die()/pdie():
 * unreadable boot sector, read or write error), which prints no summary
 * line; 2 usage error, the volume was not touched; 3 internal getopt error;
 * 6 the device could not be opened. */
#include "fatcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define OUT_MAX 16384
#define OUT_HEAD 4096 /* kept when the output overflows; the rest is its tail */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *fatcheck_result_name(enum fatcheck_result res)
{
	switch (res) {
	case FATCHECK_CLEAN: return "clean";
	case FATCHECK_REPAIRED: return "repaired";
	case FATCHECK_FAILED: return "failed";
	case FATCHECK_BUSY: return "busy";
	}
	return "?";
}

/* "DEV: N files, USED/TOTAL clusters" */
static bool is_summary(const char *line, size_t len)
{
	static const char end[] = " clusters";
	char buf[256];
	if (len >= sizeof buf || len < sizeof end)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return strstr(buf, ": ") && strstr(buf, " files, ") && !strcmp(buf + len - (sizeof end - 1), end);
}

static bool skip_line(const char *line, size_t len, bool first)
{
	static const char *const noise[] = { "*** Filesystem was changed ***", "Leaving filesystem unchanged.",
					     "Starting check/repair pass.", "Starting verification pass." };
	if (first && len > 9 && !strncmp(line, "fsck.fat ", 9))
		return true; /* the version banner */
	for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
		if (len == strlen(noise[i]) && !strncmp(line, noise[i], len))
			return true;
	return false;
}

void fatcheck_append(char *dst, size_t n, const char *sep, const char *s, size_t len)
{
	size_t used = strlen(dst);
	if (used + 4 >= n)
		return;
	if (used && used + strlen(sep) + len + 4 >= n) { /* does not fit: mark the cut once */
		if (used < 3 || strcmp(dst + used - 3, "..."))
			snprintf(dst + used, n - used, " ...");
		return;
	}
	snprintf(dst + used, n - used, "%s%.*s", used ? sep : "", (int)len, s);
}

/* Split fsck.fat's output into the summary line (without "DEV: ") and the
 * findings (top-level lines joined with "; ", indented ones with " "). */
static void parse_output(const char *out, char *summary, size_t sn, char *findings, size_t fn)
{
	const char *last_sum = NULL;
	size_t last_len = 0;
	summary[0] = findings[0] = '\0';
	for (const char *p = out; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (is_summary(p, len)) {
			last_sum = p;
			last_len = len;
		}
		p += len + (e ? 1 : 0);
	}
	if (last_sum) {
		const char *c = strstr(last_sum, ": ");
		snprintf(summary, sn, "%.*s", (int)(last_len - (size_t)(c + 2 - last_sum)), c + 2);
	}
	bool first = true;
	for (const char *p = out; *p; first = false) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *line = p;
		p += len + (e ? 1 : 0);
		if (line == last_sum || skip_line(line, len, first))
			continue;
		bool indented = len && (line[0] == ' ' || line[0] == '\t');
		while (len && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
			len--;
		if (len)
			fatcheck_append(findings, fn, indented ? " " : "; ", line, len);
	}
}

enum fatcheck_result fatcheck_classify(const char *dev, int wstatus, bool timed_out, int timeout_ms,
				       const char *out, struct fatcheck *r)
{
	parse_output(out ? out : "", r->summary, sizeof r->summary, r->findings, sizeof r->findings);
	const char *f = r->findings[0] ? r->findings : "no message";
	r->exit_code = WIFEXITED(wstatus) && !timed_out ? WEXITSTATUS(wstatus) : -1;
	if (timed_out) {
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat did not finish within %.1f s (killed): %s", dev,
			 timeout_ms / 1000.0, f);
		return r->result = FATCHECK_FAILED;
	}
	if (WIFSIGNALED(wstatus)) {
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat killed by signal %d: %s", dev, WTERMSIG(wstatus), f);
		return r->result = FATCHECK_FAILED;
	}
	switch (r->exit_code) {
	case 0:
		snprintf(r->msg, sizeof r->msg, "%s: clean (%s)", dev, r->summary[0] ? r->summary : "no summary");
		return r->result = FATCHECK_CLEAN;
	case 1:
		if (r->summary[0]) {
			snprintf(r->msg, sizeof r->msg, "%s repaired by fsck.fat (%s): %s", dev, r->summary, f);
			return r->result = FATCHECK_REPAIRED;
		}
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat stopped before the end (exit code 1, no summary): %s",
			 dev, f);
		return r->result = FATCHECK_FAILED;
	case 2:
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat usage error (volume not touched): %s", dev, f);
		return r->result = FATCHECK_FAILED;
	case 6:
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat cannot open the device: %s", dev, f);
		return r->result = FATCHECK_FAILED;
	default:
		snprintf(r->msg, sizeof r->msg, "%s: fsck.fat failed with exit code %d: %s", dev, r->exit_code, f);
		return r->result = FATCHECK_FAILED;
	}
}

/* Keep the first OUT_HEAD bytes and the latest rest of a long output. */
static void out_add(char *out, size_t *len, const char *buf, size_t n)
{
	if (n >= OUT_MAX - 1 - OUT_HEAD) {
		buf += n - (OUT_MAX - 1 - OUT_HEAD);
		n = OUT_MAX - 1 - OUT_HEAD;
	}
	if (*len + n > OUT_MAX - 1) {
		size_t drop = *len + n - (OUT_MAX - 1);
		memmove(out + OUT_HEAD, out + OUT_HEAD + drop, *len - OUT_HEAD - drop);
		*len -= drop;
	}
	memcpy(out + *len, buf, n);
	*len += n;
	out[*len] = '\0';
}

/* Run argv (argv[0] the program) with stdin /dev/null, stdout and stderr
 * into out; kill it after timeout_ms. 0 and *wstatus, or -1 and err. */
static int run(char *const argv[], int timeout_ms, int *wstatus, bool *timed_out, char *out, char *err,
	       size_t errlen)
{
	int p[2], rc;
	pid_t pid;
	size_t len = 0;
	out[0] = '\0';
	*timed_out = false;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&at);
	/* wafer-init blocks every signal; the child starts with none blocked, default handlers */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	long deadline = now_ms() + timeout_ms;
	bool eof = false;
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			*timed_out = true;
			break;
		}
		if (eof) { /* output closed: wait for the exit, still within the deadline */
			pid_t w = waitpid(pid, wstatus, WNOHANG);
			if (w == pid) {
				close(p[0]);
				return 0;
			}
			if (w < 0 && errno != EINTR) {
				close(p[0]);
				snprintf(err, errlen, "waitpid: %s", strerror(errno));
				return -1;
			}
			usleep(left < 10 ? (useconds_t)left * 1000 : 10000);
			continue;
		}
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int n = poll(&pf, 1, (int)left);
		if (n < 0 && errno != EINTR)
			eof = true;
		if (n <= 0)
			continue;
		char buf[4096];
		ssize_t k = read(p[0], buf, sizeof buf);
		if (k > 0)
			out_add(out, &len, buf, (size_t)k);
		else if (k == 0 || errno != EINTR)
			eof = true;
	}
	close(p[0]);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	return 0;
}

enum fatcheck_result fatcheck_run(const char *dev, const struct fatcheck_opts *opts, struct fatcheck *r)
{
	const char *prog = opts && opts->prog ? opts->prog : FATCHECK_PROG;
	int timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : FATCHECK_TIMEOUT_MS;
	int busy = opts && opts->busy_wait_ms ? opts->busy_wait_ms : FATCHECK_BUSY_WAIT_MS;
	long t0 = now_ms();
	char err[300];
	memset(r, 0, sizeof *r);
	r->result = FATCHECK_FAILED;
	r->exit_code = -1;
	if (!dev || !dev[0]) {
		snprintf(r->msg, sizeof r->msg, "fatcheck: no device given");
		return r->result;
	}
	if (access(prog, X_OK) != 0) {
		snprintf(r->msg, sizeof r->msg, "%s: not checked: fsck.fat not available (%s: %s)", dev, prog,
			 strerror(errno));
		return r->result;
	}
	/* exclusive: fails with EBUSY while DEV is mounted, and keeps mounts out meanwhile */
	int fd;
	while ((fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC)) < 0) {
		if (errno != EBUSY) {
			snprintf(r->msg, sizeof r->msg, "%s: not checked: cannot open it: %s", dev, strerror(errno));
			r->ms = now_ms() - t0;
			return r->result;
		}
		if (busy < 0 || now_ms() - t0 >= busy) {
			snprintf(r->msg, sizeof r->msg, "%s: not checked: in use (mounted?) for %ld ms", dev,
				 now_ms() - t0);
			r->ms = now_ms() - t0;
			return r->result = FATCHECK_BUSY;
		}
		usleep(100000);
	}
	char *out = malloc(OUT_MAX);
	int ws = 0;
	bool to = false;
	char *const fix[] = { (char *)prog, "-a", "-w", (char *)dev, NULL };
	if (!out) {
		snprintf(r->msg, sizeof r->msg, "%s: not checked: out of memory", dev);
	} else if (run(fix, timeout, &ws, &to, out, err, sizeof err) != 0) {
		snprintf(r->msg, sizeof r->msg, "%s: not checked: %s", dev, err);
	} else if (fatcheck_classify(dev, ws, to, timeout, out, r) == FATCHECK_REPAIRED) {
		/* a second, read-only pass: nothing may be left to change */
		struct fatcheck v;
		char *const verify[] = { (char *)prog, "-n", (char *)dev, NULL };
		fsync(fd);
		memset(&v, 0, sizeof v);
		if (run(verify, timeout, &ws, &to, out, err, sizeof err) != 0) {
			r->result = FATCHECK_FAILED;
			snprintf(r->msg, sizeof r->msg, "%s: repaired, but the second pass did not run: %s", dev, err);
		} else if (fatcheck_classify(dev, ws, to, timeout, out, &v) != FATCHECK_CLEAN) {
			r->result = FATCHECK_FAILED;
			snprintf(r->msg, sizeof r->msg, "%s: fsck.fat could not repair it (%.200s); a second pass still finds: %.300s",
				 dev, r->findings, v.findings[0] ? v.findings : v.msg);
		}
	}
	free(out);
	close(fd);
	r->ms = now_ms() - t0;
	return r->result;
}
