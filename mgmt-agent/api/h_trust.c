/* h_trust.c: the certificate revocation list of the trust store:
 * GET, PUT and DELETE /api/v1/host/trust/crl (docs/security.md, "Trust"),
 * and POST /api/v1/host/certificate/renew (the host's own certificate).
 * A CRL is accepted only when a CA of the trust store signed it and it is
 * not out of date; it is then checked at every TLS handshake. */
#include "agent.h"
#include "server/api.h"
#include "cfgstore.h"
#include "server/events.h"
#include "fsutil.h"
#include "handlers.h"
#include "server/tls_server.h"
#include "tls_x509.h"
#include "wlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void time_str(const mbedtls_x509_time *t, char *out, size_t n)
{
	if (!t->year)
		snprintf(out, n, "none");
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* {"crls": [{"issuer", "this_update", "next_update", "revoked"}...]} */
static void reply_crl(struct api_ctx *x, int status, const mbedtls_x509_crl *crl)
{
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "crls");
	json_w_arr_begin(&w);
	for (const mbedtls_x509_crl *c = crl; c && c->raw.len; c = c->next) {
		char s[256];
		int revoked = 0;
		for (const mbedtls_x509_crl_entry *e = &c->entry; e && e->raw.len; e = e->next)
			revoked++;
		json_w_obj_begin(&w);
		mbedtls_x509_dn_gets(s, sizeof s, &c->issuer);
		json_w_kstr(&w, "issuer", s);
		time_str(&c->this_update, s, sizeof s);
		json_w_kstr(&w, "this_update", s);
		time_str(&c->next_update, s, sizeof s);
		json_w_kstr(&w, "next_update", s);
		json_w_kint(&w, "revoked", revoked);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	api_reply_w(x, status, &w);
}

/* Parse PEM (NUL-terminated, the length counts the NUL) or DER. */
static int parse(mbedtls_x509_crl *crl, const char *buf, size_t len)
{
	int pem = len >= 10 && strstr(buf, "-----BEGIN X509 CRL-----") != NULL;
	return mbedtls_x509_crl_parse(crl, (const unsigned char *)buf, pem ? len + 1 : len);
}

void h_trust_crl_get(struct api_ctx *x)
{
	char p[512], *buf;
	size_t len;
	agent_path(p, sizeof p, agent_cfg.config_dir, TLS_CRL_FILE);
	int rc = fs_read_file(p, 1 << 20, &buf, &len);
	if (rc) {
		if (rc == -ENOENT)
			api_error(x, 404, "not_found", "no CRL is installed");
		else
			api_error(x, 500, "storage", "cannot read %s: %s", p, strerror(-rc));
		return;
	}
	mbedtls_x509_crl crl;
	mbedtls_x509_crl_init(&crl);
	if (parse(&crl, buf, len) == 0)
		reply_crl(x, 200, &crl);
	else
		api_error(x, 500, "storage", "the installed CRL %s cannot be parsed", p);
	mbedtls_x509_crl_free(&crl);
	free(buf);
}

void h_trust_crl_put(struct api_ctx *x)
{
	char *buf, why[300], e[160];
	size_t len;
	if (api_body_all(x, &buf, &len))
		return;
	mbedtls_x509_crl crl;
	mbedtls_x509_crl_init(&crl);
	int rc = parse(&crl, buf, len);
	struct tls_ctx *t = tls_ctx_get();
	if (rc) {
		tls_strerror(rc, e, sizeof e);
		api_error(x, 400, "invalid_crl", "not a CRL (PEM or DER): %s", e);
	} else if (!t || !t->nca) {
		api_error(x, 409, "conflict", "the trust store is empty: enroll a CA first");
	} else if (tls_crl_verify(&crl, &t->ca, 1, why, sizeof why)) {
		api_error(x, 400, "invalid_crl", "%s", why);
	} else if ((rc = cfgstore_write(agent_cfg.config_dir, TLS_CRL_FILE, buf, len, 0644))) {
		api_error(x, 500, "storage", "cannot store the CRL: %s", strerror(-rc));
	} else if (tls_server_reload(why, sizeof why)) {
		api_error(x, 500, "internal", "CRL stored but TLS reload failed: %s", why);
	} else {
		wlog(WLOG_INFO, "trust", "%s (%s): CRL installed; checked from the next handshake on", x->c->cn,
		     x->c->peer);
		events_post_str("host.trust", NULL, "action", "crl_installed");
		reply_crl(x, 200, &crl);
	}
	if (t)
		tls_ctx_put(t);
	mbedtls_x509_crl_free(&crl);
	free(buf);
}

void h_trust_crl_delete(struct api_ctx *x)
{
	char why[300], p[512];
	agent_path(p, sizeof p, agent_cfg.config_dir, TLS_CRL_FILE);
	int rc = access(p, F_OK) != 0 ? -ENOENT : cfgstore_remove(agent_cfg.config_dir, TLS_CRL_FILE);
	if (rc == -ENOENT) {
		api_error(x, 404, "not_found", "no CRL is installed");
	} else if (rc) {
		api_error(x, 500, "storage", "cannot remove the CRL: %s", strerror(-rc));
	} else if (tls_server_reload(why, sizeof why)) {
		api_error(x, 500, "internal", "CRL removed but TLS reload failed: %s", why);
	} else {
		wlog(WLOG_INFO, "trust", "%s (%s): CRL removed", x->c->cn, x->c->peer);
		events_post_str("host.trust", NULL, "action", "crl_removed");
		api_reply(x, 204, "application/json", "", 0, NULL);
	}
}

/* POST /api/v1/host/certificate/renew [{"days": N}]: a new host certificate
 * for the same key; the reply carries the new fingerprint to pin. */
void h_host_cert_renew(struct api_ctx *x)
{
	char err[256], nb[32], na[32];
	int days = 0;
	if (!x->body_done) {
		struct json_doc d;
		static const char *const keys[] = { "days", NULL };
		if (api_body_json(x, &d))
			return;
		const struct json_node *r = json_root(&d);
		int64_t v = 0;
		if (json_check_keys(r, keys, err, sizeof err) ||
		    (json_get(r, "days") && json_get_int_range(r, "days", 1, 3650, &v, err, sizeof err))) {
			json_doc_free(&d);
			api_error(x, 400, "invalid_field", "%s", err);
			return;
		}
		days = (int)v;
		json_doc_free(&d);
	}
	if (tls_host_renew(days, err, sizeof err)) {
		api_error(x, 500, "internal", "cannot renew the host certificate: %s", err);
		return;
	}
	tls_host_validity(nb, na, sizeof nb);
	wlog(WLOG_INFO, "tls", "%s (%s): host certificate renewed, valid until %s, fingerprint %s", x->c->cn,
	     x->c->peer, na, tls_host_fingerprint());
	events_post_str("host.certificate", NULL, "action", "renewed");
	agent_status_write();
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "fingerprint", tls_host_fingerprint());
	json_w_kstr(&w, "not_before", nb);
	json_w_kstr(&w, "not_after", na);
	json_w_obj_end(&w);
	api_reply_w(x, 200, &w);
}
