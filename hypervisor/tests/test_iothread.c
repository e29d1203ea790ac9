/* test_iothread.c: the device I/O thread (virtio/iothread.c) without KVM:
 * a kick on its eventfd (what KVM_IOEVENTFD signals) runs the batch in the
 * thread; park waits for a batch in progress and holds off new ones, kicks
 * while parked are kept, parks nest, stop joins a parked thread, a failed
 * enter hook runs nothing, and 2000 park/unpark rounds against 20000 kicks
 * never see a batch while parked. */
#include "wtest.h"
#include "virtio/iothread.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static int in_run, runs, overlap, violations;
static int held;            /* 1 while the test holds a park */
static int slow_ms;
static pthread_t run_thread;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void run(void *opaque)
{
	(void)opaque;
	if (__atomic_exchange_n(&in_run, 1, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&overlap, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&held, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&violations, 1, __ATOMIC_SEQ_CST);
	run_thread = pthread_self();
	if (slow_ms)
		sleep_ms(slow_ms);
	__atomic_add_fetch(&runs, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&in_run, 0, __ATOMIC_SEQ_CST);
}

static int get(int *v) { return __atomic_load_n(v, __ATOMIC_SEQ_CST); }

/* Wait up to 5 s for *v >= want. */
static int wait_ge(int *v, int want)
{
	for (int i = 0; i < 5000 && get(v) < want; i++)
		sleep_ms(1);
	return get(v) >= want;
}

static void fresh(struct iothread *t)
{
	char err[128];
	runs = in_run = overlap = violations = held = slow_ms = 0;
	WT_EQ_INT(iothread_init(t, run, NULL, err, sizeof err), 0);
	WT_EQ_INT(iothread_start(t, NULL, NULL, err, sizeof err), 0);
}

static void t_kick_runs_in_thread(void)
{
	struct iothread t;
	fresh(&t);
	sleep_ms(20);
	WT_EQ_INT(get(&runs), 0);                     /* nothing without a kick */
	uint64_t one = 1;                             /* what KVM does for an ioeventfd */
	WT_EQ_INT(write(t.kick_fd, &one, sizeof one), 8);
	WT_CHECK(wait_ge(&runs, 1));
	WT_CHECK(!pthread_equal(run_thread, pthread_self()));
	iothread_kick(&t);
	WT_CHECK(wait_ge(&runs, 2));
	iothread_destroy(&t);
	WT_EQ_INT(t.kick_fd, -1);
}

static void t_park_waits_for_batch(void)
{
	struct iothread t;
	fresh(&t);
	slow_ms = 100;
	iothread_kick(&t);
	WT_CHECK(wait_ge(&in_run, 1));                /* batch in progress */
	iothread_park(&t);
	WT_EQ_INT(get(&in_run), 0);                   /* park returned after it */
	WT_EQ_INT(get(&runs), 1);
	slow_ms = 0;
	iothread_kick(&t);                            /* kept while parked */
	iothread_kick(&t);
	sleep_ms(50);
	WT_EQ_INT(get(&runs), 1);
	iothread_unpark(&t);
	WT_CHECK(wait_ge(&runs, 2));
	iothread_destroy(&t);
}

static void t_parks_nest(void)
{
	struct iothread t;
	fresh(&t);
	iothread_park(&t);
	iothread_park(&t);
	iothread_kick(&t);
	iothread_unpark(&t);
	sleep_ms(50);
	WT_EQ_INT(get(&runs), 0);                     /* one park still held */
	iothread_unpark(&t);
	WT_CHECK(wait_ge(&runs, 1));
	iothread_unpark(&t);                          /* unbalanced: ignored */
	iothread_park(&t);
	iothread_stop(&t);                            /* joins a parked thread */
	iothread_destroy(&t);
	WT_EQ_INT(get(&overlap), 0);
}

static int refuse(void *opaque) { (void)opaque; return -1; }

static void t_enter_refused(void)
{
	struct iothread t;
	char err[128];
	runs = 0;
	WT_EQ_INT(iothread_init(&t, run, NULL, err, sizeof err), 0);
	WT_EQ_INT(iothread_start(&t, refuse, NULL, err, sizeof err), 0);
	iothread_kick(&t);
	sleep_ms(50);
	WT_EQ_INT(get(&runs), 0);
	iothread_park(&t);                            /* does not hang */
	iothread_unpark(&t);
	iothread_destroy(&t);
	struct iothread u;                            /* never started: stop is a no-op */
	WT_EQ_INT(iothread_init(&u, run, NULL, err, sizeof err), 0);
	iothread_destroy(&u);
}

static void *kicker(void *arg)
{
	for (int i = 0; i < 20000; i++)
		iothread_kick(arg);
	return NULL;
}

static void t_stress(void)
{
	struct iothread t;
	fresh(&t);
	pthread_t k;
	pthread_create(&k, NULL, kicker, &t);
	for (int i = 0; i < 2000; i++) {
		iothread_park(&t);
		__atomic_store_n(&held, 1, __ATOMIC_SEQ_CST);
		if (get(&in_run))
			__atomic_add_fetch(&violations, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&held, 0, __ATOMIC_SEQ_CST);
		iothread_unpark(&t);
	}
	pthread_join(k, NULL);
	int before = get(&runs);
	iothread_kick(&t);
	WT_CHECK(wait_ge(&runs, before + 1));
	iothread_destroy(&t);
	WT_EQ_INT(get(&violations), 0);
	WT_EQ_INT(get(&overlap), 0);
	WT_CHECK(get(&runs) > 0);
}

WTEST_MAIN("vmm_iothread", WT_CASE(t_kick_runs_in_thread), WT_CASE(t_park_waits_for_batch),
	   WT_CASE(t_parks_nest), WT_CASE(t_enter_refused), WT_CASE(t_stress))
