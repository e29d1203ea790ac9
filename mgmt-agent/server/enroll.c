/* enroll.c: the enrollment token, the status file, and POST /api/v1/enroll. */
#include "enroll.h"
#include "agent.h"
#include "api.h"
#include "cfgstore.h"
#include "enroll_limit.h"
#include "events.h"
#include "fsutil.h"
#include "tls_server.h"
#include "tls_x509.h"
#include "wlog.h"

#include <arpa/inet.h>
#include <mbedtls/constant_time.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t enroll_lock = PTHREAD_MUTEX_INITIALIZER;
static char token[32];
/* guesses: per address (enroll_limit.h) and, against many addresses at
 * once, at most 60 a minute in all (docs/security.md has the arithmetic) */
static struct wlog_ratelimit enroll_rl = WLOG_RATELIMIT_INIT(60000, 60);

static void new_token(void)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[16];
	tls_rng(NULL, r, sizeof r);
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			token[o++] = '-';
		token[o++] = alphabet[r[i] & 31];
	}
	token[o] = '\0';
}

void enroll_init(void)
{
	pthread_mutex_lock(&enroll_lock);
	if (tls_trust_count() == 0)
		new_token();
	else
		token[0] = '\0';
	pthread_mutex_unlock(&enroll_lock);
	agent_status_write();
	if (token[0])
		wlog(WLOG_INFO, "enroll", "trust store empty: enrollment open (token on the status screen)");
}

bool enroll_open(void)
{
	pthread_mutex_lock(&enroll_lock);
	bool open = token[0] != '\0';
	pthread_mutex_unlock(&enroll_lock);
	return open;
}

void enroll_token(char *out, size_t outlen)
{
	pthread_mutex_lock(&enroll_lock);
	snprintf(out, outlen, "%s", token);
	pthread_mutex_unlock(&enroll_lock);
}

static void api_url(char *out, size_t outlen)
{
	struct ifaddrs *ifa, *i;
	char ip[64] = "";
	if (getifaddrs(&ifa) == 0) {
		for (int pass = 0; pass < 2 && !ip[0]; pass++)
			for (i = ifa; i && !ip[0]; i = i->ifa_next) {
				if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
				    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
					continue;
				if (pass == 0 && strcmp(i->ifa_name, "br0") != 0)
					continue;
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
			}
		freeifaddrs(ifa);
	}
	if (!ip[0])
		out[0] = '\0';
	else if (agent_cfg.port == 443)
		snprintf(out, outlen, "https://%s/", ip);
	else
		snprintf(out, outlen, "https://%s:%d/", ip, agent_cfg.port);
}

void agent_status_write(void)
{
	char dir[512], path[600], url[128], tok[32], buf[1024];
	agent_path(dir, sizeof dir, agent_cfg.run_dir, "status");
	if (fs_mkdir_p(dir, 0755))
		return;
	snprintf(path, sizeof path, "%s/agent", dir);
	api_url(url, sizeof url);
	enroll_token(tok, sizeof tok);
	int n = snprintf(buf, sizeof buf, "fingerprint=%s\nenrollment=%s\n%s%s%sapi_url=%s\n",
			 tls_host_fingerprint(), tok[0] ? "open" : "closed",
			 tok[0] ? "token=" : "", tok, tok[0] ? "\n" : "", url);
	/* only rewrite when it changed: the status screen polls it */
	char *old = NULL;
	size_t olen = 0;
	if (fs_read_file(path, 4096, &old, &olen) == 0 && olen == (size_t)n && memcmp(old, buf, olen) == 0) {
		free(old);
		return;
	}
	free(old);
	/* 0600: it holds the enrollment token; init (root) shows it on the
	 * status screen, no other local user may read it */
	int rc = fs_write_atomic(path, buf, (size_t)n, 0600);
	if (rc)
		wlog(WLOG_WARN, "status", "cannot write %s: %s", path, strerror(-rc));
}

