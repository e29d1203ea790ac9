/* tls_server.c: host identity, trust store and the server TLS configuration. */
#include "tls_server.h"
#include "agent.h"
#include "cfgstore.h"
#include "fsutil.h"
#include "tls_x509.h"
#include "wlog.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static mbedtls_pk_context host_key;
/* the fingerprint in use, double-buffered: a renewal writes the other one */
static char host_fp[2][96];
static int host_fp_cur;
static struct tls_ctx *cur;
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;

static const int tls_suites[] = {
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/* "YYYYMMDDhhmmss" for t seconds since the epoch (UTC). */
static void x509_time(time_t t, char out[16])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* Issue (and store) a self-signed host certificate for key, valid from an
 * hour ago for days (a clock before 2025 is not trusted: from 2025-01-01). */
static int issue_host_cert(mbedtls_pk_context *key, int days, char *err, size_t errlen)
{
	static char crtpem[2048];
	char host[64] = "wafer", cn[96], nb[16], na[16];
	gethostname(host, sizeof host - 1);
	snprintf(cn, sizeof cn, "CN=%s,O=wafer:host", host);
	time_t now = time(NULL), from = now - 3600;
	if (now < 1735689600) /* 2025-01-01: no real clock yet */
		from = 1735689600;
	x509_time(from, nb);
	x509_time(from + (time_t)days * 86400, na);
	const char *dns[] = { host, "localhost", NULL };
	struct tls_cert_req r = { .subject = cn, .not_before = nb, .not_after = na, .server_auth = 1,
				  .dns = dns, .ip_localhost = 1 };
	int rc = tls_issue_cert(&r, key, key, NULL, crtpem, sizeof crtpem);
	if (rc) {
		tls_strerror(rc, err, errlen);
		return -1;
	}
	if ((rc = cfgstore_write(agent_cfg.config_dir, "identity/host.pem", crtpem, strlen(crtpem), 0644))) {
		snprintf(err, errlen, "cannot store %s/identity/host.pem: %s", agent_cfg.config_dir, strerror(-rc));
		return -1;
	}
	wlog(WLOG_INFO, "tls", "host certificate issued, valid until %.4s-%.2s-%.2s (%d days)", na, na + 4, na + 6, days);
	return 0;
}

static int cert_days(void)
{
	return agent_conf_int("agent_cert_days", TLS_CERT_DAYS_DEFAULT, 1, 3650);
}

static int create_identity(char *err, size_t errlen)
{
	static char keypem[512];
	int rc;
	mbedtls_pk_context key;
	mbedtls_pk_init(&key);
	if ((rc = tls_gen_key(&key, keypem, sizeof keypem))) {
		tls_strerror(rc, err, errlen);
		mbedtls_pk_free(&key);
		return -1;
	}
	/* key first: a cert without its key would be useless */
	if ((rc = cfgstore_write(agent_cfg.config_dir, "identity/host.key", keypem, strlen(keypem), 0600))) {
		snprintf(err, errlen, "cannot store the host identity in %s/identity: %s",
			 agent_cfg.config_dir, strerror(-rc));
		mbedtls_pk_free(&key);
		return -1;
	}
	rc = issue_host_cert(&key, cert_days(), err, errlen);
	mbedtls_pk_free(&key);
	if (rc == 0)
		wlog(WLOG_INFO, "tls", "created host identity %s/identity/host.pem", agent_cfg.config_dir);
	return rc;
}

static int load_identity(char *err, size_t errlen)
{
	char kp[512], cp[512];
	int rc;
	agent_path(kp, sizeof kp, agent_cfg.config_dir, "identity/host.key");
	agent_path(cp, sizeof cp, agent_cfg.config_dir, "identity/host.pem");
	if (access(kp, F_OK) != 0 || access(cp, F_OK) != 0)
		if (create_identity(err, errlen))
			return -1;
	mbedtls_pk_init(&host_key);
	if ((rc = mbedtls_pk_parse_keyfile(&host_key, kp, NULL, tls_rng, NULL))) {
		char e[160];
		tls_strerror(rc, e, sizeof e);
		snprintf(err, errlen, "%s: %s", kp, e);
		return -1;
	}
	return 0;
}

/* The host certificate into crt (checked against the key), its fingerprint
 * into fp. */
static int load_host_cert(mbedtls_x509_crt *crt, char fp[96], char *err, size_t errlen)
{
	char cp[512];
	int rc;
	agent_path(cp, sizeof cp, agent_cfg.config_dir, "identity/host.pem");
	if ((rc = mbedtls_x509_crt_parse_file(crt, cp)) ||
	    (rc = mbedtls_pk_check_pair(&crt->pk, &host_key, tls_rng, NULL))) {
		char e[160];
		tls_strerror(rc, e, sizeof e);
		snprintf(err, errlen, "%s: %s", cp, e);
		return -1;
	}
	tls_fingerprint(crt, fp);
	if (mbedtls_x509_time_is_past(&crt->valid_to))
		wlog(WLOG_ERR, "tls", "the host certificate expired on %04d-%02d-%02d: clients that check it refuse "
		     "this host; renew it (POST /api/v1/host/certificate/renew)", crt->valid_to.year,
		     crt->valid_to.mon, crt->valid_to.day);
	return 0;
}

int tls_load_trust_dir(const char *dir, mbedtls_x509_crt *chain)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pem") != 0 || e->d_name[0] == '.')
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		mbedtls_x509_crt one;
		mbedtls_x509_crt_init(&one);
		int rc = mbedtls_x509_crt_parse_file(&one, p);
		if (rc != 0) {
			char m[160];
			tls_strerror(rc, m, sizeof m);
			wlog(WLOG_WARN, "tls", "trust store: ignoring %s: %s", p, m);
		} else {
			for (mbedtls_x509_crt *c = &one; c && c->raw.len; c = c->next)
				if (mbedtls_x509_crt_parse_der(chain, c->raw.p, c->raw.len) == 0)
					n++;
		}
		mbedtls_x509_crt_free(&one);
	}
	closedir(d);
	return n;
}

