/* tls_x509.c: keys, certificates, fingerprints and roles (see tls_x509.h). */
#include "tls_x509.h"

#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>
#include <psa/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static mbedtls_entropy_context tls_entropy;
static mbedtls_ctr_drbg_context tls_ctr;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_init_rc;

static void tls_rng_once(void)
{
	static const char pers[] = "wafer";
	if (psa_crypto_init() != PSA_SUCCESS) {
		tls_init_rc = MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
		return;
	}
	mbedtls_entropy_init(&tls_entropy);
	mbedtls_ctr_drbg_init(&tls_ctr);
	tls_init_rc = mbedtls_ctr_drbg_seed(&tls_ctr, mbedtls_entropy_func, &tls_entropy,
					    (const unsigned char *)pers, sizeof pers - 1);
}

int tls_rng_init(void)
{
	pthread_once(&tls_once, tls_rng_once);
	return tls_init_rc;
}

int tls_rng(void *unused, unsigned char *out, size_t len)
{
	(void)unused;
	return mbedtls_ctr_drbg_random(&tls_ctr, out, len);
}

mbedtls_ctr_drbg_context *tls_drbg(void)
{
	return &tls_ctr;
}

void tls_strerror(int rc, char *out, size_t outlen)
{
	char b[128];
	mbedtls_strerror(rc, b, sizeof b);
	snprintf(out, outlen, "%s (-0x%04x)", b, (unsigned)-rc);
}

int tls_gen_key(mbedtls_pk_context *key, char *pem, size_t pemlen)
{
	int rc = mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (rc == 0)
		rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key), tls_rng, NULL);
	if (rc == 0 && pem)
		rc = mbedtls_pk_write_key_pem(key, (unsigned char *)pem, pemlen);
	return rc;
}

static int add_san(const struct tls_cert_req *r, mbedtls_x509write_cert *w)
{
	mbedtls_x509_san_list list[12];
	static const unsigned char ip4[4] = { 127, 0, 0, 1 };
	static const unsigned char ip6[16] = { [15] = 1 };
	int n = 0;
	memset(list, 0, sizeof list);
	for (const char *const *d = r->dns; d && *d && n < 10; d++) {
		list[n].node.type = MBEDTLS_X509_SAN_DNS_NAME;
		list[n].node.san.unstructured_name.p = (unsigned char *)*d;
		list[n].node.san.unstructured_name.len = strlen(*d);
		n++;
	}
	if (r->ip_localhost) {
		list[n].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
		list[n].node.san.unstructured_name.p = (unsigned char *)ip4;
		list[n].node.san.unstructured_name.len = 4;
		n++;
		list[n].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
		list[n].node.san.unstructured_name.p = (unsigned char *)ip6;
		list[n].node.san.unstructured_name.len = 16;
		n++;
	}
	if (!n)
		return 0;
	for (int i = 0; i + 1 < n; i++)
		list[i].next = &list[i + 1];
	return mbedtls_x509write_crt_set_subject_alternative_name(w, list);
}

static int add_eku(const struct tls_cert_req *r, mbedtls_x509write_cert *w)
{
	mbedtls_asn1_sequence eku[2];
	int n = 0;
	memset(eku, 0, sizeof eku);
	if (r->server_auth) {
		eku[n].buf.tag = MBEDTLS_ASN1_OID;
		eku[n].buf.p = (unsigned char *)MBEDTLS_OID_SERVER_AUTH;
		eku[n].buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);
		n++;
	}
	if (r->client_auth) {
		eku[n].buf.tag = MBEDTLS_ASN1_OID;
		eku[n].buf.p = (unsigned char *)MBEDTLS_OID_CLIENT_AUTH;
		eku[n].buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH);
		n++;
	}
	if (!n)
		return 0;
	if (n == 2)
		eku[0].next = &eku[1];
	return mbedtls_x509write_crt_set_ext_key_usage(w, eku);
}

int tls_issue_cert(const struct tls_cert_req *r, mbedtls_pk_context *subject_key,
		   mbedtls_pk_context *issuer_key, const mbedtls_x509_crt *issuer_crt,
		   char *pem, size_t pemlen)
{
	mbedtls_x509write_cert w;
	unsigned char serial[16];
	char issuer_name[256];
	int rc;
	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
	if ((rc = tls_rng(NULL, serial, sizeof serial)) != 0)
		goto out;
	serial[0] &= 0x7f;
	serial[0] |= 0x01;
	if (issuer_crt) {
		rc = mbedtls_x509_dn_gets(issuer_name, sizeof issuer_name, &issuer_crt->subject);
		if (rc < 0)
			goto out;
	} else {
		snprintf(issuer_name, sizeof issuer_name, "%s", r->subject);
	}
	if ((rc = mbedtls_x509write_crt_set_serial_raw(&w, serial, sizeof serial)) ||
	    (rc = mbedtls_x509write_crt_set_subject_name(&w, r->subject)) ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(&w, issuer_name)) ||
	    (rc = mbedtls_x509write_crt_set_validity(&w, r->not_before, r->not_after)) ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&w, r->is_ca, r->is_ca ? 0 : -1)) ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&w, r->is_ca ?
			MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN |
			MBEDTLS_X509_KU_DIGITAL_SIGNATURE :
			MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_AGREEMENT)) ||
	    (rc = add_eku(r, &w)) || (rc = add_san(r, &w)))
		goto out;
	rc = mbedtls_x509write_crt_pem(&w, (unsigned char *)pem, pemlen, tls_rng, NULL);
