/* arch_impl.h (x86_64): the port's interface to the generic VMM, through
 * hypervisor/arch.h (docs/vmm.md, "Ports"). The generic code calls the
 * arch_* hooks below and nothing else of this folder. */
#ifndef VMM_ARCH_IMPL_H
#define VMM_ARCH_IMPL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi.h"
#include "pm.h"

struct vm;

/* Per-VM state of the port, embedded in struct vm as vm->arch. */
struct arch_vm {
	struct pm pm;              /* ACPI PM block, i8042, boot timer, quiet ports */
	uint64_t entry, zeropage;  /* where vCPU 0 starts (64-bit Linux entry) */
};

/* Where the PCI BARs of the machine go (guest-physical). */
#define ARCH_PCI_MMIO_BASE ACPI_PCI_MMIO_BASE
#define ARCH_PCI_MMIO_END ACPI_PCI_MMIO_END

/* After KVM_CREATE_VM: the VM-wide KVM state of the port (x86: TSS and
 * identity-map pages, in-kernel PIC/IOAPIC/LAPIC, PIT). 0 or -1 with err. */
int arch_vm_init(struct vm *vm, char *err, size_t errlen);
/* Is addr where this machine's MSIs go (x86: the LAPIC window)? */
bool arch_msi_address_ok(uint64_t addr);
/* The devices that only this architecture has (x86: 16550 at 0x3F8 on IRQ
 * 4, ACPI PM, i8042, PCI configuration ports, the PCI MMIO window). */
int arch_machine_devices(struct vm *vm, char *err, size_t errlen);
/* Firmware tables and the kernel, initrd and command line in guest memory
 * (x86: ACPI, MP table, the Linux boot protocol, page tables). */
int arch_machine_boot(struct vm *vm, char *err, size_t errlen);
/* vCPUs: what is the same for all of them (x86: the supported CPUID),
 * then each one's setup (CPUID, MSRs, FPU, LAPIC; vCPU 0's entry registers). */
struct arch_vcpu_common;
struct arch_vcpu_common *arch_vcpu_common(struct vm *vm, char *err, size_t errlen);
int arch_vcpu_setup(struct vm *vm, const struct arch_vcpu_common *common, int index, int vcpu_fd,
		    char *err, size_t errlen);
void arch_vcpu_common_free(struct arch_vcpu_common *common);
/* One line of a vCPU's state for the log (triple faults, failed entries). */
void arch_vcpu_describe(int vcpu_fd, char *out, size_t n);
/* The guest's power button (x86: ACPI fixed-feature button, SCI). */
void arch_power_button(struct vm *vm);
/* Saved state (docs/vmm.md, "Saved state"), the vCPUs stopped: the name
 * streams carry ("x86_64"); the VM-wide state (x86: PICs, IOAPIC, PIT,
 * kvm-clock, the ACPI PM block, the UART); one vCPU's state. Loads: 0, or
 * -1 with the reader's (or err's) message. */
#define ARCH_NAME "x86_64"
struct state_w;
struct state_r;
int arch_vm_save(struct vm *vm, struct state_w *w, char *err, size_t errlen);
int arch_vm_load(struct vm *vm, struct state_r *r);
int arch_vcpu_save(struct vm *vm, int index, int vcpu_fd, struct state_w *w, char *err, size_t errlen);
int arch_vcpu_load(struct vm *vm, int index, int vcpu_fd, struct state_r *r);
#endif
