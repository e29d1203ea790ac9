/* init_syslog.c: remote syslog forwarder fed from the log ring with its own
 * cursor; TCP back-pressure leaves records in the ring until sent. */
#include "init_syslog.h"
#include "init_log.h"
#include "init_logring.h"
#include "init_logsrv.h"
#include "init_loop.h"
#include "init_state.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
	int on, tcp, fd, connected;
	char host[128], port[8];
	struct logcursor cur;
	char out[LOG_MSG_MAX + 256];
	size_t outlen, outoff;
	int64_t retry_ms;
	int backoff_ms;
} g_sl = { .fd = -1 };

static void sl_close(const char *why)
{
	if (g_sl.fd >= 0) {
		loop_del(g_sl.fd);
		close(g_sl.fd);
	}
	g_sl.fd = -1;
	g_sl.connected = 0;
	g_sl.outlen = g_sl.outoff = 0;
	g_sl.backoff_ms = g_sl.backoff_ms ? (g_sl.backoff_ms * 2 > 60000 ? 60000 : g_sl.backoff_ms * 2) : 2000;
	g_sl.retry_ms = mono_ms() + g_sl.backoff_ms;
	if (why)
		ilog(LOG_WARNING, "syslog %s:%s: %s; retry in %d s", g_sl.host, g_sl.port, why, g_sl.backoff_ms / 1000);
}

/* Send what the ring holds past our cursor. */
static void sl_pump(void)
{
	if (!g_sl.connected)
		return;
	struct logrec rec;
	for (;;) {
		while (g_sl.outoff < g_sl.outlen) {
			ssize_t n = send(g_sl.fd, g_sl.out + g_sl.outoff, g_sl.outlen - g_sl.outoff,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN && g_sl.tcp) {
				loop_set_events(g_sl.fd, POLLOUT);
				return;
			}
			if (n < 0 && !g_sl.tcp) { /* UDP: drop the datagram, go on */
				g_sl.outoff = g_sl.outlen;
				break;
			}
			if (n < 0) {
				sl_close(strerror(errno));
				return;
			}
			g_sl.outoff += (size_t)n;
		}
		if (!logring_read(logsrv_ring(), &g_sl.cur, &rec, NULL)) {
			loop_set_events(g_sl.fd, POLLIN);
			return;
		}
		char msg[LOG_MSG_MAX + 200];
		size_t ml = syslog_format(&rec, g_st.hostname, msg, sizeof msg);
		int k = g_sl.tcp ? snprintf(g_sl.out, sizeof g_sl.out, "%zu %s", ml, msg)
				 : snprintf(g_sl.out, sizeof g_sl.out, "%s", msg);
		g_sl.outlen = k > 0 ? (size_t)k : 0;
		g_sl.outoff = 0;
	}
}

static void sl_io(int fd, short re, void *ctx)
{
	(void)ctx;
	if (!g_sl.connected && (re & (POLLOUT | POLLERR | POLLHUP))) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			sl_close(strerror(err));
			return;
		}
		g_sl.connected = 1;
		g_sl.backoff_ms = 0;
		ilog(LOG_INFO, "syslog: connected to %s:%s", g_sl.host, g_sl.port);
	} else if (re & (POLLIN | POLLERR | POLLHUP)) {
		char junk[256];
		ssize_t n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			sl_close(n == 0 ? "connection closed" : strerror(errno));
			return;
		}
	}
	sl_pump();
}

static void sl_connect(void)
{
	struct addrinfo hints = { .ai_socktype = g_sl.tcp ? SOCK_STREAM : SOCK_DGRAM }, *ai = NULL;
	int rc = getaddrinfo(g_sl.host, g_sl.port, &hints, &ai);
	if (rc != 0 || !ai) {
		sl_close(gai_strerror(rc));
		return;
	}
	g_sl.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g_sl.fd < 0 || (connect(g_sl.fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		sl_close(strerror(errno));
		return;
	}
	freeaddrinfo(ai);
	loop_add(g_sl.fd, g_sl.tcp ? POLLOUT : POLLIN, sl_io, NULL);
	if (!g_sl.tcp) {
		g_sl.connected = 1;
		sl_pump();
	}
}

static void sl_on_record(void)
{
	sl_pump();
}

void syslog_start(const char *url)
{
	if (!url[0])
		return;
	g_sl.on = 1;
	g_sl.tcp = strncmp(url, "tcp://", 6) == 0;
	snprintf(g_sl.port, sizeof g_sl.port, "%s", g_sl.tcp ? "601" : "514");
	const char *h = url + 6;
	if (*h == '[') {
		size_t l = strcspn(h + 1, "]");
		snprintf(g_sl.host, sizeof g_sl.host, "%.*s", (int)l, h + 1);
		if (h[1 + l] == ']' && h[2 + l] == ':')
			snprintf(g_sl.port, sizeof g_sl.port, "%s", h + 3 + l);
	} else {
		const char *c = strrchr(h, ':');
		if (c && strchr(h, ':') == c) {
			snprintf(g_sl.host, sizeof g_sl.host, "%.*s", (int)(c - h), h);
			snprintf(g_sl.port, sizeof g_sl.port, "%s", c + 1);
		} else {
			snprintf(g_sl.host, sizeof g_sl.host, "%s", h);
		}
	}
	/* forward from the start of the ring: boot messages matter most */
	logring_cursor_start(logsrv_ring(), &g_sl.cur);
	logsrv_on_record = sl_on_record;
	g_sl.retry_ms = 0;
}

void syslog_tick(void)
{
	/* wait for the network before the first attempt */
	if (g_sl.on && g_sl.fd < 0 && g_st.net_ready && mono_ms() >= g_sl.retry_ms)
		sl_connect();
}