out:
	mbedtls_x509write_crt_free(&w);
	return rc;
}

int tls_fingerprint(const mbedtls_x509_crt *crt, char out[96])
{
	unsigned char h[32];
	int rc = mbedtls_sha256(crt->raw.p, crt->raw.len, h, 0);
	if (rc)
		return rc;
	for (int i = 0; i < 32; i++)
		snprintf(out + i * 3, 4, "%02X%s", h[i], i < 31 ? ":" : "");
	return 0;
}

int tls_fingerprint_normalize(const char *in, char out[96])
{
	int n = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p) || n >= 64)
			return -1;
		char c = *p >= 'a' ? (char)(*p - 32) : *p;
		out[(n / 2) * 3 + n % 2] = c;
		if (n % 2 == 1)
			out[(n / 2) * 3 + 2] = n < 63 ? ':' : '\0';
		n++;
	}
	return n == 64 ? 0 : -1;
}

/* The role is the subject's one Organization (O) attribute: "wafer:admin"
 * or "wafer:reader". A subject with any other O, or with more than one O
 * (which one would count?), has no role: 403 (docs/security.md). */
int tls_subject_role(const mbedtls_x509_crt *crt)
{
	int role = 0, norg = 0;
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORGANIZATION, &n->oid) != 0)
			continue;
		norg++;
		if (n->val.len == 11 && memcmp(n->val.p, "wafer:admin", 11) == 0)
			role = 2;
		else if (n->val.len == 12 && memcmp(n->val.p, "wafer:reader", 12) == 0)
			role = 1;
	}
	return norg == 1 ? role : 0;
}

int tls_crl_verify(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *trust, int check_expiry, char *err,
		   size_t errlen)
{
	for (const mbedtls_x509_crl *c = crl; c && c->raw.len; c = c->next) {
		const mbedtls_x509_crt *ca = NULL;
		for (const mbedtls_x509_crt *t = trust; t && t->raw.len && !ca; t = t->next)
			if (t->subject_raw.len == c->issuer_raw.len &&
			    memcmp(t->subject_raw.p, c->issuer_raw.p, c->issuer_raw.len) == 0)
				ca = t;
		char issuer[256] = "?";
		mbedtls_x509_dn_gets(issuer, sizeof issuer, &c->issuer);
		if (!ca) {
			snprintf(err, errlen, "the CRL of '%s' is not from a CA in the trust store", issuer);
			return -1;
		}
		const mbedtls_md_info_t *md = mbedtls_md_info_from_type(c->MBEDTLS_PRIVATE(sig_md));
		unsigned char hash[MBEDTLS_MD_MAX_SIZE];
		if (!md || mbedtls_md(md, c->tbs.p, c->tbs.len, hash) != 0 ||
		    mbedtls_pk_verify_ext(c->MBEDTLS_PRIVATE(sig_pk), c->MBEDTLS_PRIVATE(sig_opts),
					  (mbedtls_pk_context *)&ca->pk, c->MBEDTLS_PRIVATE(sig_md), hash,
					  mbedtls_md_get_size(md), c->MBEDTLS_PRIVATE(sig).p,
					  c->MBEDTLS_PRIVATE(sig).len) != 0) {
			snprintf(err, errlen, "the CRL of '%s' is not signed by that CA's key", issuer);
			return -1;
		}
		if (check_expiry && c->next_update.year && mbedtls_x509_time_is_past(&c->next_update)) {
			snprintf(err, errlen, "the CRL of '%s' is out of date (nextUpdate %04d-%02d-%02d passed)", issuer,
				 c->next_update.year, c->next_update.mon, c->next_update.day);
			return -1;
		}
	}
	return 0;
}

void tls_subject_cn(const mbedtls_x509_crt *crt, char *out, size_t outlen)
{
	snprintf(out, outlen, "?");
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0)
			continue;
		size_t l = n->val.len < outlen - 1 ? n->val.len : outlen - 1;
		for (size_t i = 0; i < l; i++) {
			unsigned char c = n->val.p[i];
			out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		out[l] = '\0';
	}
}