/* Validates a CA certificate PEM; returns 0 or -1 with msg. */
static int check_ca(const char *pem, size_t len, char *msg, size_t msglen)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, len + 1);
	if (rc != 0) {
		char e[160];
		tls_strerror(rc, e, sizeof e);
		snprintf(msg, msglen, "'ca_pem' is not a valid PEM certificate: %s", e);
	} else if (!crt.MBEDTLS_PRIVATE(ca_istrue)) {
		rc = -1;
		snprintf(msg, msglen, "'ca_pem' is not a CA certificate (basicConstraints CA:TRUE missing)");
	} else if (mbedtls_x509_time_is_past(&crt.valid_to)) {
		rc = -1;
		snprintf(msg, msglen, "'ca_pem' has expired");
	}
	mbedtls_x509_crt_free(&crt);
	return rc ? -1 : 0;
}

static void enroll_fail(struct api_ctx *x, int status, const char *code, const char *msg)
{
	api_error(x, status, code, "%s", msg);
}

void h_enroll(struct api_ctx *x)
{
	struct json_doc d;
	char msg[256];
	static const char *const keys[] = { "token", "ca_pem", NULL };
	pthread_mutex_lock(&enroll_lock);
	int wait_s = enroll_limit_wait(x->c->ip, (int64_t)wlog_now_ms());
	pthread_mutex_unlock(&enroll_lock);
	if (wait_s > 0) {
		x->retry_after_s = wait_s;
		enroll_fail(x, 429, "rate_limited", "too many wrong enrollment tokens from this address; try again later");
		return;
	}
	if (!wlog_rl_allow(&enroll_rl, NULL)) {
		x->retry_after_s = 60;
		enroll_fail(x, 429, "rate_limited", "too many enrollment attempts on this host; wait a minute");
		return;
	}
	if (!enroll_open()) {
		enroll_fail(x, 409, "enrollment_closed", "enrollment is closed: the trust store already has a CA");
		return;
	}
	if (api_body_json(x, &d))
		return;
	const struct json_node *r = json_root(&d);
	const char *tok = json_get_str(r, "token"), *pem = json_get_str(r, "ca_pem");
	if (json_check_keys(r, keys, msg, sizeof msg)) {
		enroll_fail(x, 400, "invalid_field", msg);
	} else if (!tok || !pem) {
		enroll_fail(x, 400, "invalid_field", "'token' and 'ca_pem' (strings) are required");
	} else {
		pthread_mutex_lock(&enroll_lock);
		/* constant time: the reply's timing says nothing of how much matched */
		size_t tl = strlen(token);
		bool ok = tl && strlen(tok) == tl && mbedtls_ct_memcmp(tok, token, tl) == 0;
		if (!ok)
			enroll_limit_failed(x->c->ip, (int64_t)wlog_now_ms());
		if (!ok) {
			pthread_mutex_unlock(&enroll_lock);
			wlog(WLOG_WARN, "enroll", "%s: wrong enrollment token", x->c->peer);
			enroll_fail(x, 403, "bad_token", "the enrollment token is wrong");
		} else if (check_ca(pem, strlen(pem), msg, sizeof msg)) {
			pthread_mutex_unlock(&enroll_lock);
			enroll_fail(x, 400, "invalid_field", msg);
		} else {
			int rc = cfgstore_write(agent_cfg.config_dir, "trust/enrolled-ca.pem", pem, strlen(pem), 0644);
			if (rc == 0) {
				token[0] = '\0';
				enroll_limit_reset();
			}
			pthread_mutex_unlock(&enroll_lock);
			char e[256] = "";
			if (rc) {
				api_error(x, 500, "storage", "cannot write the trust store: %s", strerror(-rc));
			} else if (tls_server_reload(e, sizeof e)) {
				api_error(x, 500, "internal", "CA stored but TLS reload failed: %s", e);
			} else {
				agent_status_write();
				wlog(WLOG_INFO, "enroll", "%s: CA enrolled; enrollment closed", x->c->peer);
				events_post("host.enrolled", NULL, NULL);
				struct json_w w;
				json_w_init(&w);
				json_w_obj_begin(&w);
				json_w_kbool(&w, "enrolled", true);
				json_w_kstr(&w, "fingerprint", tls_host_fingerprint());
				json_w_obj_end(&w);
				api_reply_w(x, 201, &w);
			}
		}
	}
	json_doc_free(&d);
}
