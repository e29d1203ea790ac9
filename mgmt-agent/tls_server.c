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
#include <unistd.h>

static mbedtls_x509_crt host_crt;
static mbedtls_pk_context host_key;
static char host_fp[96];
static char *host_pem;
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

static int create_identity(char *err, size_t errlen)
{
	static char keypem[512], crtpem[2048];
	char host[64] = "wafer", cn[96];
	int rc;
	mbedtls_pk_context key;
	mbedtls_pk_init(&key);
	gethostname(host, sizeof host - 1);
	snprintf(cn, sizeof cn, "CN=%s,O=wafer:host", host);
	const char *dns[] = { host, "localhost", NULL };
	struct tls_cert_req r = { .subject = cn, .not_before = "20240101000000",
				  .not_after = "20491231235959", .server_auth = 1,
				  .dns = dns, .ip_localhost = 1 };
	if ((rc = tls_gen_key(&key, keypem, sizeof keypem)) ||
	    (rc = tls_issue_cert(&r, &key, &key, NULL, crtpem, sizeof crtpem))) {
		tls_strerror(rc, err, errlen);
		mbedtls_pk_free(&key);
		return -1;
	}
	mbedtls_pk_free(&key);
	/* key first: a cert without its key would be useless */
	if ((rc = cfgstore_write(agent_cfg.config_dir, "identity/host.key", keypem, strlen(keypem), 0600)) ||
	    (rc = cfgstore_write(agent_cfg.config_dir, "identity/host.pem", crtpem, strlen(crtpem), 0644))) {
		snprintf(err, errlen, "cannot store the host identity in %s/identity: %s",
			 agent_cfg.config_dir, strerror(-rc));
		return -1;
	}
	wlog(WLOG_INFO, "tls", "created host identity %s/identity/host.pem", agent_cfg.config_dir);
	return 0;
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
	mbedtls_x509_crt_init(&host_crt);
	mbedtls_pk_init(&host_key);
	if ((rc = mbedtls_x509_crt_parse_file(&host_crt, cp))) {
		char e[160];
		tls_strerror(rc, e, sizeof e);
		snprintf(err, errlen, "%s: %s", cp, e);
		return -1;
	}
	if ((rc = mbedtls_pk_parse_keyfile(&host_key, kp, NULL, tls_rng, NULL)) ||
	    (rc = mbedtls_pk_check_pair(&host_crt.pk, &host_key, tls_rng, NULL))) {
		char e[160];
		tls_strerror(rc, e, sizeof e);
		snprintf(err, errlen, "%s: %s", kp, e);
		return -1;
	}
	tls_fingerprint(&host_crt, host_fp);
	size_t len;
	fs_read_file(cp, 65536, &host_pem, &len);
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
	agent_path(dir, sizeof dir, agent_cfg.config_dir, "trust");
	t->nca = tls_load_trust_dir(dir, &t->ca);
	mbedtls_x509_crl_init(&t->crl);
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
		rc = mbedtls_ssl_conf_own_cert(&t->conf, &host_crt, &host_key);
	}
	if (rc) {
		tls_strerror(rc, err, errlen);
		mbedtls_ssl_config_free(&t->conf);
		mbedtls_x509_crt_free(&t->ca);
		mbedtls_x509_crl_free(&t->crl);
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
	free(t);
}

int tls_trust_count(void)
{
	pthread_mutex_lock(&tls_lock);
	int n = cur ? cur->nca : 0;
	pthread_mutex_unlock(&tls_lock);
	return n;
}

const char *tls_host_fingerprint(void) { return host_fp; }
const char *tls_host_cert_pem(void) { return host_pem ? host_pem : ""; }
