/* enroll.h: first-CA enrollment. While the trust store is empty the agent
 * holds a one-time token (shown on the status screen); POST /api/v1/enroll
 * with that token and a CA certificate installs the CA and closes enrollment.
 * Attempts are rate limited; the token is single use. */
#ifndef WAFER_ENROLL_H
#define WAFER_ENROLL_H
#include <stdbool.h>
#include <stddef.h>

void enroll_init(void);
bool enroll_open(void);
/* Copies the token ("" when closed). */
void enroll_token(char *out, size_t outlen);
#endif
