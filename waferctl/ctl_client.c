/* ctl_client.c: waferctl's HTTPS client: mutual TLS with mbedTLS, host
 * certificate pinning, HTTP/1.1 requests and response parsing. */
#include "ctl.h"
#include "wafer_contract.h"
#include "tls_x509.h"

#include <mbedtls/error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cerr(struct ctl_conn *c, int rc, const char *what)
{
	char e[160];
	tls_strerror(rc, e, sizeof e);
	snprintf(c->err, sizeof c->err, "%s: %s", what, e);
	return -1;
}

static void split_host(char *host, size_t hl, char *port, size_t pl)
{
	const char *h = ctl.host ? ctl.host : "localhost";
	const char *colon = strrchr(h, ':');
	if (h[0] == '[') { /* [v6]:port */
		const char *rb = strchr(h, ']');
		snprintf(host, hl, "%.*s", rb ? (int)(rb - h - 1) : 0, h + 1);
		snprintf(port, pl, "%s", rb && rb[1] == ':' ? rb + 2 : "443");
	} else if (colon && !strchr(colon + 1, ':') && colon == strchr(h, ':')) {
		snprintf(host, hl, "%.*s", (int)(colon - h), h);
		snprintf(port, pl, "%s", colon + 1);
	} else {
		snprintf(host, hl, "%s", h);
		snprintf(port, pl, "443");
	}
}

static int verify_pin(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)p;
	if (depth != 0)
		return 0;
	char fp[96], want[96];
	if (ctl.fingerprint) {
		if (tls_fingerprint_normalize(ctl.fingerprint, want) || tls_fingerprint(crt, fp) ||
		    strcmp(fp, want) != 0) {
			fprintf(stderr, "waferctl: host certificate fingerprint %s does not match the pinned %s\n",
				tls_fingerprint(crt, fp) ? "?" : fp, ctl.fingerprint);
			*flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
			return 0;
		}
		*flags = 0;
	} else if (ctl.insecure) {
		*flags = 0;
	}
	return 0;
}

int ctl_connect(struct ctl_conn *c)
{
	char host[256], port[16];
	int rc;
	memset(c, 0, sizeof *c);
	mbedtls_net_init(&c->net);
	mbedtls_ssl_init(&c->ssl);
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_x509_crt_init(&c->crt);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_pk_init(&c->key);
	if ((rc = tls_rng_init()))
		return cerr(c, rc, "random generator");
	if (!ctl.fingerprint && !ctl.ca && !ctl.insecure) {
		snprintf(c->err, sizeof c->err,
			 "no way to trust the host: give --fingerprint (from the status screen) or --ca");
		return -1;
	}
	if (ctl.cert || ctl.key) {
		if (!ctl.cert || !ctl.key) {
			snprintf(c->err, sizeof c->err, "--cert and --key go together");
			return -1;
		}
		if ((rc = mbedtls_x509_crt_parse_file(&c->crt, ctl.cert)))
			return cerr(c, rc, ctl.cert);
		if ((rc = mbedtls_pk_parse_keyfile(&c->key, ctl.key, NULL, tls_rng, NULL)))
			return cerr(c, rc, ctl.key);
	}
	if (ctl.ca && (rc = mbedtls_x509_crt_parse_file(&c->ca, ctl.ca)))
		return cerr(c, rc, ctl.ca);
	split_host(host, sizeof host, port, sizeof port);
	if ((rc = mbedtls_net_connect(&c->net, host, port, MBEDTLS_NET_PROTO_TCP))) {
		snprintf(c->err, sizeof c->err, "cannot connect to %.128s port %s", host, port);
		return -1;
	}
	if ((rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)))
		return cerr(c, rc, "TLS setup");
	mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_rng(&c->conf, tls_rng, NULL);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	mbedtls_ssl_conf_verify(&c->conf, verify_pin, NULL);
	mbedtls_ssl_conf_read_timeout(&c->conf, (uint32_t)ctl.timeout_ms);
	if (ctl.cert && (rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->crt, &c->key)))
		return cerr(c, rc, "client certificate");
	if ((rc = mbedtls_ssl_setup(&c->ssl, &c->conf)))
		return cerr(c, rc, "TLS setup");
	/* with a CA file the host name must match the certificate; pinning
	 * replaces that check */
	mbedtls_ssl_set_hostname(&c->ssl, ctl.fingerprint || ctl.insecure ? NULL : host);
	mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
	while ((rc = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		uint32_t vr = mbedtls_ssl_get_verify_result(&c->ssl);
		if (vr && vr != (uint32_t)-1) {
			char info[256];
			mbedtls_x509_crt_verify_info(info, sizeof info, "", vr);
			info[strcspn(info, "\n")] = '\0';
			snprintf(c->err, sizeof c->err, "host certificate not trusted: %.200s", info);
			return -1;
		}
		return cerr(c, rc, "TLS handshake (is the client certificate accepted by the host?)");
	}
	return 0;
}

