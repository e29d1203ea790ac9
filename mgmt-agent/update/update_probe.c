/* update_probe.c: the health check "the API answers": a TLS connection to
 * the agent's own listener on the loopback address and a request without a
 * client certificate. The listener must present this host's certificate
 * (pinned: it is this agent that answers), which proves the accept loop and
 * the TLS server work; then, with an empty trust store, the request gets an
 * HTTP status line (401), otherwise the server ends the connection for want
 * of a client certificate (the probe cannot present one from a trusted CA),
 * which is the answer expected too. */
#include "server/tls_server.h"
#include "tls_x509.h"
#include "update.h"
#include "errbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TCP to 127.0.0.1:port within 3 s (a blocking connect could hang for
 * minutes if loopback were down); the fd, or -1. */
static int connect_local(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
		goto bad;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int e = 0;
	socklen_t el = sizeof e;
	if (poll(&p, 1, 3000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e)
		goto bad;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
bad:
	close(fd);
	return -1;
}

static int pin(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	char fp[96];
	if (depth == 0 && tls_fingerprint(crt, fp) == 0 && !strcmp(fp, tls_host_fingerprint())) {
		*flags = 0;
		*(bool *)p = true;   /* this agent's certificate came back */
	}
	return 0;
}

bool upd_probe_api(int port, char *why, size_t n)
{
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt none;   /* no CA: the pin decides (as waferctl --fingerprint) */
	char buf[64] = "";
	int rc;
	bool ok = false, pinned = false;
	mbedtls_net_init(&net);
	mbedtls_ssl_init(&ssl);
	mbedtls_ssl_config_init(&conf);
	mbedtls_x509_crt_init(&none);
	if ((net.fd = connect_local(port)) < 0) {
		seterr(why, n, "cannot connect to the API on 127.0.0.1 port %d", port);
		goto out;
	}
	if ((rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)))
		goto tls;
	mbedtls_ssl_conf_rng(&conf, tls_rng, NULL);
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&conf, &none, NULL);
	mbedtls_ssl_conf_verify(&conf, pin, &pinned);
	mbedtls_ssl_conf_read_timeout(&conf, 5000);
	if ((rc = mbedtls_ssl_setup(&ssl, &conf)))
		goto tls;
	mbedtls_ssl_set_hostname(&ssl, NULL);   /* pinned: no name check */
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
	while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		;
	if (rc)
		goto tls;
	static const char req[] = "GET /api/v1/host HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	if ((rc = mbedtls_ssl_write(&ssl, (const unsigned char *)req, sizeof req - 1)) < 0)
		goto tls;
	size_t got = 0;
	while (got < 12) {
		rc = mbedtls_ssl_read(&ssl, (unsigned char *)buf + got, sizeof buf - 1 - got);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (rc <= 0)
			break;
		got += (size_t)rc;
	}
	buf[got] = '\0';
	/* an HTTP status line, or the end of the connection without one (no
	 * client certificate while the trust store has CAs) */
	ok = !strncmp(buf, "HTTP/1.1 ", 9) || (got == 0 && rc <= 0);
	if (!ok)
		seterr(why, n, "the API answered something else than HTTP");
	mbedtls_ssl_close_notify(&ssl);
	goto out;
tls:
	/* the server presented this agent's certificate and then ended the
	 * connection (no client certificate; sometimes by a reset before our
	 * side saw the handshake end): it answered */
	if (pinned) {
		ok = true;
		goto out;
	}
	{
		char e[160];
		tls_strerror(rc, e, sizeof e);
		seterr(why, n, "TLS to the API on port %d: %s", port, e);
	}
out:
	mbedtls_net_free(&net);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_x509_crt_free(&none);
	return ok;
}
