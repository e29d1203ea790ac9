/* server.c: accept loop, per-connection threads, TLS handshake with client
 * certificate verification and role, and the keep-alive request loop; who
 * may hold a connection is conn_pool.c's. */
#include "server.h"
#include "agent.h"
#include "api.h"
#include "conn_pool.h"
#include "tls_server.h"
#include "tls_x509.h"
#include "wlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int conn_bio_send(void *ctx, const unsigned char *buf, size_t len);
int conn_bio_recv(void *ctx, unsigned char *buf, size_t len);

static struct wlog_ratelimit rl_hs = WLOG_RATELIMIT_INIT(10000, 10);

int server_listen(char *err, size_t errlen)
{
	int one = 1, fd;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)agent_cfg.port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)agent_cfg.port) };
	const char *addr = agent_cfg.listen_addr;
	bool v6 = !addr || strchr(addr, ':');
	if (addr && ((v6 && inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1) ||
		     (!v6 && inet_pton(AF_INET, addr, &a4.sin_addr) != 1))) {
		snprintf(err, errlen, "invalid listen address '%s'", addr);
		return -1;
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && v6 && !addr) { /* no IPv6 in this kernel: IPv4 only */
		v6 = false;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (v6) {
		int zero = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	}
	int rc = v6 ? bind(fd, (struct sockaddr *)&a6, sizeof a6) : bind(fd, (struct sockaddr *)&a4, sizeof a4);
	if (rc < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %d: %s", addr ? addr : "*",
			 agent_cfg.port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static bool handshake(struct conn *c)
{
	c->deadline_ms = wlog_now_ms() + (uint64_t)agent_cfg.lim.handshake_ms;
	c->io_ms = 0;
	int rc;
	while ((rc = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		char m[160];
		tls_strerror(rc, m, sizeof m);
		uint32_t vr = mbedtls_ssl_get_verify_result(&c->ssl);
		char vinfo[256] = "";
		if (vr && vr != (uint32_t)-1)
			mbedtls_x509_crt_verify_info(vinfo, sizeof vinfo, "", vr);
		for (char *p = vinfo; *p; p++)
			if (*p == '\n') *p = ' ';
		__atomic_add_fetch(&agent_stats.handshake_failures, 1, __ATOMIC_RELAXED);
		wlog_rl(&rl_hs, WLOG_INFO, "tls", "%s: handshake failed: %s%s%s", c->peer, m,
			vinfo[0] ? "; certificate: " : "", vinfo);
		return false;
	}
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
	if (peer && mbedtls_ssl_get_verify_result(&c->ssl) == 0 && c->tls->nca > 0) {
		c->verified = true;
		c->role = (enum role)tls_subject_role(peer);
		tls_subject_cn(peer, c->cn, sizeof c->cn);
		tls_fingerprint(peer, c->fp);
	} else {
		snprintf(c->cn, sizeof c->cn, "anonymous");
	}
	char why[160];
	if (!pool_authenticated(c, why, sizeof why)) {
		static struct wlog_ratelimit rl = WLOG_RATELIMIT_INIT(10000, 5);
		__atomic_add_fetch(&agent_stats.conns_rejected, 1, __ATOMIC_RELAXED);
		wlog_rl(&rl, WLOG_WARN, "server", "%s (%s): connection refused: %s", c->peer, c->cn, why);
		struct http_request dummy = { .method = "?", .path = "?" };
		struct api_ctx x = { .c = c, .req = &dummy, .body_done = true };
		c->deadline_ms = wlog_now_ms() + 1000;
		api_error(&x, 503, "busy", "%s; try again later", why);
		return false;
	}
	return true;
}

/* Wait for the next request head; false when the connection should close. */
static bool read_head(struct conn *c, struct http_request *req, bool first)
{
	size_t max = (size_t)agent_cfg.lim.max_head;
	/* compact the buffer: leftover pipelined bytes move to the front */
	if (c->bpos) {
		memmove(c->buf, c->buf + c->bpos, c->blen - c->bpos);
		c->blen -= c->bpos;
		c->bpos = 0;
	}
	uint64_t now = wlog_now_ms();
	c->deadline_ms = now + (uint64_t)(first ? agent_cfg.lim.request_ms : agent_cfg.lim.idle_ms);
	for (;;) {
		struct http_error e;
		int st = c->blen ? http_parse_request(c->buf, c->blen, max, req, &e) : HTTP_PARSE_INCOMPLETE;
		if (st == HTTP_PARSE_DONE) {
			c->bpos = req->head_len;
			if (c->bpos == c->blen)
				c->bpos = c->blen = 0;
			return true;
		}
		if (st == HTTP_PARSE_ERROR) {
			struct http_request dummy = { .method = "?", .path = "?" };
			struct api_ctx x = { .c = c, .req = &dummy, .keep_alive = false, .body_done = true };
			api_error(&x, e.status, "bad_request", "malformed HTTP request: %s", e.msg);
			wlog(WLOG_DEBUG, "http", "%s: %s", c->peer, e.msg);
			return false;
		}
		if (c->blen >= sizeof c->buf)
			return false;
		int r = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->buf + c->blen, sizeof c->buf - c->blen);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r <= 0) {
			if (r == MBEDTLS_ERR_SSL_TIMEOUT && c->blen) {
				struct http_request dummy = { .method = "?", .path = "?" };
				struct api_ctx x = { .c = c, .req = &dummy, .body_done = true };
				api_error(&x, 408, "timeout", "request not received in time");
			}
			return false;
		}
		if (c->blen == 0) /* the first byte of a request starts its deadline */
			c->deadline_ms = wlog_now_ms() + (uint64_t)agent_cfg.lim.request_ms;
		c->blen += (size_t)r;
	}
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	c->tls = tls_ctx_get();
	mbedtls_ssl_init(&c->ssl);
	if (c->tls && mbedtls_ssl_setup(&c->ssl, &c->tls->conf) == 0) {
		mbedtls_ssl_set_bio(&c->ssl, c, conn_bio_send, conn_bio_recv, NULL);
		if (handshake(c)) {
			struct http_request *req = malloc(sizeof *req);
			bool keep = req != NULL, first = true;
			while (keep && read_head(c, req, first)) {
				first = false;
				c->deadline_ms = wlog_now_ms() + (uint64_t)agent_cfg.lim.request_ms;
				c->io_ms = agent_cfg.lim.io_ms;
				api_dispatch(c, req, &keep);
				c->io_ms = 0;
			}
			free(req);
			c->deadline_ms = wlog_now_ms() + 1000;
			mbedtls_ssl_close_notify(&c->ssl);
		}
	}
	mbedtls_ssl_free(&c->ssl);
	if (c->tls)
		tls_ctx_put(c->tls);
	pool_leave(c);
	close(c->fd);
	__atomic_sub_fetch(&agent_stats.conns_active, 1, __ATOMIC_RELAXED);
	free(c);
	return NULL;
}

static void peer_name(const struct sockaddr_storage *ss, char *ip, size_t iplen, char *peer, size_t plen)
{
	int port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, (socklen_t)iplen);
		if (strncmp(ip, "::ffff:", 7) == 0)
			memmove(ip, ip + 7, strlen(ip + 7) + 1);
		port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, (socklen_t)iplen);
		port = ntohs(a->sin_port);
	}
	snprintf(peer, plen, "%s:%d", ip, port);
}

void server_run(int lfd, volatile int *stop)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	while (!*stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		if (poll(&p, 1, 500) <= 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		__atomic_add_fetch(&agent_stats.conns_total, 1, __ATOMIC_RELAXED);
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		peer_name(&ss, c->ip, sizeof c->ip, c->peer, sizeof c->peer);
		int active = __atomic_load_n(&agent_stats.conns_active, __ATOMIC_RELAXED);
		if (!pool_accept(c)) {
			__atomic_add_fetch(&agent_stats.conns_rejected, 1, __ATOMIC_RELAXED);
			static struct wlog_ratelimit rl = WLOG_RATELIMIT_INIT(10000, 5);
			wlog_rl(&rl, WLOG_WARN, "server", "%s: connection refused: evicted connections still closing "
				"(%d active)", c->peer, active);
			close(fd);
			free(c);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		__atomic_add_fetch(&agent_stats.conns_active, 1, __ATOMIC_RELAXED);
		pthread_t th;
		if (pthread_create(&th, &attr, conn_main, c) != 0) {
			__atomic_sub_fetch(&agent_stats.conns_active, 1, __ATOMIC_RELAXED);
			pool_leave(c);
			close(fd);
			free(c);
		}
	}
	pthread_attr_destroy(&attr);
}