/* The CRL the API installed (trust/revoked.crl), checked again against the
 * trust store; one that no longer verifies (its CA was replaced) is logged
 * and not used. Returns the number of CRLs in use. */
static int load_crl(mbedtls_x509_crl *crl, const mbedtls_x509_crt *ca)
{
	char p[512], e[256];
	agent_path(p, sizeof p, agent_cfg.config_dir, TLS_CRL_FILE);
	if (access(p, F_OK) != 0)
		return 0;
	int rc = mbedtls_x509_crl_parse_file(crl, p), n = 0;
	if (rc == 0 && tls_crl_verify(crl, ca, 0, e, sizeof e) == 0) {
		for (const mbedtls_x509_crl *c = crl; c && c->raw.len; c = c->next)
			n++;
		return n;
	}
	if (rc)
		tls_strerror(rc, e, sizeof e);
	wlog(WLOG_WARN, "tls", "%s not used: %s", p, e);
	mbedtls_x509_crl_free(crl);
	mbedtls_x509_crl_init(crl);
	return 0;
}

/* Certificate chain check at each handshake: an out-of-date CRL still
 * revokes what it lists (its nextUpdate passing must not lock every admin
 * out of a host that has no console); everything else as mbedTLS decides. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	(void)crt;
	(void)depth;
	static struct wlog_ratelimit rl = WLOG_RATELIMIT_INIT(3600000, 1);
	if (*flags & MBEDTLS_X509_BADCRL_EXPIRED) {
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCRL_EXPIRED;
		wlog_rl(&rl, WLOG_WARN, "tls", "the installed CRL is past its nextUpdate: install a fresh one "
			"(PUT /api/v1/host/trust/crl); it still revokes what it lists");
	}
	return 0;
}

static struct tls_ctx *build_ctx(char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof *t);
	char dir[512];
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->refs = 1;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_x509_crt_init(&t->own);
	mbedtls_x509_crl_init(&t->crl);
	if (load_host_cert(&t->own, t->fp, err, errlen)) {
		mbedtls_ssl_config_free(&t->conf);
		mbedtls_x509_crt_free(&t->ca);
		mbedtls_x509_crt_free(&t->own);
		free(t);
		return NULL;
	}
	agent_path(dir, sizeof dir, agent_cfg.config_dir, "trust");
	t->nca = tls_load_trust_dir(dir, &t->ca);
	if (t->nca)
		t->ncrl = load_crl(&t->crl, &t->ca);
	int rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER,
					     MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc == 0) {
		mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
		mbedtls_ssl_conf_max_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_3);
		mbedtls_ssl_conf_ciphersuites(&t->conf, tls_suites);
		mbedtls_ssl_conf_tls13_key_exchange_modes(&t->conf,
			MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
		mbedtls_ssl_conf_rng(&t->conf, tls_rng, NULL);
		/* empty trust store: enrollment is open, certificates optional */
		mbedtls_ssl_conf_authmode(&t->conf, t->nca ? MBEDTLS_SSL_VERIFY_REQUIRED
							   : MBEDTLS_SSL_VERIFY_OPTIONAL);
		if (t->nca) {
			mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, t->ncrl ? &t->crl : NULL);
			mbedtls_ssl_conf_verify(&t->conf, verify_cb, NULL);
		}
		rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->own, &host_key);
	}
	if (rc) {
		tls_strerror(rc, err, errlen);
		mbedtls_ssl_config_free(&t->conf);
		mbedtls_x509_crt_free(&t->ca);
		mbedtls_x509_crl_free(&t->crl);
		mbedtls_x509_crt_free(&t->own);
		free(t);
		return NULL;
	}
	return t;
}

