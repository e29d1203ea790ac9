/* tlsload.c: wafer-tlsload, the load client of `make bench-agent` (build
 * machine only, never in the image). It speaks HTTPS with a client
 * certificate (mutual TLS) through mbedTLS, so that wafer-agent and nginx
 * are measured with the same client:
 *   wafer-tlsload rps  HOST PORT PATH CERT KEY CONNS SECONDS
 *       CONNS keep-alive connections (one thread each) send GET PATH in a
 *       loop; prints requests/s and the latency of the median/99th request.
 *   wafer-tlsload hs   HOST PORT PATH CERT KEY CONNS SECONDS
 *       each thread opens a new connection, does a full handshake (no
 *       session resumption), one GET PATH, and closes: handshakes/s.
 * The server certificate is not verified (both servers are local and known);
 * no session is ever resumed (each connection starts a fresh context). */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LAT_MAX 2000000

static const char *host, *port, *path;
static mbedtls_x509_crt cert;
static mbedtls_pk_context key;
static mbedtls_ssl_config conf;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_entropy_context entropy;
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile bool stop;
static atomic_long done_count, err_count;
static double *lat;
static atomic_long nlat;
static char first_err[200], suite[120];

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int rng(void *p, unsigned char *out, size_t len)
{
	(void)p;
	pthread_mutex_lock(&rng_lock);
	int rc = mbedtls_ctr_drbg_random(&drbg, out, len);
	pthread_mutex_unlock(&rng_lock);
	return rc;
}

static void note_err(const char *what, int rc)
{
	atomic_fetch_add(&err_count, 1);
	if (!first_err[0]) {
		char e[120];
		mbedtls_strerror(rc, e, sizeof e);
		snprintf(first_err, sizeof first_err, "%s: %s (-0x%04x)", what, e, (unsigned)-rc);
	}
}

struct link {
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	char buf[65536];
	size_t blen;
};

static int link_open(struct link *l)
{
	int rc;
	mbedtls_net_init(&l->net);
	mbedtls_ssl_init(&l->ssl);
	l->blen = 0;
	if ((rc = mbedtls_net_connect(&l->net, host, port, MBEDTLS_NET_PROTO_TCP)))
		return note_err("connect", rc), -1;
	if ((rc = mbedtls_ssl_setup(&l->ssl, &conf)))
		return note_err("ssl setup", rc), -1;
	mbedtls_ssl_set_bio(&l->ssl, &l->net, mbedtls_net_send, mbedtls_net_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&l->ssl)))
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			return note_err("handshake", rc), -1;
	if (!suite[0])
		snprintf(suite, sizeof suite, "%s %s", mbedtls_ssl_get_version(&l->ssl), mbedtls_ssl_get_ciphersuite(&l->ssl));
	return 0;
}

static void link_close(struct link *l)
{
	mbedtls_ssl_close_notify(&l->ssl);
	mbedtls_net_free(&l->net);
	mbedtls_ssl_free(&l->ssl);
}

/* Send one GET and read one complete response (Content-Length framed). */
static int link_get(struct link *l)
{
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: wafer-tlsload\r\n\r\n", path, host);
	for (int off = 0; off < n;) {
		int r = mbedtls_ssl_write(&l->ssl, (unsigned char *)req + off, (size_t)(n - off));
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r <= 0)
			return note_err("write", r), -1;
		off += r;
	}
	l->blen = 0;
	for (;;) {
		l->buf[l->blen] = '\0';
		char *end = strstr(l->buf, "\r\n\r\n");
		if (end) {
			char *cl = strcasestr(l->buf, "\r\ncontent-length:");
			size_t head = (size_t)(end - l->buf) + 4, want = cl ? strtoul(cl + 17, NULL, 10) : 0;
			if (strncmp(l->buf, "HTTP/1.1 200", 12) != 0)
				return note_err("status not 200", 0), -1;
			if (!cl)
				return note_err("no Content-Length", 0), -1;
			if (l->blen >= head + want)
				return 0;
		}
		if (l->blen >= sizeof l->buf - 1)
			return note_err("response too large", 0), -1;
		int r = mbedtls_ssl_read(&l->ssl, (unsigned char *)l->buf + l->blen, sizeof l->buf - 1 - l->blen);
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (r <= 0)
			return note_err("read", r), -1;
		l->blen += (size_t)r;
	}
}

