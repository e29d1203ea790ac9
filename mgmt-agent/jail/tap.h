/* tap.h: persistent tap devices attached to a bridge, for VM NICs. */
#ifndef WAFER_TAP_H
#define WAFER_TAP_H
#include <stddef.h>
/* Create (or reuse) tap `name`, enslave it to `bridge`, bring it up. */
int tap_create(const char *name, const char *bridge, char *err, size_t errlen);
/* An fd attached to existing tap `name` (for a jailed VMM without /dev/net/tun
 * or network namespace access); -1 with err. */
int tap_open(const char *name, char *err, size_t errlen);
/* Remove a persistent tap (missing is fine). */
void tap_delete(const char *name);
#endif
