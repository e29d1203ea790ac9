/* vm.h: one virtual machine: KVM handles, memory, buses, devices, vCPUs,
 * and the run state shared by the main thread and the vCPU threads. */
#ifndef VMM_VM_H
#define VMM_VM_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "bus.h"
#include "config.h"
#include "mem.h"
#include "devices/console.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "arch.h"
#include "device.h"

struct kvm_run;
struct virtio_dev;

enum vm_state { VM_RUNNING, VM_PAUSED, VM_SHUTTING_DOWN, VM_STOPPED };
enum vm_exit {
	VMEXIT_NONE, VMEXIT_POWEROFF, VMEXIT_REBOOT, VMEXIT_TRIPLE_FAULT,
	VMEXIT_INTERNAL_ERROR, VMEXIT_STOPPED, VMEXIT_SHUTDOWN_TIMEOUT, VMEXIT_SIGNAL,
};

struct vcpu {
	struct vm *vm;
	int index, fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits, exits_io, exits_mmio;   /* written by the vCPU thread only */
};

struct vm {
	const struct vmm_config *cfg;
	int kvm_fd, vm_fd;
	struct guest_mem mem;
	struct bus pio, mmio;
	int nvcpus;
	struct vcpu vcpus[CFG_MAX_VCPUS];
	struct uart uart;
	struct console_ring console;
	struct pci_bus pci;
	struct arch_vm arch;       /* the port's own state (arch_impl.h) */
	struct vm_device devices[VM_MAX_DEVICES]; /* device.h: the device table's instances */
	int ndevices;

	pthread_mutex_t lock;      /* state below */
	pthread_cond_t cond;
	enum vm_state state;
	enum vm_exit exit_reason;
	bool pause_req;
	int paused_vcpus;
	int event_fd;              /* wakes the main loop: exit, net rx kick, console */
	int console_wake;          /* 1: the next console output wakes the main loop */
	uint64_t start_ns;         /* CLOCK_MONOTONIC at process start */
	int64_t boot_ms;           /* -1 until the boot timer fired */
	uint64_t shutdown_deadline_ns;
};

uint64_t vm_now_ns(void);
int vm_create(struct vm *vm, const struct vmm_config *cfg, char *err, size_t errlen);
void vm_irq_line(struct vm *vm, int irq, int level);
void vm_msi(void *opaque, uint64_t addr, uint32_t data);
/* First reason wins; wakes the main loop. */
void vm_request_exit(struct vm *vm, enum vm_exit reason);
void vm_wake_main(struct vm *vm);
const char *vm_exit_name(enum vm_exit e);
int vm_exit_code(enum vm_exit e);
const char *vm_state_name(enum vm_state s);

/* vcpu.c */
int vcpu_create_all(struct vm *vm, char *err, size_t errlen);
int vcpu_start_all(struct vm *vm, char *err, size_t errlen);
/* Pause/resume all vCPUs (main thread). Pause returns once all are parked. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Kick all vCPUs out of KVM_RUN and join them (after vm_request_exit). */
void vcpu_stop_all(struct vm *vm);
uint64_t vcpu_time_ns(struct vm *vm);
#endif
