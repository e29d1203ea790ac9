/* ctl_pki.c: `waferctl pki dev DIR`: a development PKI made with mbedTLS (no
 * openssl needed): ca.pem/ca.key, admin.pem/key (O=wafer:admin),
 * reader.pem/key (O=wafer:reader), and for tests expired.pem/key (an admin
 * certificate that expired in 2021) plus foreign-ca.pem and foreign.pem/key
 * (an admin certificate from a CA the host does not trust). */
#include "ctl.h"
#include "fsutil.h"
#include "tls_x509.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct pki_ca {
	mbedtls_pk_context key;
	mbedtls_x509_crt crt;
};

static int save(const char *dir, const char *name, const char *data, mode_t mode)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int rc = fs_write_atomic(p, data, strlen(data), mode);
	if (rc)
		fprintf(stderr, "waferctl: cannot write %s: %s\n", p, strerror(-rc));
	return rc;
}

static int fail(const char *what, int rc)
{
	char e[160];
	tls_strerror(rc, e, sizeof e);
	fprintf(stderr, "waferctl: pki: %s: %s\n", what, e);
	return 1;
}

static int make_ca(const char *dir, const char *base, const char *subject, struct pki_ca *ca)
{
	static char kpem[1024], cpem[4096];
	char n[64];
	int rc;
	struct tls_cert_req r = { .subject = subject, .not_before = "20240101000000",
				  .not_after = "20441231235959", .is_ca = 1 };
	mbedtls_pk_init(&ca->key);
	mbedtls_x509_crt_init(&ca->crt);
	if ((rc = tls_gen_key(&ca->key, kpem, sizeof kpem)) ||
	    (rc = tls_issue_cert(&r, &ca->key, &ca->key, NULL, cpem, sizeof cpem)))
		return fail(subject, rc);
	if ((rc = mbedtls_x509_crt_parse(&ca->crt, (unsigned char *)cpem, strlen(cpem) + 1)))
		return fail("parse CA", rc);
	snprintf(n, sizeof n, "%s.key", base);
	if (save(dir, n, kpem, 0600))
		return 1;
	snprintf(n, sizeof n, "%s.pem", base);
	return save(dir, n, cpem, 0644) ? 1 : 0;
}

static int make_leaf(const char *dir, const char *base, const char *subject, const char *nb,
		     const char *na, struct pki_ca *ca)
{
	static char kpem[1024], cpem[4096];
	char n[64];
	int rc;
	mbedtls_pk_context key;
	struct tls_cert_req r = { .subject = subject, .not_before = nb, .not_after = na, .client_auth = 1 };
	mbedtls_pk_init(&key);
	rc = tls_gen_key(&key, kpem, sizeof kpem);
	if (!rc)
		rc = tls_issue_cert(&r, &key, &ca->key, &ca->crt, cpem, sizeof cpem);
	mbedtls_pk_free(&key);
	if (rc)
		return fail(subject, rc);
	snprintf(n, sizeof n, "%s.key", base);
	if (save(dir, n, kpem, 0600))
		return 1;
	snprintf(n, sizeof n, "%s.pem", base);
	return save(dir, n, cpem, 0644) ? 1 : 0;
}

int ctl_cmd_pki(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "dev") != 0) {
		fprintf(stderr, "usage: waferctl pki dev DIR\n");
		return 2;
	}
	const char *dir = argv[2];
	int rc = fs_mkdir_p(dir, 0700);
	if (rc) {
		fprintf(stderr, "waferctl: cannot create %s: %s\n", dir, strerror(-rc));
		return 1;
	}
	if ((rc = tls_rng_init()))
		return fail("random generator", rc);
	struct pki_ca ca, foreign;
	int bad = make_ca(dir, "ca", "CN=Wafer Development CA,O=wafer:dev", &ca) ||
		  make_leaf(dir, "admin", "CN=admin,O=wafer:admin", "20240101000000", "20341231235959", &ca) ||
		  make_leaf(dir, "reader", "CN=reader,O=wafer:reader", "20240101000000", "20341231235959", &ca) ||
		  make_leaf(dir, "norole", "CN=norole,O=somebody", "20240101000000", "20341231235959", &ca) ||
		  make_leaf(dir, "expired", "CN=expired,O=wafer:admin", "20200101000000", "20211231235959", &ca) ||
		  make_ca(dir, "foreign-ca", "CN=Foreign CA,O=elsewhere", &foreign) ||
		  make_leaf(dir, "foreign", "CN=intruder,O=wafer:admin", "20240101000000", "20341231235959", &foreign);
	if (!bad)
		printf("development PKI in %s: ca.pem, admin.pem/key, reader.pem/key, norole.pem/key, "
		       "expired.pem/key, foreign-ca.pem, foreign.pem/key\n", dir);
	return bad ? 1 : 0;
}
