/* vcpu_state.h: an x86 vCPU's saved state: every register KVM keeps for a
 * vCPU (general and special registers, FPU/SSE/AVX through XSAVE, XCR0, the
 * MSRs a Linux guest relies on including the TSC and kvm-clock, the LAPIC
 * register page, pending events, debug registers, MP state), flattened into
 * named members that one field table (x86_vcpu_state_desc) saves and loads.
 * The KVM structures are converted member by member in both directions. */
#ifndef VMM_X86_VCPU_STATE_H
#define VMM_X86_VCPU_STATE_H
#include "state.h"

#include <linux/kvm.h>
#include <stdint.h>

#define X86_SEG_MEMBERS(s) \
	uint64_t s##_base; uint32_t s##_limit; uint16_t s##_selector; \
	uint8_t s##_type, s##_present, s##_dpl, s##_db, s##_s, s##_l, s##_g, s##_avl, s##_unusable;

/* The MSRs saved, in this order; msr_valid bit i says KVM had number i. */
#define X86_STATE_MSRS(X) \
	X(tsc, 0x10) X(sysenter_cs, 0x174) X(sysenter_esp, 0x175) X(sysenter_eip, 0x176) \
	X(star, 0xc0000081) X(lstar, 0xc0000082) X(cstar, 0xc0000083) X(sfmask, 0xc0000084) \
	X(kernel_gs_base, 0xc0000102) X(tsc_aux, 0xc0000103) X(misc_enable, 0x1a0) X(pat, 0x277) \
	X(tsc_adjust, 0x3b) X(tsc_deadline, 0x6e0) \
	X(kvm_wall_clock, 0x4b564d00) X(kvm_system_time, 0x4b564d01) X(kvm_async_pf, 0x4b564d02) \
	X(kvm_steal_time, 0x4b564d03) X(kvm_pv_eoi, 0x4b564d04)
#define X86_MSR_MEMBER(name, index) uint64_t msr_##name;
#define X86_MSR_COUNT_ONE(name, index) +1
enum { X86_STATE_NMSRS = 0 X86_STATE_MSRS(X86_MSR_COUNT_ONE) };

struct x86_vcpu_state {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags;
	X86_SEG_MEMBERS(cs) X86_SEG_MEMBERS(ds) X86_SEG_MEMBERS(es) X86_SEG_MEMBERS(fs)
	X86_SEG_MEMBERS(gs) X86_SEG_MEMBERS(ss) X86_SEG_MEMBERS(tr) X86_SEG_MEMBERS(ldt)
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint8_t interrupt_bitmap[32];           /* 256 bits, little-endian */
	uint8_t xsave[4096];                    /* the XSAVE area, little-endian words */
	uint64_t xcr0;
	uint32_t msr_valid;
	X86_STATE_MSRS(X86_MSR_MEMBER)
	uint8_t lapic[KVM_APIC_REG_SIZE];
	uint8_t exc_injected, exc_nr, exc_has_error_code, exc_pending, exc_has_payload;
	uint32_t exc_error_code;
	uint64_t exc_payload;
	uint8_t irq_injected, irq_nr, irq_soft, irq_shadow;
	uint8_t nmi_injected, nmi_pending, nmi_masked;
	uint32_t sipi_vector, events_flags;
	uint8_t smi_smm, smi_pending, smi_inside_nmi, smi_latched_init;
	uint8_t triple_fault_pending;
	uint64_t db0, db1, db2, db3, dr6, dr7;
	uint32_t mp_state;
};

extern const struct state_desc x86_vcpu_state_desc;

/* The KVM structures one vCPU's state lives in. */
struct x86_kvm_vcpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint32_t xsave[1024];                   /* struct kvm_xsave's region (KVM_GET/SET_XSAVE) */
	struct kvm_xcrs xcrs;
	uint64_t msrs[X86_STATE_NMSRS];         /* values, in X86_STATE_MSRS order */
	uint32_t msr_valid;                     /* bit i: KVM has MSR i */
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_mp_state mp_state;
};

void x86_vcpu_state_from_kvm(struct x86_vcpu_state *s, const struct x86_kvm_vcpu *k);
void x86_vcpu_state_to_kvm(const struct x86_vcpu_state *s, struct x86_kvm_vcpu *k);
/* Read a (stopped) vCPU's state from KVM / write it back. 0, or -1 with err. */
int x86_vcpu_state_get(int vcpu_fd, struct x86_vcpu_state *s, char *err, size_t errlen);
int x86_vcpu_state_set(int vcpu_fd, const struct x86_vcpu_state *s, char *err, size_t errlen);
#endif
