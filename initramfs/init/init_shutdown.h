/* init_shutdown.h: orderly reboot/poweroff and the fatal path. */
#ifndef INIT_SHUTDOWN_H
#define INIT_SHUTDOWN_H

enum shutdown_kind { SHUTDOWN_NONE, SHUTDOWN_REBOOT, SHUTDOWN_POWEROFF };

/* Ask for an orderly shutdown; the main loop carries it out. */
void shutdown_request(enum shutdown_kind k, const char *why);
enum shutdown_kind shutdown_pending(void);
/* Stop services, end every process, sync, unmount, reboot(2). No return. */
void shutdown_now(enum shutdown_kind k) __attribute__((noreturn));
/* Init cannot continue: say why on the consoles, reboot after a delay. */
void init_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#endif
