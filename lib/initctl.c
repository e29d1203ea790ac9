/* initctl.c: talks to wafer-init over its unix sockets (see initctl.h). */
#include "initctl.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int send_line(int fd, const char *line)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "%s\n", line);
	if (n < 0 || (size_t)n >= sizeof buf || strchr(line, '\n'))
		return -EINVAL;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return -errno ? -errno : -EIO;
	return 0;
}

int initctl_request(const char *sock, const char *request, char *reply, size_t n, int timeout_ms)
{
	if (!reply || n == 0)
		return -EINVAL;
	reply[0] = '\0';
	int fd = sock_connect(sock), rc;
	if (fd < 0)
		return fd;
	if ((rc = send_line(fd, request)) != 0) {
		close(fd);
		return rc;
	}
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		int pr = poll(&p, 1, timeout_ms);
		if (pr == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		ssize_t r = pr < 0 ? -1 : recv(fd, reply + len, n - 1 - len, 0);
		if (r < 0) {
			rc = -errno;
			break;
		}
		len += (size_t)r;
		if (r == 0 || len == n - 1)
			break;
	}
	close(fd);
	reply[len] = '\0';
	if (rc)
		return rc;
	if (strncmp(reply, "ok\n", 3) == 0) {
		memmove(reply, reply + 3, len - 2);
		return 0;
	}
	if (strncmp(reply, "error ", 6) == 0) {
		memmove(reply, reply + 6, len - 5);
		reply[strcspn(reply, "\n")] = '\0';
		return -EPROTO;
	}
	return -EBADMSG;
}

int initctl_reboot(const char *sock)
{
	char r[128];
	return initctl_request(sock ? sock : INITCTL_SOCK, "reboot", r, sizeof r, 5000);
}

int initctl_poweroff(const char *sock)
{
	char r[128];
	return initctl_request(sock ? sock : INITCTL_SOCK, "poweroff", r, sizeof r, 5000);
}

int initctl_status(const char *sock, char *out, size_t n)
{
	return initctl_request(sock ? sock : INITCTL_SOCK, "status", out, n, 5000);
}

int initctl_kv(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, "\n");
			if (l >= n)
				l = n - 1;
			memcpy(out, p + kl + 1, l);
			out[l] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -ENOENT;
}

int initctl_log_open(struct initctl_log *l, const char *sock, int follow, uint64_t from_seq)
{
	char req[64];
	memset(l, 0, sizeof *l);
	l->fd = sock_connect(sock ? sock : INITCTL_LOG_SOCK);
	if (l->fd < 0)
		return l->fd;
	if (from_seq)
		snprintf(req, sizeof req, "%s %llu", follow ? "follow" : "dump", (unsigned long long)from_seq);
	else
		snprintf(req, sizeof req, "%s", follow ? "follow" : "dump");
	int rc = send_line(l->fd, req);
	if (rc) {
		close(l->fd);
		l->fd = -1;
	}
	return rc;
}

static int parse_u(const char **p, long long *v, int sign)
{
	char *end;
	errno = 0;
	*v = sign ? strtoll(*p, &end, 10) : (long long)strtoull(*p, &end, 10);
	if (end == *p || *end != ' ' || errno)
		return -EINVAL;
	*p = end + 1;
	return 0;
}

int initctl_log_parse(const char *line, size_t len, struct initctl_logrec *r)
{
	char buf[1200];
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	const char *p = buf;
	long long seq, t, prio;
	if (parse_u(&p, &seq, 0) || parse_u(&p, &t, 1) || parse_u(&p, &prio, 1) || prio < 0 || prio > 1023)
		return -EINVAL;
	const char *sp = strchr(p, ' ');
	if (!sp || sp == p || (size_t)(sp - p) >= sizeof r->tag)
		return -EINVAL;
	r->seq = (uint64_t)seq;
	r->time_ms = t;
	r->prio = (int)prio;
	memcpy(r->tag, p, (size_t)(sp - p));
	r->tag[sp - p] = '\0';
	snprintf(r->msg, sizeof r->msg, "%s", sp + 1);
	return 0;
}

int initctl_log_next(struct initctl_log *l, struct initctl_logrec *r, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(l->buf, '\n', l->len);
		if (nl) {
			size_t ll = (size_t)(nl - l->buf);
			int rc = initctl_log_parse(l->buf, ll, r);
			memmove(l->buf, nl + 1, l->len - ll - 1);
			l->len -= ll + 1;
			if (rc == 0)
				return 1;
			continue; /* skip a malformed line */
		}
		if (l->len == sizeof l->buf) /* a line longer than any record */
			l->len = 0;
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		int pr = poll(&p, 1, timeout_ms);
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t n = pr < 0 ? -1 : recv(l->fd, l->buf + l->len, sizeof l->buf - l->len, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		l->len += (size_t)n;
	}
}

void initctl_log_close(struct initctl_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int initctl_log_intake(const char *sock, const char *tag)
{
	int fd = sock_connect(sock ? sock : INITCTL_LOG_IN_SOCK);
	if (fd < 0)
		return fd;
	int rc = send_line(fd, tag);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}
