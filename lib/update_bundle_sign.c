/* update_bundle_sign.c: the signature block of an update bundle: deterministic
 * ECDSA P-256 over SHA-256 of the 256-byte header (build machine side). */
#include "update_bundle.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>

int upd_sign_header(const uint8_t hdr[UPD_HEADER_SIZE], void *key,
		    int (*rng)(void *, unsigned char *, size_t), void *rng_ctx,
		    uint8_t sig[UPD_SIG_SIZE], char *err, size_t errlen)
{
	mbedtls_pk_context *pk = key;
	uint8_t hash[32];
	size_t len = 0;
	psa_crypto_init();
	if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || mbedtls_pk_get_bitlen(pk) != 256) {
		snprintf(err, errlen, "sign: the release key is not an ECDSA P-256 key");
		return -1;
	}
	memset(sig, 0, UPD_SIG_SIZE);
	int rc = mbedtls_sha256(hdr, UPD_HEADER_SIZE, hash, 0);
	if (!rc)
		rc = mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig + 2, UPD_SIG_SIZE - 2, &len, rng, rng_ctx);
	if (rc) {
		snprintf(err, errlen, "sign: ECDSA signature failed (mbedtls -0x%04x)", (unsigned)-rc);
		return -1;
	}
	/* mbedTLS converts the raw signature to DER in place: clear what follows. */
	memset(sig + 2 + len, 0, UPD_SIG_SIZE - 2 - len);
	sig[0] = (uint8_t)len;
	sig[1] = (uint8_t)(len >> 8);
	return 0;
}
