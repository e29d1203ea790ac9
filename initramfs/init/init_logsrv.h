/* init_logsrv.h: the log collector inside init: fills the ring from
 * /dev/kmsg, service output pipes and the intake socket, and serves it on
 * /run/wafer/log.sock (protocol in docs/init.md). */
#ifndef INIT_LOGSRV_H
#define INIT_LOGSRV_H
#include <stddef.h>
#include <stdint.h>

#define LOG_SOCK "/run/wafer/log.sock"
#define LOG_IN_SOCK "/run/wafer/log-in.sock"

/* Create the ring (kib) and open kmsg and both sockets; registers with the loop. */
int logsrv_start(int ring_kib);
/* Follow the output of a service: fd is the read end of its stdout/stderr pipe
 * (non-blocking); it is closed and unregistered at EOF. */
void logsrv_add_pipe(int fd, const char *tag);
/* Add one record directly (used by tests of the socket and by init itself
 * before /dev/kmsg works). */
void logsrv_add(int prio, const char *tag, const char *msg, size_t len);
/* Called whenever a record was added; set by the syslog forwarder. */
extern void (*logsrv_on_record)(void);
struct logring *logsrv_ring(void);
#endif
