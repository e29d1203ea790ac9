/* init_logsrv.c: log collector: /dev/kmsg reader, per-fd line assembly for
 * service pipes and intake connections, and the log.sock readers (dump or
 * follow, with back-pressure per reader). */
#include "init_logsrv.h"
#include "init_services.h"
#include "init_log.h"
#include "init_logring.h"
#include "init_loop.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READERS_MAX 16
#define SOURCES_MAX 96
#define INTAKE_MAX 64        /* the rest is kept for service pipes */

struct source {            /* a service pipe or an intake connection */
	int fd;
	int want_tag;          /* intake: the first line is the tag */
	int intake;            /* a log-in.sock connection (not a service pipe) */
	int trusted;           /* intake: the sender (SO_PEERCRED) is one of init's services */
	unsigned uid;          /* intake: the sender's uid */
	char tag[LOG_TAG_MAX + 1];
	char buf[LOG_MSG_MAX];
	size_t len;
};

struct reader {
	int fd;
	int have_req, follow;
	char req[64];
	size_t reqlen;
	struct logcursor cur;
	char out[LOG_MSG_MAX + 256];
	size_t outlen, outoff;
};

static struct logring g_ring;
static struct source g_src[SOURCES_MAX];
static struct reader g_rd[READERS_MAX];
void (*logsrv_on_record)(void);

struct logring *logsrv_ring(void) { return &g_ring; }

static void readers_kick(void);

void logsrv_add(int prio, const char *tag, const char *msg, size_t len)
{
	logring_add(&g_ring, wall_ms(), prio, tag, msg, len);
	readers_kick();
	if (logsrv_on_record)
		logsrv_on_record();
}

/* ---- /dev/kmsg ---- */

static void kmsg_record(char *rec, size_t len)
{
	char *semi = memchr(rec, ';', len);
	if (!semi)
		return;
	*semi = '\0';
	int prio = atoi(rec);
	char *f2 = strchr(rec, ','), *f3 = f2 ? strchr(f2 + 1, ',') : NULL;
	long long usec = f3 ? atoll(f3 + 1) : 0;
	char *msg = semi + 1;
	size_t ml = strcspn(msg, "\n"); /* continuation lines (key=value) dropped */
	const char *tag = "kernel";
	char tagbuf[LOG_TAG_MAX + 1];
	if ((prio >> 3) != 0) { /* written by userspace: "name: text" */
		size_t tl = strcspn(msg, ": \n");
		if (tl > 0 && tl <= LOG_TAG_MAX && msg[tl] == ':') {
			memcpy(tagbuf, msg, tl);
			tagbuf[tl] = '\0';
			tag = tagbuf;
			msg += tl + 1;
			ml -= tl + 1;
			if (ml && *msg == ' ') {
				msg++;
				ml--;
			}
		}
	}
	int64_t t = wall_ms() - (mono_ms() - usec / 1000);
	logring_add(&g_ring, t, prio, tag, msg, ml);
}

static void kmsg_in(int fd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	char buf[8192];
	int any = 0;
	for (int i = 0; i < 256; i++) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten before we read them */
		if (n <= 0)
			break;
		buf[n] = '\0';
		kmsg_record(buf, (size_t)n);
		any = 1;
	}
	if (any) {
		readers_kick();
		if (logsrv_on_record)
			logsrv_on_record();
	}
}

/* ---- line sources: service pipes and intake connections ---- */

static void source_close(struct source *s)
{
	if (s->len)
		logsrv_add(LOG_DAEMON | LOG_INFO, s->tag, s->buf, s->len);
	loop_del(s->fd);
	close(s->fd);
	s->fd = -1;
}