static void record(double t0)
{
	long i = atomic_fetch_add(&nlat, 1);
	if (i < LAT_MAX)
		lat[i] = now_s() - t0;
	atomic_fetch_add(&done_count, 1);
}

static void *rps_thread(void *p)
{
	struct link *l = malloc(sizeof *l);
	(void)p;
	while (l && !stop) {
		if (link_open(l)) {
			link_close(l);
			continue;
		}
		while (!stop) {
			double t0 = now_s();
			if (link_get(l))
				break;
			record(t0);
		}
		link_close(l);
	}
	free(l);
	return NULL;
}

static void *hs_thread(void *p)
{
	struct link *l = malloc(sizeof *l);
	(void)p;
	while (l && !stop) {
		double t0 = now_s();
		if (link_open(l) == 0 && link_get(l) == 0)
			record(t0);
		link_close(l);
	}
	free(l);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int setup(const char *certf, const char *keyf)
{
	int rc;
	mbedtls_x509_crt_init(&cert);
	mbedtls_pk_init(&key);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_entropy_init(&entropy);
	if ((rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0)) ||
	    (rc = mbedtls_x509_crt_parse_file(&cert, certf)) ||
	    (rc = mbedtls_pk_parse_keyfile(&key, keyf, NULL, rng, NULL)) ||
	    (rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)) ||
	    (rc = mbedtls_ssl_conf_own_cert(&conf, &cert, &key))) {
		char e[120];
		mbedtls_strerror(rc, e, sizeof e);
		fprintf(stderr, "wafer-tlsload: setup (%s, %s): %s\n", certf, keyf, e);
		return -1;
	}
	mbedtls_ssl_conf_rng(&conf, rng, NULL);
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 9 || (strcmp(argv[1], "rps") && strcmp(argv[1], "hs"))) {
		fprintf(stderr, "usage: wafer-tlsload rps|hs HOST PORT PATH CERT KEY CONNS SECONDS\n");
		return 2;
	}
	bool hs = !strcmp(argv[1], "hs");
	host = argv[2], port = argv[3], path = argv[4];
	int conns = atoi(argv[7]);
	double secs = atof(argv[8]);
	if (conns < 1 || conns > 256 || secs <= 0 || secs > 600) {
		fprintf(stderr, "wafer-tlsload: CONNS must be 1..256 and SECONDS 0..600\n");
		return 2;
	}
	if (psa_crypto_init() != PSA_SUCCESS || setup(argv[5], argv[6]))
		return 1;
	lat = calloc(LAT_MAX, sizeof *lat);
	pthread_t *t = calloc((size_t)conns, sizeof *t);
	if (!lat || !t)
		return 1;
	double t0 = now_s();
	for (int i = 0; i < conns; i++)
		pthread_create(&t[i], NULL, hs ? hs_thread : rps_thread, NULL);
	struct timespec d = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	nanosleep(&d, NULL);
	stop = true;
	long done = atomic_load(&done_count);
	double el = now_s() - t0;
	for (int i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	long n = atomic_load(&nlat) < LAT_MAX ? atomic_load(&nlat) : LAT_MAX;
	qsort(lat, (size_t)n, sizeof *lat, cmp_d);
	printf("%s %.1f/s  n=%ld  errors=%ld  p50=%.2fms  p99=%.2fms  (%s)%s%s\n", hs ? "handshakes" : "requests",
	       (double)done / el, done, atomic_load(&err_count), n ? lat[n / 2] * 1e3 : 0.0,
	       n ? lat[n * 99 / 100] * 1e3 : 0.0, suite, first_err[0] ? "  first error: " : "", first_err);
	return done > 0 ? 0 : 1;
}