void ctl_close(struct ctl_conn *c)
{
	mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_net_free(&c->net);
	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_x509_crt_free(&c->crt);
	mbedtls_x509_crt_free(&c->ca);
	mbedtls_pk_free(&c->key);
}

int ctl_write(struct ctl_conn *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len) {
		int r = mbedtls_ssl_write(&c->ssl, p, len);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r <= 0)
			return cerr(c, r, "write");
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int ctl_send(struct ctl_conn *c, const char *method, const char *path, const char *ctype,
	     const void *body, size_t len, const char *extra)
{
	char head[2048];
	char host[256], port[16];
	split_host(host, sizeof host, port, sizeof port);
	int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: waferctl\r\n"
			 "Accept: application/json\r\n%s%s%s%s",
			 method, path, host, ctype ? "Content-Type: " : "", ctype ? ctype : "",
			 ctype ? "\r\n" : "", extra ? extra : "");
	bool chunked = extra && strstr(extra, "Transfer-Encoding: chunked");   /* the caller frames the body */
	if (!chunked && (body || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")))
		n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", len);
	n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
	if ((size_t)n >= sizeof head) {
		snprintf(c->err, sizeof c->err, "request head too long");
		return -1;
	}
	if (ctl_write(c, head, (size_t)n))
		return -1;
	return body && len ? ctl_write(c, body, len) : 0; /* body NULL: caller streams len bytes */
}

static int raw_read(struct ctl_conn *c, void *buf, size_t len)
{
	if (c->bpos < c->blen) {
		size_t n = c->blen - c->bpos < len ? c->blen - c->bpos : len;
		memcpy(buf, c->buf + c->bpos, n);
		c->bpos += n;
		return (int)n;
	}
	for (;;) {
		int r = mbedtls_ssl_read(&c->ssl, buf, len);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == 0)
			return 0;
		if (r < 0)
			return cerr(c, r, "read");
		return r;
	}
}

int ctl_response(struct ctl_conn *c)
{
	c->blen = c->bpos = 0;
	for (;;) {
		char *end = NULL;
		for (size_t i = 0; i + 3 < c->blen; i++)
			if (!memcmp(c->buf + i, "\r\n\r\n", 4)) {
				end = c->buf + i;
				break;
			}
		if (end) {
			*end = '\0';
			c->bpos = (size_t)(end - c->buf) + 4;
			break;
		}
		if (c->blen >= sizeof c->buf - 1) {
			snprintf(c->err, sizeof c->err, "response head too large");
			return -1;
		}
		int r = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->buf + c->blen, sizeof c->buf - 1 - c->blen);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r <= 0) {
			if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
				snprintf(c->err, sizeof c->err, "connection closed before a response");
			else
				cerr(c, r, "read (was the client certificate refused?)");
			return -1;
		}
		c->blen += (size_t)r;
	}
	if (sscanf(c->buf, "HTTP/1.%*d %d", &c->status) != 1) {
		snprintf(c->err, sizeof c->err, "malformed response status line");
		return -1;
	}
	for (char *l = strstr(c->buf, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		char *h = l + 2;
		if (!strncasecmp(h, "content-length:", 15)) {
			c->left = strtoull(h + 15, NULL, 10);
			c->has_length = true;
		} else if (!strncasecmp(h, "transfer-encoding:", 18) && strstr(h, "chunked")) {
			c->chunked = true;
		}
	}
	c->done = !c->chunked && c->has_length && c->left == 0;
	return c->status;
}

int ctl_body_read(struct ctl_conn *c, void *buf, size_t len)
{
	if (c->done)
		return 0;
	if (!c->chunked) {
		if (c->has_length && len > c->left)
			len = (size_t)c->left;
		int r = raw_read(c, buf, len);
		if (r <= 0) {
			c->done = true;
			return r;
		}
		c->left -= (uint64_t)r;
		if (c->has_length && c->left == 0)
			c->done = true;
		return r;
	}
	for (;;) {
		int r = raw_read(c, buf, len);
		if (r <= 0)
			return r < 0 ? -1 : 0;
		size_t used, out;
		struct http_error e;
		int st = http_chunked_feed(&c->ch, buf, (size_t)r, &used, &out, &e);
		if (st < 0) {
			snprintf(c->err, sizeof c->err, "bad chunked response: %s", e.msg);
			return -1;
		}
		if (st == 1)
			c->done = true;
		if (out || c->done)
			return (int)out;
	}
}

