/* conn.c: TLS connection I/O with deadlines. The mbedTLS BIO callbacks poll()
 * the socket with the smaller of the connection deadline and the inactivity
 * limit, so a slow client only ever holds its own thread, and never forever. */
#include "api.h"
#include "wlog.h"

#include <errno.h>
#include <mbedtls/net_sockets.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int wait_fd(struct conn *c, short ev)
{
	for (;;) {
		int t = -1;
		uint64_t now = wlog_now_ms();
		if (c->deadline_ms) {
			if (now >= c->deadline_ms)
				return 0;
			t = (int)(c->deadline_ms - now);
		}
		if (c->io_ms > 0 && (t < 0 || c->io_ms < t))
			t = c->io_ms;
		struct pollfd p = { .fd = c->fd, .events = ev };
		int r = poll(&p, 1, t);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

int conn_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	for (;;) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		int r = wait_fd(c, POLLOUT);
		if (r <= 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
	}
}

int conn_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
		int r = wait_fd(c, POLLIN);
		if (r <= 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
	}
}

int conn_read(struct conn *c, void *buf, size_t len)
{
	if (c->bpos < c->blen) {
		size_t n = c->blen - c->bpos;
		if (n > len)
			n = len;
		memcpy(buf, c->buf + c->bpos, n);
		c->bpos += n;
		if (c->bpos == c->blen)
			c->bpos = c->blen = 0;
		return (int)n;
	}
	if (c->broken)
		return -1;
	for (;;) {
		int r = mbedtls_ssl_read(&c->ssl, buf, len);
		if (r > 0)
			return r;
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		c->broken = true;
		return -1;
	}
}

int conn_write_all(struct conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (c->broken)
		return -1;
	while (len) {
		int r = mbedtls_ssl_write(&c->ssl, p, len);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r <= 0) {
			c->broken = true;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

bool conn_pending(struct conn *c)
{
	return c->bpos < c->blen || mbedtls_ssl_get_bytes_avail(&c->ssl) > 0;
}
