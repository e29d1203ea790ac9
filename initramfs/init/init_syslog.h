/* init_syslog.h: optional forwarding of the log ring to a remote syslog
 * server, RFC 5424 over UDP (one datagram per record) or TCP (octet-counted
 * frames, RFC 6587), resuming from where it stopped after a reconnect. */
#ifndef INIT_SYSLOG_H
#define INIT_SYSLOG_H
#include <stddef.h>
#include <stdint.h>
struct logrec;

/* url: "udp://host[:port]" or "tcp://host[:port]" (validated by the config
 * parser); "" disables forwarding. */
void syslog_start(const char *url);
/* Once a second: (re)connect when due. */
void syslog_tick(void);

/* Format one record as RFC 5424: "<PRI>1 TIMESTAMP HOST TAG - - - MSG"
 * (control characters replaced; PRI with a facility above 23 becomes user).
 * Returns the length (0 if out is too small for the header). Pure. */
size_t syslog_format(const struct logrec *r, const char *hostname, char *out, size_t n);
#endif
