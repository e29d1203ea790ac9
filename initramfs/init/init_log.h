/* init_log.h: init's own log messages. They go to the kernel log (/dev/kmsg),
 * from where the log collector takes them into the ring like every other
 * kernel message; before /dev exists they go to the console. */
#ifndef INIT_LOG_H
#define INIT_LOG_H
#include <syslog.h>

void ilog_open(void);
void ilog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
