/* cpu.h: x86 vCPU setup: CPUID (supported set + hypervisor bit + topology),
 * MSRs, FPU, LAPIC LINT pins, and the 64-bit boot register state. */
#ifndef VMM_X86_CPU_H
#define VMM_X86_CPU_H
#include <stdint.h>
#include <stddef.h>

struct kvm_cpuid2;

/* Read KVM_GET_SUPPORTED_CPUID once (kvm_fd = /dev/kvm). NULL on error. */
struct kvm_cpuid2 *cpu_supported_cpuid(int kvm_fd, char *err, size_t errlen);
/* Copy of the supported set adjusted for vCPU index of nvcpus. Caller frees. */
struct kvm_cpuid2 *cpu_cpuid_for(const struct kvm_cpuid2 *base, int index, int nvcpus);
/* Apply CPUID, MSRs, FPU and LAPIC LINT setup to a vCPU fd. */
int cpu_init_vcpu(int vcpu_fd, const struct kvm_cpuid2 *cpuid, char *err, size_t errlen);
/* Registers for the Linux 64-bit entry on the boot vCPU. */
int cpu_set_boot_regs(int vcpu_fd, uint64_t entry, uint64_t zeropage, char *err, size_t errlen);
/* One line of the vCPU's state for the log (triple faults, failed entries):
 * rip, rsp, cr0, cr2, cr3, cr4, efer. */
void cpu_describe(int vcpu_fd, char *out, size_t n);
#endif
