/* sandbox.c: per-thread seccomp entry of wafer-vmm (see sandbox.h) and, only
 * in the test build (-DWAFER_TEST_HOOKS, never in the product image), hooks
 * that misbehave on purpose when the guest command line asks for it:
 *   wafer_test=sigsys  vCPU 0 calls socket(2) 3 s after start (seccomp kill)
 *   wafer_test=oom     vCPU 0 touches memory until its cgroup OOM-kills it */
#include "sandbox.h"
#include "log.h"
#include "seccomp.h"
#include "vm.h"

#include <pthread.h>
#include <stdbool.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_state;   /* 0 closed, 1 open, -1 main thread failed */

#ifdef WAFER_TEST_HOOKS
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static bool test_hook(const struct vcpu *c, const char *name)
{
	const char *cl = c->vm->cfg->boot.cmdline;
	char want[64];
	snprintf(want, sizeof want, "wafer_test=%s", name);
	return c->index == 0 && cl && strstr(cl, want);
}

/* Before the filter: wait, then grow until the memory cgroup kills us. */
static void test_hook_oom(const struct vcpu *c)
{
	if (!test_hook(c, "oom"))
		return;
	sleep(3);
	vmm_log("test hook: touching memory until the OOM killer stops this VMM");
	for (int i = 0; i < 1024; i++) {
		char *p = mmap(NULL, 16u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			memset(p, 0x5a, 16u << 20);
	}
}

static void test_hook_sigsys_wait(const struct vcpu *c)
{
	if (test_hook(c, "sigsys"))
		sleep(3);
}

/* After the filter: a syscall no thread may make. */
static void test_hook_sigsys(const struct vcpu *c)
{
	if (!test_hook(c, "sigsys"))
		return;
	vmm_log("test hook: calling socket(2), which seccomp forbids");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	vmm_log("test hook: socket(2) returned %d: seccomp did not stop it", fd);
}
#else
static void test_hook_oom(const struct vcpu *c) { (void)c; }
static void test_hook_sigsys_wait(const struct vcpu *c) { (void)c; }
static void test_hook_sigsys(const struct vcpu *c) { (void)c; }
#endif

int sandbox_vcpu_enter(struct vcpu *c)
{
	char err[160];
	test_hook_oom(c);
	test_hook_sigsys_wait(c);
	if (seccomp_install(SECCOMP_KIND_VCPU, err, sizeof err) < 0) {
		vmm_log("vCPU %d: %s", c->index, err);
		return -1;
	}
	pthread_mutex_lock(&gate_lock);
	while (gate_state == 0)
		pthread_cond_wait(&gate_cond, &gate_lock);
	int st = gate_state;
	pthread_mutex_unlock(&gate_lock);
	if (st < 0)
		return -1;
	test_hook_sigsys(c);
	return 0;
}

int sandbox_main_enter(struct vm *vm, char *err, size_t errlen)
{
	(void)vm;
	int rc = seccomp_install(SECCOMP_KIND_MAIN, err, errlen);
	pthread_mutex_lock(&gate_lock);
	gate_state = rc < 0 ? -1 : 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	return rc;
}
