/* iothread.h: a device I/O thread woken by an eventfd. The guest's queue
 * notification reaches the eventfd directly (KVM_IOEVENTFD, no exit to user
 * space) or through iothread_kick from an MMIO exit; the thread then calls
 * run(opaque), which processes the device's queues. Other threads that must
 * change state run() reads (device reset, queue setup, VM pause) park the
 * thread first: iothread_park returns once run() is not executing and will
 * not start again until the matching iothread_unpark. Parks nest (a count).
 * Used by virtio devices through virtio_dev_use_iothread (virtio/pci.c). */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iothread {
	int kick_fd;                 /* eventfd (EFD_NONBLOCK): guest notifications */
	void (*run)(void *opaque);
	void *opaque;
	pthread_t thread;
	pthread_mutex_t lock;        /* fields below */
	pthread_cond_t cond;
	bool started, stop, busy, pending;
	int parks;
	uint64_t runs;               /* completed run() calls (tests, statistics) */
};

/* Create the eventfd; no thread yet. 0 or -1 with err. */
int iothread_init(struct iothread *t, void (*run)(void *), void *opaque, char *err, size_t errlen);
/* Start the thread. enter(enter_opaque), when given, runs first in the new
 * thread (seccomp); if it returns < 0 the thread ends without running. */
int iothread_start(struct iothread *t, int (*enter)(void *), void *enter_opaque,
		   char *err, size_t errlen);
/* Wake the thread (any thread, no lock taken). */
void iothread_kick(struct iothread *t);
void iothread_park(struct iothread *t);
void iothread_unpark(struct iothread *t);
/* End and join the thread (also when parked); it can not be restarted. */
void iothread_stop(struct iothread *t);
/* Stop, then close the eventfd. */
void iothread_destroy(struct iothread *t);
#endif
