/* init_services.h: the supervised services (one table), restarted with
 * capped exponential backoff; every orphan is reaped. */
#ifndef INIT_SERVICES_H
#define INIT_SERVICES_H
#include <stdint.h>
#include <sys/types.h>

#define SVC_ARGV_MAX 24

struct svc_argv {
	char *argv[SVC_ARGV_MAX + 1];
	char buf[1024];
	size_t used;
	int argc;
};
/* Append one argument (printf-style); silently stops when full. */
void svc_arg(struct svc_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct service {
	const char *name;
	/* Fill argv; return 0 to start, -1 when the service is not wanted now. */
	int (*build)(struct svc_argv *a);
	pid_t pid;
	int restarts;
	int backoff_ms;
	int64_t started_ms, next_start_ms;
	int last_status;      /* wait status of the last exit, -1 if none */
	int stopping;
};

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define HEALTHY_MS 30000
/* The delay before the next restart, given the last one (0 = none yet) and
 * how long the service ran: 1 s, doubling to 60 s; back to 1 s after it ran
 * for 30 s. Pure (init_backoff.c). */
int svc_backoff_next(int last_ms, int64_t ran_ms);

/* Start what is due (first start or backoff expired); returns ms until the
 * next due start (or 1000 if none). */
int services_tick(void);
/* Something services wait for changed: try the never-started ones now. */
void services_kick(void);
/* Reap every exited child (services and orphans). */
void services_reap(void);
/* Stop and start a service again now (its argv may have changed). */
void services_restart(const char *name);
/* Stop all services: SIGTERM, wait up to grace_ms, then SIGKILL. */
void services_stop_all(int grace_ms);
/* Enable/disable starting services (off during shutdown). */
void services_enable(int on);
struct service *services_table(int *n);
/* Called for every reaped child that is not a service. */
extern void (*services_on_orphan)(pid_t pid, int status);
#endif
