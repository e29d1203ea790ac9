/* iothread.c: the device I/O thread (see iothread.h). The thread sleeps in
 * poll() on the kick eventfd with no lock held; `busy` is true only while
 * run() executes, and run() is started only when no park is pending, so a
 * parker waits at most for the batch in progress. A kick that arrives while
 * parked is kept (`pending`) and processed after the last unpark. */
#include "virtio/iothread.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct iothread_boot {
	struct iothread *t;
	int (*enter)(void *);
	void *enter_opaque;
};

int iothread_init(struct iothread *t, void (*run)(void *), void *opaque, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->run = run;
	t->opaque = opaque;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->kick_fd < 0) {
		snprintf(err, errlen, "I/O thread eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Sleep until kicked; returns with t->lock held. */
static void iothread_wait_kick(struct iothread *t)
{
	pthread_mutex_unlock(&t->lock);
	struct pollfd p = { .fd = t->kick_fd, .events = POLLIN };
	uint64_t v;
	bool kicked = false;
	if (poll(&p, 1, -1) > 0 && read(t->kick_fd, &v, sizeof(v)) == sizeof(v))
		kicked = true;
	pthread_mutex_lock(&t->lock);
	if (kicked)
		t->pending = true;
}

static void iothread_loop(struct iothread *t)
{
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		if (t->parks > 0) {
			pthread_cond_wait(&t->cond, &t->lock);
			continue;
		}
		if (!t->pending) {
			iothread_wait_kick(t);
			continue;   /* re-check stop and parks first */
		}
		t->pending = false;
		t->busy = true;
		pthread_mutex_unlock(&t->lock);
		t->run(t->opaque);
		pthread_mutex_lock(&t->lock);
		t->busy = false;
		t->runs++;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
}

static void *iothread_main(void *arg)
{
	struct iothread_boot b = *(struct iothread_boot *)arg;
	/* the boot record lives on the starter's stack until we signal */
	pthread_mutex_lock(&b.t->lock);
	b.t->busy = false;
	pthread_cond_broadcast(&b.t->cond);
	pthread_mutex_unlock(&b.t->lock);
	if (!b.enter || b.enter(b.enter_opaque) == 0)
		iothread_loop(b.t);
	return NULL;
}

int iothread_start(struct iothread *t, int (*enter)(void *), void *enter_opaque,
		   char *err, size_t errlen)
{
	struct iothread_boot b = { t, enter, enter_opaque };
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_mutex_lock(&t->lock);
	t->busy = true;   /* cleared by the thread once it copied b */
	int e = pthread_create(&t->thread, &attr, iothread_main, &b);
	pthread_attr_destroy(&attr);
	if (e) {
		t->busy = false;
		pthread_mutex_unlock(&t->lock);
		snprintf(err, errlen, "I/O thread: %s", strerror(e));
		return -1;
	}
	t->started = true;
	while (t->busy)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void iothread_kick(struct iothread *t)
{
	uint64_t one = 1;
	ssize_t w = write(t->kick_fd, &one, sizeof(one));
	(void)w;   /* EAGAIN only at a counter of 2^64-2: already kicked */
}

void iothread_park(struct iothread *t)
{
	pthread_mutex_lock(&t->lock);
	t->parks++;
	while (t->busy)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void iothread_unpark(struct iothread *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->parks > 0 && --t->parks == 0) {
		t->pending = true;   /* state changed: look at the queues again */
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
}

void iothread_stop(struct iothread *t)
{
	pthread_mutex_lock(&t->lock);
	bool started = t->started;
	t->stop = true;
	t->started = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (!started)
		return;
	iothread_kick(t);   /* out of poll() */
	pthread_join(t->thread, NULL);
}

void iothread_destroy(struct iothread *t)
{
	iothread_stop(t);
	if (t->kick_fd >= 0)
		close(t->kick_fd);
	t->kick_fd = -1;
}
