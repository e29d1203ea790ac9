/* vm.c: KVM VM creation (irqchip, PIT, memory slots), interrupt delivery,
 * and the VM-wide exit/state bookkeeping. */
#include "vm.h"
#include "wafer_contract.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

uint64_t vm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int vm_memslots(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem.low_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION (low): %s", strerror(errno));
		return -1;
	}
	if (vm->mem.size > vm->mem.low_size) {
		r.slot = 1;
		r.guest_phys_addr = MEM_HIGH_START;
		r.memory_size = vm->mem.size - vm->mem.low_size;
		r.userspace_addr = (uint64_t)(uintptr_t)(vm->mem.host + vm->mem.low_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION (high): %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int vm_kvm_open(struct vm *vm, char *err, size_t errlen)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "/dev/kvm: %s (is kvm_intel/kvm_amd loaded?)", strerror(errno));
		return -1;
	}
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "KVM API version %d, need %d", v, KVM_API_VERSION);
		return -1;
	}
	static const int caps[] = { KVM_CAP_IRQCHIP, KVM_CAP_PIT2, KVM_CAP_USER_MEMORY,
				    KVM_CAP_SIGNAL_MSI, KVM_CAP_IMMEDIATE_EXIT };
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i]) <= 0) {
			snprintf(err, errlen, "KVM lacks capability %d", caps[i]);
			return -1;
		}
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vmm_config *cfg, char *err, size_t errlen)
{
	vm->cfg = cfg;
	vm->nvcpus = cfg->vcpus;
	vm->boot_ms = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	if (vm_kvm_open(vm, err, errlen) < 0)
		return -1;
	if (arch_vm_init(vm, err, errlen) < 0)
		return -1;
	if (mem_init(&vm->mem, cfg->memory_mib << 20, err, errlen) < 0)
		return -1;
	return vm_memslots(vm, err, errlen);
}

void vm_irq_line(struct vm *vm, int irq, int level)
{
	struct kvm_irq_level l = { .irq = (uint32_t)irq, .level = (uint32_t)level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		vmm_log_rl(LOGK_MISC, "KVM_IRQ_LINE %d: %s", irq, strerror(errno));
}

void vm_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	struct kvm_msi m = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
			     .data = data };
	if (!arch_msi_address_ok(addr)) {
		vmm_log_rl(LOGK_MISC, "MSI to bad address 0x%llx ignored", (unsigned long long)addr);
		return;
	}
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &m) < 0)
		vmm_log_rl(LOGK_MISC, "KVM_SIGNAL_MSI: %s", strerror(errno));
}

void vm_wake_main(struct vm *vm)
{
	uint64_t one = 1;
	ssize_t r = write(vm->event_fd, &one, sizeof(one));
	(void)r;
}

void vm_request_exit(struct vm *vm, enum vm_exit reason)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->exit_reason == VMEXIT_NONE)
		vm->exit_reason = reason;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	vm_wake_main(vm);
}

const char *vm_exit_name(enum vm_exit e)
{
	static const char *const names[] = {
		"none", "poweroff", "reboot", "triple-fault", "internal-error",
		"stopped", "shutdown-timeout", "signal",
	};
	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

int vm_exit_code(enum vm_exit e)
{
	switch (e) {
	case VMEXIT_POWEROFF: return VMM_EXIT_POWEROFF;
	case VMEXIT_REBOOT: return VMM_EXIT_REBOOT;
	case VMEXIT_TRIPLE_FAULT: case VMEXIT_INTERNAL_ERROR: return VMM_EXIT_CRASH;
	default: return VMM_EXIT_STOPPED;
	}
}

const char *vm_state_name(enum vm_state s)
{
	static const char *const names[] = { VMM_STATE_RUNNING, VMM_STATE_PAUSED, VMM_STATE_SHUTTING_DOWN,
					     VMM_STATE_STOPPED };
	return (unsigned)s < 4 ? names[s] : "unknown";
}