static void source_line(struct source *s, const char *line, size_t len)
{
	if (s->want_tag) {
		char claim[LOG_TAG_MAX + 1];
		size_t tl = 0;
		for (size_t i = 0; i < len && tl < LOG_TAG_MAX; i++)
			if (line[i] > ' ' && line[i] < 0x7f)
				claim[tl++] = line[i];
		claim[tl] = '\0';
		logtag_intake(s->tag, claim, s->trusted, s->uid);
		s->want_tag = 0;
		return;
	}
	logsrv_add(LOG_DAEMON | LOG_INFO, s->tag, line, len);
}

static void source_in(int fd, short re, void *ctx)
{
	struct source *s = ctx;
	(void)re;
	for (int rounds = 0; rounds < 64; rounds++) { /* a chatty writer cannot hold init */
		ssize_t n = read(fd, s->buf + s->len, sizeof s->buf - s->len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			source_close(s);
			return;
		}
		if (n < 0)
			return;
		s->len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < s->len; i++) {
			if (s->buf[i] != '\n')
				continue;
			source_line(s, s->buf + start, i - start);
			start = i + 1;
		}
		if (start == 0 && s->len == sizeof s->buf) { /* overlong line: split */
			source_line(s, s->buf, s->len);
			start = s->len;
		}
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
	}
}

static struct source *source_new(int fd, const char *tag)
{
	for (int i = 0; i < SOURCES_MAX; i++) {
		struct source *s = &g_src[i];
		if (s->fd >= 0)
			continue;
		memset(s, 0, sizeof *s);
		s->fd = fd;
		snprintf(s->tag, sizeof s->tag, "%s", tag ? tag : "");
		s->want_tag = tag == NULL;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (loop_add(fd, POLLIN, source_in, s) == 0)
			return s;
		s->fd = -1;
		break;
	}
	ilog(LOG_WARNING, "log: too many log sources; dropping one (%s)", tag ? tag : "intake");
	close(fd);
	return NULL;
}

void logsrv_add_pipe(int fd, const char *tag)
{
	source_new(fd, tag);
}

static void intake_accept(int lfd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		int n = 0;
		for (int i = 0; i < SOURCES_MAX; i++)
			n += g_src[i].fd >= 0 && g_src[i].intake;
		if (n >= INTAKE_MAX) {
			close(fd);
			continue;
		}
		/* who is writing: a service's lines keep the tag they claim */
		struct ucred cr = { 0 };
		socklen_t cl = sizeof cr;
		int ok = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0;
		struct source *s = source_new(fd, NULL);
		if (!s)
			continue;
		s->intake = 1;
		s->uid = ok ? (unsigned)cr.uid : 65534u;
		int ns;
		struct service *t = services_table(&ns);
		for (int i = 0; ok && i < ns; i++)
			if (t[i].pid > 0 && t[i].pid == cr.pid)
				s->trusted = 1;
	}
}

/* ---- log.sock readers ---- */

static void reader_close(struct reader *r)
{
	loop_del(r->fd);
	close(r->fd);
	r->fd = -1;
}

/* Write what is pending, then format more; returns 0, or -1 if closed. */
static int reader_pump(struct reader *r)
{
	for (;;) {
		while (r->outoff < r->outlen) {
			ssize_t n = send(r->fd, r->out + r->outoff, r->outlen - r->outoff, MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN) {
				loop_set_events(r->fd, POLLIN | POLLOUT);
				return 0;
			}
			if (n <= 0) {
				reader_close(r);
				return -1;
			}
			r->outoff += (size_t)n;
		}
		r->outoff = r->outlen = 0;
		struct logrec rec;
		uint64_t lost;
		if (!logring_read(&g_ring, &r->cur, &rec, &lost)) {
			loop_set_events(r->fd, POLLIN);
			if (!r->follow)
				reader_close(r);
			return r->follow ? 0 : -1;
		}
		if (lost) {
			int k = snprintf(r->out, sizeof r->out, "0 %lld %d logring %llu records lost\n",
					 (long long)wall_ms(), LOG_DAEMON | LOG_WARNING, (unsigned long long)lost);
			r->outlen = k > 0 ? (size_t)k : 0;
		}
		r->outlen += logrec_format(&rec, r->out + r->outlen, sizeof r->out - r->outlen);
	}
}

