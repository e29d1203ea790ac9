/* vm_lock.c: the registry lock, the condition every state change signals,
 * and how long the lock is held: every holder is timed from take to release
 * (a wait on vm_cond releases it, so the time waiting is not counted); the
 * longest hold and its holder, and the holds over 10 ms and 100 ms, are in
 * /metrics (wafer_agent_vm_lock_*) so a slow holder shows in a live host. */
#include "vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

pthread_mutex_t vm_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t vm_cond = PTHREAD_COND_INITIALIZER;

/* Written only by the holder (with vm_lock held); read under stats_lock. */
static uint64_t held_since_ns;
static const char *held_by;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm_lock_stats stats;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void held(const char *where)
{
	held_since_ns = mono_ns();
	held_by = where;
}

static void released(void)
{
	uint64_t ns = mono_ns() - held_since_ns;
	pthread_mutex_lock(&stats_lock);
	stats.holds++;
	stats.total_ns += ns;
	if (ns > 10000000ULL)
		stats.over_10ms++;
	if (ns > 100000000ULL)
		stats.over_100ms++;
	if (ns > stats.max_ns) {
		stats.max_ns = ns;
		snprintf(stats.max_where, sizeof stats.max_where, "%s", held_by ? held_by : "?");
	}
	pthread_mutex_unlock(&stats_lock);
}

void vm_lock_take_at(const char *where)
{
	pthread_mutex_lock(&vm_lock);
	held(where);
}

void vm_lock_release(void)
{
	released();
	pthread_mutex_unlock(&vm_lock);
}

void vm_lock_stats_get(struct vm_lock_stats *s)
{
	pthread_mutex_lock(&stats_lock);
	*s = stats;
	pthread_mutex_unlock(&stats_lock);
}

void vm_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);   /* the clock of PTHREAD_COND_INITIALIZER */
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool vm_cond_wait_until(const struct timespec *deadline)
{
	const char *where = held_by;
	released();
	int rc = pthread_cond_timedwait(&vm_cond, &vm_lock, deadline);
	held(where);
	return rc != ETIMEDOUT;
}
