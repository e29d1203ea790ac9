/* tls_x509.h: X.509 helpers shared by wafer-agent and waferctl: the random
 * generator, ECDSA P-256 key generation, certificate issuing (host identity,
 * development PKI), SHA-256 fingerprints, and the role in a client subject. */
#ifndef WAFER_TLS_X509_H
#define WAFER_TLS_X509_H
#include <stddef.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

/* One process-wide DRBG (thread-safe with MBEDTLS_THREADING_C). Also runs
 * psa_crypto_init(). Returns 0 or an mbedTLS error. */
int tls_rng_init(void);
int tls_rng(void *unused, unsigned char *out, size_t len);
mbedtls_ctr_drbg_context *tls_drbg(void);

/* Generate an ECDSA P-256 key; pem receives the private key PEM. */
int tls_gen_key(mbedtls_pk_context *key, char *pem, size_t pemlen);

struct tls_cert_req {
	const char *subject;       /* "CN=admin,O=wafer:admin" */
	const char *not_before;    /* "YYYYMMDDhhmmss" */
	const char *not_after;
	int is_ca;
	int client_auth;           /* extendedKeyUsage clientAuth */
	int server_auth;           /* extendedKeyUsage serverAuth */
	const char *const *dns;    /* NULL-terminated subjectAltName DNS names, or NULL */
	int ip_localhost;          /* subjectAltName IP 127.0.0.1 and ::1 */
};
/* Issue a certificate for subject_key signed by issuer_key/issuer_crt (NULL
 * issuer_crt: self-signed). pem receives the certificate PEM. */
int tls_issue_cert(const struct tls_cert_req *r, mbedtls_pk_context *subject_key,
		   mbedtls_pk_context *issuer_key, const mbedtls_x509_crt *issuer_crt,
		   char *pem, size_t pemlen);
/* "AB:CD:..." (95 characters + NUL) SHA-256 over the DER certificate. */
int tls_fingerprint(const mbedtls_x509_crt *crt, char out[96]);
/* Normalise a user-given fingerprint (hex with or without colons, any case)
 * to the "AB:CD:..." form. Returns 0 or -1 when it is not 32 bytes of hex. */
int tls_fingerprint_normalize(const char *in, char out[96]);
/* Role from the subject's one O= attribute: 2 admin, 1 reader, 0 none (also
 * for a subject with more than one O=). */
int tls_subject_role(const mbedtls_x509_crt *crt);
/* Check every CRL of the chain crl: issued by a CA of trust (issuer equals
 * its subject), signed by that CA's key, and (if check_expiry) not past its
 * nextUpdate. 0, or -1 with the reason in err. */
int tls_crl_verify(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *trust, int check_expiry, char *err,
		   size_t errlen);
/* Common name of the subject (or "?"). */
void tls_subject_cn(const mbedtls_x509_crt *crt, char *out, size_t outlen);
/* mbedTLS error code as text with a prefix. */
void tls_strerror(int rc, char *out, size_t outlen);
#endif