static void reader_request(struct reader *r)
{
	char *sp = strchr(r->req, ' ');
	r->follow = strncmp(r->req, "follow", 6) == 0;
	if (!r->follow && strncmp(r->req, "dump", 4) != 0) {
		const char *e = "error unknown request (want: dump|follow [SEQ]|tail)\n";
		if (send(r->fd, e, strlen(e), MSG_NOSIGNAL) < 0) { /* gone already */ }
		reader_close(r);
		return;
	}
	logring_cursor_start(&g_ring, &r->cur);
	if (sp && strcmp(sp + 1, "end") == 0) {
		logring_cursor_end(&g_ring, &r->cur);
	} else if (sp) {
		/* skip up to SEQ: read and drop older records */
		unsigned long long want = strtoull(sp + 1, NULL, 10);
		struct logrec rec;
		struct logcursor c = r->cur;
		while (c.seq < want && logring_read(&g_ring, &c, &rec, NULL))
			r->cur = c;
	}
	r->have_req = 1;
	reader_pump(r);
}

static void reader_io(int fd, short re, void *ctx)
{
	struct reader *r = ctx;
	(void)fd;
	if (re & POLLIN) {
		char tmp[64];
		ssize_t n = recv(r->fd, tmp, sizeof tmp, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			reader_close(r);
			return;
		}
		for (ssize_t i = 0; i < n && !r->have_req; i++) {
			if (tmp[i] == '\n' || r->reqlen + 1 >= sizeof r->req) {
				r->req[r->reqlen] = '\0';
				reader_request(r);
				if (r->fd < 0)
					return;
			} else if (tmp[i] != '\r') {
				r->req[r->reqlen++] = tmp[i];
			}
		}
	}
	if ((re & (POLLOUT | POLLHUP | POLLERR)) && r->have_req && r->fd >= 0)
		reader_pump(r);
}

static void readers_kick(void)
{
	for (int i = 0; i < READERS_MAX; i++)
		if (g_rd[i].fd >= 0 && g_rd[i].have_req && g_rd[i].outoff == g_rd[i].outlen)
			reader_pump(&g_rd[i]);
}

static void log_accept(int lfd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct reader *r = NULL;
		for (int i = 0; i < READERS_MAX && !r; i++)
			if (g_rd[i].fd < 0)
				r = &g_rd[i];
		if (!r) {
			const char *e = "error too many log readers\n";
			if (send(fd, e, strlen(e), MSG_NOSIGNAL) < 0) { /* ignore */ }
			close(fd);
			continue;
		}
		memset(r, 0, sizeof *r);
		r->fd = fd;
		loop_add(fd, POLLIN, reader_io, r);
	}
}

/* Listening unix socket at path with mode; returns fd or -1. */
int unix_listen(const char *path, unsigned mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, mode) != 0 ||
	    listen(fd, 32) != 0) {
		ilog(LOG_ERR, "socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int logsrv_start(int ring_kib)
{
	for (int i = 0; i < SOURCES_MAX; i++)
		g_src[i].fd = -1;
	for (int i = 0; i < READERS_MAX; i++)
		g_rd[i].fd = -1;
	if (logring_init(&g_ring, (size_t)ring_kib * 1024) != 0)
		return -1;
	int kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0) {
		loop_add(kfd, POLLIN, kmsg_in, NULL);
		kmsg_in(kfd, POLLIN, NULL);
	}
	int lfd = unix_listen(LOG_SOCK, 0600), ifd = unix_listen(LOG_IN_SOCK, 0666);
	if (lfd >= 0)
		loop_add(lfd, POLLIN, log_accept, NULL);
	if (ifd >= 0)
		loop_add(ifd, POLLIN, intake_accept, NULL);
	return lfd >= 0 && ifd >= 0 ? 0 : -1;
}