int tls_server_init(char *err, size_t errlen)
{
	int rc = tls_rng_init();
	if (rc) {
		tls_strerror(rc, err, errlen);
		return -1;
	}
	if (load_identity(err, errlen))
		return -1;
	return tls_server_reload(err, errlen);
}

int tls_server_reload(char *err, size_t errlen)
{
	struct tls_ctx *t = build_ctx(err, errlen);
	if (!t)
		return -1;
	pthread_mutex_lock(&tls_lock);
	struct tls_ctx *old = cur;
	cur = t;
	int next = 1 - host_fp_cur;
	memcpy(host_fp[next], t->fp, sizeof host_fp[next]);
	__atomic_store_n(&host_fp_cur, next, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tls_lock);
	if (old)
		tls_ctx_put(old);
	wlog(WLOG_INFO, "tls", "trust store: %d CA certificate(s)%s", t->nca,
	     t->nca ? "" : "; enrollment is open");
	return 0;
}

struct tls_ctx *tls_ctx_get(void)
{
	pthread_mutex_lock(&tls_lock);
	struct tls_ctx *t = cur;
	if (t)
		t->refs++;
	pthread_mutex_unlock(&tls_lock);
	return t;
}

void tls_ctx_put(struct tls_ctx *t)
{
	pthread_mutex_lock(&tls_lock);
	int left = --t->refs;
	pthread_mutex_unlock(&tls_lock);
	if (left)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_x509_crl_free(&t->crl);
	mbedtls_x509_crt_free(&t->own);
	free(t);
}

int tls_trust_count(void)
{
	pthread_mutex_lock(&tls_lock);
	int n = cur ? cur->nca : 0;
	pthread_mutex_unlock(&tls_lock);
	return n;
}

const char *tls_host_fingerprint(void) { return host_fp[__atomic_load_n(&host_fp_cur, __ATOMIC_ACQUIRE)]; }

static void time_iso(const mbedtls_x509_time *t, char *out, size_t n)
{
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

void tls_host_validity(char *nb, char *na, size_t n)
{
	struct tls_ctx *t = tls_ctx_get();
	nb[0] = na[0] = '\0';
	if (t) {
		time_iso(&t->own.valid_from, nb, n);
		time_iso(&t->own.valid_to, na, n);
		tls_ctx_put(t);
	}
}

int tls_host_renew(int days, char *err, size_t errlen)
{
	static pthread_mutex_t renew_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&renew_lock);
	int rc = issue_host_cert(&host_key, days > 0 ? days : cert_days(), err, errlen);
	if (rc == 0)
		rc = tls_server_reload(err, errlen);
	pthread_mutex_unlock(&renew_lock);
	return rc;
}
