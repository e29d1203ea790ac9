/* vcpu.c: vCPU threads: create and set up each vCPU, run KVM_RUN, dispatch
 * port and MMIO exits to the buses, park on pause, and stop on exit. */
#include "vm.h"
#include "log.h"
#include "sandbox.h"
#include "arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig) { (void)sig; }

int vcpu_create_all(struct vm *vm, char *err, size_t errlen)
{
	int mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	struct arch_vcpu_common *common = arch_vcpu_common(vm, err, errlen);
	if (!common)
		return -1;
	int rc = 0;
	for (int i = 0; i < vm->nvcpus && rc == 0; i++) {
		struct vcpu *c = &vm->vcpus[i];
		c->vm = vm;
		c->index = i;
		c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0) {
			snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", i, strerror(errno));
			rc = -1;
			break;
		}
		c->run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			snprintf(err, errlen, "mmap vCPU %d: %s", i, strerror(errno));
			rc = -1;
			break;
		}
		rc = arch_vcpu_setup(vm, common, i, c->fd, err, errlen);
	}
	arch_vcpu_common_free(common);
	return rc;
}

/* Park while paused; returns 1 when the VM is exiting. */
static int vcpu_check_park(struct vcpu *c)
{
	struct vm *vm = c->vm;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req && vm->exit_reason == VMEXIT_NONE) {
		/* complete an I/O or MMIO exit KVM still holds (an IN's result,
		 * the instruction's end) before the vCPU counts as paused, so its
		 * registers can be saved: KVM_RUN with immediate_exit set does
		 * that and returns at once */
		pthread_mutex_unlock(&vm->lock);
		c->run->immediate_exit = 1;
		ioctl(c->fd, KVM_RUN, 0);
		pthread_mutex_lock(&vm->lock);
	}
	while (vm->pause_req && vm->exit_reason == VMEXIT_NONE) {
		vm->paused_vcpus++;
		pthread_cond_broadcast(&vm->cond);
		pthread_cond_wait(&vm->cond, &vm->lock);
		vm->paused_vcpus--;
	}
	int exiting = vm->exit_reason != VMEXIT_NONE;
	if (!exiting)
		c->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->lock);
	return exiting;
}

static void vcpu_io(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	int is_write = r->io.direction == KVM_EXIT_IO_OUT;
	c->exits_io++;
	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size) {
		if (bus_access(&c->vm->pio, r->io.port, data, r->io.size, is_write) < 0)
			vmm_log_rl(LOGK_PIO, "vCPU %d: unclaimed port %s 0x%x (%u bytes)", c->index,
				   is_write ? "write" : "read", r->io.port, r->io.size);
	}
}

static void vcpu_mmio(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	c->exits_mmio++;
	if (r->mmio.len > 8)
		return;
	if (bus_access(&c->vm->mmio, r->mmio.phys_addr, r->mmio.data, r->mmio.len, r->mmio.is_write) < 0)
		vmm_log_rl(LOGK_MMIO, "vCPU %d: unclaimed MMIO %s 0x%llx (%u bytes)", c->index,
			   r->mmio.is_write ? "write" : "read",
			   (unsigned long long)r->mmio.phys_addr, r->mmio.len);
}

/* Handle one exit; returns 1 if the vCPU must stop. */
static int vcpu_exit(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	struct vm *vm = c->vm;
	switch (r->exit_reason) {
	case KVM_EXIT_IO: vcpu_io(c); return 0;
	case KVM_EXIT_MMIO: vcpu_mmio(c); return 0;
	case KVM_EXIT_INTR: return 0;
	case KVM_EXIT_HLT: return 0;
	case KVM_EXIT_SHUTDOWN: {
		char st[256];
		arch_vcpu_describe(c->fd, st, sizeof st);
		vmm_log("vCPU %d: triple fault (shutdown exit) %s", c->index, st);
		vm_request_exit(vm, VMEXIT_TRIPLE_FAULT);
		return 1;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_exit(vm, r->system_event.type == KVM_SYSTEM_EVENT_RESET ? VMEXIT_REBOOT :
				    r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? VMEXIT_POWEROFF :
				    VMEXIT_INTERNAL_ERROR);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
	{
		char st[256];
		arch_vcpu_describe(c->fd, st, sizeof st);
		vmm_log("vCPU %d: entry failed, hardware reason 0x%llx; %s", c->index,
			(unsigned long long)r->fail_entry.hardware_entry_failure_reason, st);
	}
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vmm_log("vCPU %d: KVM internal error, suberror %u", c->index, r->internal.suberror);
		break;
	default:
		vmm_log("vCPU %d: unhandled exit reason %u", c->index, r->exit_reason);
		break;
	}
	vm_request_exit(vm, VMEXIT_INTERNAL_ERROR);
	return 1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (sandbox_vcpu_enter(c) < 0) {
		vm_request_exit(c->vm, VMEXIT_INTERNAL_ERROR);
		return NULL;
	}
	while (!vcpu_check_park(c)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vmm_log("vCPU %d: KVM_RUN: %s", c->index, strerror(errno));
			vm_request_exit(c->vm, VMEXIT_INTERNAL_ERROR);
			break;
		}
		c->exits++;
		if (vcpu_exit(c))
			break;
	}
	return NULL;
}

int vcpu_start_all(struct vm *vm, char *err, size_t errlen)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < vm->nvcpus; i++) {
		int e = pthread_create(&vm->vcpus[i].thread, &attr, vcpu_thread, &vm->vcpus[i]);
		if (e) {
			snprintf(err, errlen, "vCPU %d thread: %s", i, strerror(e));
			pthread_attr_destroy(&attr);
			return -1;
		}
		vm->vcpus[i].started = true;
	}
	pthread_attr_destroy(&attr);
	return 0;
}

static void vcpu_kick_all(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++) {
		if (!vm->vcpus[i].started)
			continue;
		vm->vcpus[i].run->immediate_exit = 1;
	}
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			pthread_kill(vm->vcpus[i].thread, VCPU_KICK_SIGNAL);
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_RUNNING && vm->state != VM_SHUTTING_DOWN) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->pause_req = true;
	vcpu_kick_all(vm);
	while (vm->paused_vcpus < vm->nvcpus && vm->exit_reason == VMEXIT_NONE)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->state = VM_PAUSED;
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_PAUSED) {
		vm->pause_req = false;
		vm->state = vm->shutdown_deadline_ns ? VM_SHUTTING_DOWN : VM_RUNNING;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
}

void vcpu_stop_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vcpu_kick_all(vm);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (int i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
}

uint64_t vcpu_time_ns(struct vm *vm)
{
	uint64_t sum = 0;
	for (int i = 0; i < vm->nvcpus; i++) {
		clockid_t cid;
		struct timespec ts;
		if (!vm->vcpus[i].started || pthread_getcpuclockid(vm->vcpus[i].thread, &cid) != 0 ||
		    clock_gettime(cid, &ts) != 0)
			continue;
		sum += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	return sum;
}
