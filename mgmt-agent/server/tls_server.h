/* tls_server.h: the server TLS context: host identity (created on first boot
 * in <config>/identity/ through lib/cfgstore), trust store (<config>/trust/
 * *.pem), and an mbedTLS configuration that allows only TLS 1.2/1.3 with AEAD
 * suites and ephemeral key exchange. The context is reference counted so an
 * enrollment can swap in a new trust store while connections are open. */
#ifndef WAFER_TLS_SERVER_H
#define WAFER_TLS_SERVER_H
/* The certificate revocation list PUT /api/v1/host/trust/crl installs,
 * relative to the config folder (not *.pem: the trust loader skips it). */
#define TLS_CRL_FILE "trust/revoked.crl"
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stddef.h>

struct tls_ctx {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	int nca;                 /* CAs in the trust store */
	mbedtls_x509_crl crl;    /* <config>/trust/revoked.crl, checked at every handshake */
	int ncrl;
	mbedtls_x509_crt own;    /* the host certificate this context presents */
	char fp[96];
	int refs;
};

/* Host certificates live TLS_CERT_DAYS_DEFAULT days (wafer.conf
 * agent_cert_days, 1-3650) from their issue; renewal issues a new one for
 * the same key (docs/security.md, "Host certificate"). */
#define TLS_CERT_DAYS_DEFAULT 365

/* Load or create the identity, load the trust store, build the context. */
int tls_server_init(char *err, size_t errlen);
/* Rebuild after the trust store changed. */
int tls_server_reload(char *err, size_t errlen);
struct tls_ctx *tls_ctx_get(void);
void tls_ctx_put(struct tls_ctx *t);
const char *tls_host_fingerprint(void);
/* Validity of the certificate in use, "YYYY-MM-DDThh:mm:ssZ". */
void tls_host_validity(char *not_before, char *not_after, size_t n);
/* A new host certificate for the same key, valid from now for days; stored
 * and in use from the next handshake on. 0, or -1 with err. */
int tls_host_renew(int days, char *err, size_t errlen);
int tls_trust_count(void);
/* Load every *.pem of dir into chain; returns the number of certificates,
 * logging files that do not parse. */
int tls_load_trust_dir(const char *dir, mbedtls_x509_crt *chain);
#endif