int ctl_body_all(struct ctl_conn *c, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	if (!b)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > (64u << 20)) {
				free(b);
				snprintf(c->err, sizeof c->err, "response too large");
				return -1;
			}
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		int r = ctl_body_read(c, b + n, cap - n);
		if (r < 0) {
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

int ctl_name_ok(const char *kind, const char *name)
{
	size_t len = strlen(name);
	if (len && len <= WAFER_NAME_MAX)
		return 1;
	fprintf(stderr, "waferctl: %s name '%.64s%s' is %zu characters long; the limit is %d\n", kind, name,
		len > 64 ? "..." : "", len, WAFER_NAME_MAX);
	return 0;
}

int ctl_answer_error(struct ctl_conn *c, const char *what)
{
	char *b = NULL;
	size_t l;
	struct json_doc d = { 0 };
	if (ctl_body_all(c, &b, &l) == 0 && json_parse(&d, b, l, NULL, NULL) == 0) {
		ctl_print_error(c->status, &d);
		json_doc_free(&d);
	} else {
		fprintf(stderr, "waferctl: %sHTTP %d\n", what, c->status);
	}
	free(b);
	ctl_close(c);
	return 1;
}

int ctl_print_error(int status, const struct json_doc *doc)
{
	const struct json_node *e = json_get(json_root(doc), "error");
	const char *code = json_get_str(e, "code"), *msg = json_get_str(e, "message");
	fprintf(stderr, "waferctl: %d %s: %s\n", status, code ? code : http_status_text(status),
		msg ? msg : "(no message)");
	return 1;
}

int ctl_call_quiet(const char *method, const char *path, const char *body, struct json_doc *doc, char *why,
		   size_t whylen)
{
	struct ctl_conn c;
	char *resp = NULL;
	size_t len;
	memset(doc, 0, sizeof *doc);
	why[0] = '\0';
	if (ctl_connect(&c) || ctl_send(&c, method, path, body ? "application/json" : NULL, body,
					 body ? strlen(body) : 0, "Connection: close\r\n") ||
	    ctl_response(&c) < 0 || ctl_body_all(&c, &resp, &len)) {
		snprintf(why, whylen, "%s", c.err);
		ctl_close(&c);
		return -1;
	}
	int st = c.status;
	ctl_close(&c);
	struct json_err je;
	if (len && json_parse(doc, resp, len, NULL, &je) != 0) {
		if (st < 300)
			snprintf(why, whylen, "response is not JSON: %s", je.msg);
		memset(doc, 0, sizeof *doc);
	}
	free(resp);
	return st;
}

int ctl_call(const char *method, const char *path, const char *body, struct json_doc *doc)
{
	char why[300];
	int st = ctl_call_quiet(method, path, body, doc, why, sizeof why);
	if (why[0])
		fprintf(stderr, "waferctl: %s\n", why);
	return st;
}

int ctl_call_ok(const char *method, const char *path, const char *body, struct json_doc *doc)
{
	int st = ctl_call(method, path, body, doc);
	if (st < 0)
		return -1;
	if (st >= 300) {
		ctl_print_error(st, doc);
		json_doc_free(doc);
		return -1;
	}
	return st;
}

const char *ctl_str(const struct json_node *o, const char *k)
{
	const char *s = json_get_str(o, k);
	return s && *s ? s : "-";
}

static int to_stdout(const char *data, size_t len, void *arg)
{
	(void)arg;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
	return 0;
}

int ctl_stream(const char *path)
{
	return ctl_stream_to(path, to_stdout, NULL);
}

int ctl_stream_to(const char *path, int (*sink)(const char *data, size_t len, void *arg), void *arg)
{
	struct ctl_conn c;
	char buf[8192];
	if (ctl_connect(&c) || ctl_send(&c, "GET", path, NULL, NULL, 0, NULL) || ctl_response(&c) < 0) {
		fprintf(stderr, "waferctl: %s\n", c.err);
		ctl_close(&c);
		return 1;
	}
	if (c.status >= 300)
		return ctl_answer_error(&c, "");
	int r;
	while ((r = ctl_body_read(&c, buf, sizeof buf)) > 0)
		if (sink(buf, (size_t)r, arg))
			break;
	ctl_close(&c);
	return r < 0 ? 1 : 0;
}
