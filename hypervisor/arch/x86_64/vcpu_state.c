/* vcpu_state.c: an x86 vCPU's saved state (vcpu_state.h): its field table,
 * the member-by-member conversion from and to KVM's structures, and the
 * ioctls that read and write them. */
#include "vcpu_state.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define V(type, m) STATE_FIELD(struct x86_vcpu_state, type, m)
#define SEG_FIELDS(x) V(ST_U64, x##_base), V(ST_U32, x##_limit), V(ST_U16, x##_selector), \
	V(ST_U8, x##_type), V(ST_U8, x##_present), V(ST_U8, x##_dpl), V(ST_U8, x##_db), V(ST_U8, x##_s), \
	V(ST_U8, x##_l), V(ST_U8, x##_g), V(ST_U8, x##_avl), V(ST_U8, x##_unusable),
#define MSR_FIELD(name, index) V(ST_U64, msr_##name),
#define MSR_INDEX(name, index) index,

static const uint32_t msr_index[X86_STATE_NMSRS] = { X86_STATE_MSRS(MSR_INDEX) };

static const struct state_field fields[] = {
	V(ST_U64, rax), V(ST_U64, rbx), V(ST_U64, rcx), V(ST_U64, rdx), V(ST_U64, rsi), V(ST_U64, rdi),
	V(ST_U64, rsp), V(ST_U64, rbp), V(ST_U64, r8), V(ST_U64, r9), V(ST_U64, r10), V(ST_U64, r11),
	V(ST_U64, r12), V(ST_U64, r13), V(ST_U64, r14), V(ST_U64, r15), V(ST_U64, rip), V(ST_U64, rflags),
	SEG_FIELDS(cs) SEG_FIELDS(ds) SEG_FIELDS(es) SEG_FIELDS(fs)
	SEG_FIELDS(gs) SEG_FIELDS(ss) SEG_FIELDS(tr) SEG_FIELDS(ldt)
	V(ST_U64, gdt_base), V(ST_U16, gdt_limit), V(ST_U64, idt_base), V(ST_U16, idt_limit),
	V(ST_U64, cr0), V(ST_U64, cr2), V(ST_U64, cr3), V(ST_U64, cr4), V(ST_U64, cr8), V(ST_U64, efer),
	V(ST_U64, apic_base), V(ST_BYTES, interrupt_bitmap),
	V(ST_BYTES, xsave), V(ST_U64, xcr0),
	V(ST_U32, msr_valid), X86_STATE_MSRS(MSR_FIELD)
	V(ST_BYTES, lapic),
	V(ST_U8, exc_injected), V(ST_U8, exc_nr), V(ST_U8, exc_has_error_code), V(ST_U8, exc_pending),
	V(ST_U8, exc_has_payload), V(ST_U32, exc_error_code), V(ST_U64, exc_payload),
	V(ST_U8, irq_injected), V(ST_U8, irq_nr), V(ST_U8, irq_soft), V(ST_U8, irq_shadow),
	V(ST_U8, nmi_injected), V(ST_U8, nmi_pending), V(ST_U8, nmi_masked),
	V(ST_U32, sipi_vector), V(ST_U32, events_flags),
	V(ST_U8, smi_smm), V(ST_U8, smi_pending), V(ST_U8, smi_inside_nmi), V(ST_U8, smi_latched_init),
	V(ST_U8, triple_fault_pending),
	V(ST_U64, db0), V(ST_U64, db1), V(ST_U64, db2), V(ST_U64, db3), V(ST_U64, dr6), V(ST_U64, dr7),
	V(ST_U32, mp_state),
};

const struct state_desc x86_vcpu_state_desc = {
	.name = "x86-vcpu", .version = 1, .min_version = 1,
	.fields = fields, .nfields = sizeof fields / sizeof fields[0],
};

#define SEG_FROM(x) do { const struct kvm_segment *g = &k->sregs.x; \
	s->x##_base = g->base; s->x##_limit = g->limit; s->x##_selector = g->selector; s->x##_type = g->type; \
	s->x##_present = g->present; s->x##_dpl = g->dpl; s->x##_db = g->db; s->x##_s = g->s; s->x##_l = g->l; \
	s->x##_g = g->g; s->x##_avl = g->avl; s->x##_unusable = g->unusable; } while (0)
#define SEG_TO(x) do { struct kvm_segment *g = &k->sregs.x; \
	g->base = s->x##_base; g->limit = s->x##_limit; g->selector = s->x##_selector; g->type = s->x##_type; \
	g->present = s->x##_present; g->dpl = s->x##_dpl; g->db = s->x##_db; g->s = s->x##_s; g->l = s->x##_l; \
	g->g = s->x##_g; g->avl = s->x##_avl; g->unusable = s->x##_unusable; } while (0)
#define MSR_FROM(name, index) s->msr_##name = k->msrs[i++];
#define MSR_TO(name, index) k->msrs[i++] = s->msr_##name;

void x86_vcpu_state_from_kvm(struct x86_vcpu_state *s, const struct x86_kvm_vcpu *k)
{
	memset(s, 0, sizeof *s);
	const struct kvm_regs *r = &k->regs;
	s->rax = r->rax; s->rbx = r->rbx; s->rcx = r->rcx; s->rdx = r->rdx;
	s->rsi = r->rsi; s->rdi = r->rdi; s->rsp = r->rsp; s->rbp = r->rbp;
	s->r8 = r->r8; s->r9 = r->r9; s->r10 = r->r10; s->r11 = r->r11;
	s->r12 = r->r12; s->r13 = r->r13; s->r14 = r->r14; s->r15 = r->r15;
	s->rip = r->rip; s->rflags = r->rflags;
	SEG_FROM(cs); SEG_FROM(ds); SEG_FROM(es); SEG_FROM(fs); SEG_FROM(gs); SEG_FROM(ss);
	SEG_FROM(tr); SEG_FROM(ldt);
	s->gdt_base = k->sregs.gdt.base; s->gdt_limit = k->sregs.gdt.limit;
	s->idt_base = k->sregs.idt.base; s->idt_limit = k->sregs.idt.limit;
	s->cr0 = k->sregs.cr0; s->cr2 = k->sregs.cr2; s->cr3 = k->sregs.cr3; s->cr4 = k->sregs.cr4;
	s->cr8 = k->sregs.cr8; s->efer = k->sregs.efer; s->apic_base = k->sregs.apic_base;
	for (unsigned i = 0; i < 4; i++)
		state_put_le(s->interrupt_bitmap + 8 * i, k->sregs.interrupt_bitmap[i], 8);
	for (unsigned i = 0; i < 1024; i++)
		state_put_le(s->xsave + 4 * i, k->xsave[i], 4);
	for (unsigned i = 0; i < k->xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (k->xcrs.xcrs[i].xcr == 0)
			s->xcr0 = k->xcrs.xcrs[i].value;
	unsigned i = 0;
	X86_STATE_MSRS(MSR_FROM)
	s->msr_valid = k->msr_valid;
	memcpy(s->lapic, k->lapic.regs, sizeof s->lapic);
	const struct kvm_vcpu_events *e = &k->events;
	s->exc_injected = e->exception.injected; s->exc_nr = e->exception.nr;
	s->exc_has_error_code = e->exception.has_error_code; s->exc_pending = e->exception.pending;
	s->exc_error_code = e->exception.error_code;
	s->exc_has_payload = e->exception_has_payload; s->exc_payload = e->exception_payload;
	s->irq_injected = e->interrupt.injected; s->irq_nr = e->interrupt.nr;
	s->irq_soft = e->interrupt.soft; s->irq_shadow = e->interrupt.shadow;
	s->nmi_injected = e->nmi.injected; s->nmi_pending = e->nmi.pending; s->nmi_masked = e->nmi.masked;
	s->sipi_vector = e->sipi_vector; s->events_flags = e->flags;
	s->smi_smm = e->smi.smm; s->smi_pending = e->smi.pending;
	s->smi_inside_nmi = e->smi.smm_inside_nmi; s->smi_latched_init = e->smi.latched_init;
	s->triple_fault_pending = e->triple_fault.pending;
	s->db0 = k->debugregs.db[0]; s->db1 = k->debugregs.db[1];
	s->db2 = k->debugregs.db[2]; s->db3 = k->debugregs.db[3];
	s->dr6 = k->debugregs.dr6; s->dr7 = k->debugregs.dr7;
	s->mp_state = k->mp_state.mp_state;
}

void x86_vcpu_state_to_kvm(const struct x86_vcpu_state *s, struct x86_kvm_vcpu *k)
{
	memset(k, 0, sizeof *k);
	struct kvm_regs *r = &k->regs;
	r->rax = s->rax; r->rbx = s->rbx; r->rcx = s->rcx; r->rdx = s->rdx;
	r->rsi = s->rsi; r->rdi = s->rdi; r->rsp = s->rsp; r->rbp = s->rbp;
	r->r8 = s->r8; r->r9 = s->r9; r->r10 = s->r10; r->r11 = s->r11;
	r->r12 = s->r12; r->r13 = s->r13; r->r14 = s->r14; r->r15 = s->r15;
	r->rip = s->rip; r->rflags = s->rflags;
	SEG_TO(cs); SEG_TO(ds); SEG_TO(es); SEG_TO(fs); SEG_TO(gs); SEG_TO(ss); SEG_TO(tr); SEG_TO(ldt);
	k->sregs.gdt.base = s->gdt_base; k->sregs.gdt.limit = s->gdt_limit;
	k->sregs.idt.base = s->idt_base; k->sregs.idt.limit = s->idt_limit;
	k->sregs.cr0 = s->cr0; k->sregs.cr2 = s->cr2; k->sregs.cr3 = s->cr3; k->sregs.cr4 = s->cr4;
	k->sregs.cr8 = s->cr8; k->sregs.efer = s->efer; k->sregs.apic_base = s->apic_base;
	for (unsigned i = 0; i < 4; i++)
		k->sregs.interrupt_bitmap[i] = state_get_le(s->interrupt_bitmap + 8 * i, 8);
	for (unsigned i = 0; i < 1024; i++)
		k->xsave[i] = (uint32_t)state_get_le(s->xsave + 4 * i, 4);
	k->xcrs.nr_xcrs = 1;
	k->xcrs.xcrs[0].xcr = 0;
	k->xcrs.xcrs[0].value = s->xcr0;
	unsigned i = 0;
	X86_STATE_MSRS(MSR_TO)
	k->msr_valid = s->msr_valid;
	memcpy(k->lapic.regs, s->lapic, sizeof s->lapic);
	struct kvm_vcpu_events *e = &k->events;
	e->exception.injected = s->exc_injected; e->exception.nr = s->exc_nr;
	e->exception.has_error_code = s->exc_has_error_code; e->exception.pending = s->exc_pending;
	e->exception.error_code = s->exc_error_code;
	e->exception_has_payload = s->exc_has_payload; e->exception_payload = s->exc_payload;
	e->interrupt.injected = s->irq_injected; e->interrupt.nr = s->irq_nr;
	e->interrupt.soft = s->irq_soft; e->interrupt.shadow = s->irq_shadow;
	e->nmi.injected = s->nmi_injected; e->nmi.pending = s->nmi_pending; e->nmi.masked = s->nmi_masked;
	e->sipi_vector = s->sipi_vector; e->flags = s->events_flags;
	e->smi.smm = s->smi_smm; e->smi.pending = s->smi_pending;
	e->smi.smm_inside_nmi = s->smi_inside_nmi; e->smi.latched_init = s->smi_latched_init;
	e->triple_fault.pending = s->triple_fault_pending;
	k->debugregs.db[0] = s->db0; k->debugregs.db[1] = s->db1;
	k->debugregs.db[2] = s->db2; k->debugregs.db[3] = s->db3;
	k->debugregs.dr6 = s->dr6; k->debugregs.dr7 = s->dr7;
	k->mp_state.mp_state = s->mp_state;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "vCPU state: %s: %s", what, strerror(errno));
	return -1;
}

/* One MSR through KVM_GET_MSRS / KVM_SET_MSRS: 1 done, else not. */
static int msr_one(int fd, unsigned long req, uint32_t index, uint64_t *data)
{
	struct kvm_msrs *m = calloc(1, sizeof *m + sizeof m->entries[0]);
	if (!m)
		return -1;
	m->nmsrs = 1;
	m->entries[0].index = index;
	m->entries[0].data = *data;
	int r = ioctl(fd, req, m);
	*data = m->entries[0].data;
	free(m);
	return r;
}

static int get_all(int fd, struct x86_kvm_vcpu *k, char *err, size_t errlen)
{
	if (ioctl(fd, KVM_GET_REGS, &k->regs) < 0) return fail(err, errlen, "KVM_GET_REGS");
	if (ioctl(fd, KVM_GET_SREGS, &k->sregs) < 0) return fail(err, errlen, "KVM_GET_SREGS");
	if (ioctl(fd, KVM_GET_XSAVE, k->xsave) < 0) return fail(err, errlen, "KVM_GET_XSAVE");
	if (ioctl(fd, KVM_GET_XCRS, &k->xcrs) < 0) return fail(err, errlen, "KVM_GET_XCRS");
	for (unsigned i = 0; i < X86_STATE_NMSRS; i++)
		if (msr_one(fd, KVM_GET_MSRS, msr_index[i], &k->msrs[i]) == 1)
			k->msr_valid |= 1u << i;
	if (ioctl(fd, KVM_GET_LAPIC, &k->lapic) < 0) return fail(err, errlen, "KVM_GET_LAPIC");
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &k->events) < 0) return fail(err, errlen, "KVM_GET_VCPU_EVENTS");
	if (ioctl(fd, KVM_GET_DEBUGREGS, &k->debugregs) < 0) return fail(err, errlen, "KVM_GET_DEBUGREGS");
	if (ioctl(fd, KVM_GET_MP_STATE, &k->mp_state) < 0) return fail(err, errlen, "KVM_GET_MP_STATE");
	return 0;
}

int x86_vcpu_state_get(int fd, struct x86_vcpu_state *s, char *err, size_t errlen)
{
	struct x86_kvm_vcpu *k = calloc(1, sizeof *k);   /* 9 KiB: not on a thread's stack */
	if (!k) {
		snprintf(err, errlen, "vCPU state: out of memory");
		return -1;
	}
	int r = get_all(fd, k, err, errlen);
	if (r == 0)
		x86_vcpu_state_from_kvm(s, k);
	free(k);
	return r;
}

static int set_all(int fd, struct x86_kvm_vcpu *k, char *err, size_t errlen)
{
	/* what a set may say is valid: not the payload or triple-fault parts,
	 * which need capabilities this VMM does not enable */
	k->events.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	k->events.exception_has_payload = 0;
	k->events.triple_fault.pending = 0;
	/* the order KVM needs: the mode (sregs) before registers that depend
	 * on it, the LAPIC before the TSC deadline MSR, events last */
	if (ioctl(fd, KVM_SET_MP_STATE, &k->mp_state) < 0) return fail(err, errlen, "KVM_SET_MP_STATE");
	if (ioctl(fd, KVM_SET_SREGS, &k->sregs) < 0) return fail(err, errlen, "KVM_SET_SREGS");
	if (ioctl(fd, KVM_SET_REGS, &k->regs) < 0) return fail(err, errlen, "KVM_SET_REGS");
	if (ioctl(fd, KVM_SET_XSAVE, k->xsave) < 0) return fail(err, errlen, "KVM_SET_XSAVE");
	if (ioctl(fd, KVM_SET_XCRS, &k->xcrs) < 0) return fail(err, errlen, "KVM_SET_XCRS");
	if (ioctl(fd, KVM_SET_DEBUGREGS, &k->debugregs) < 0) return fail(err, errlen, "KVM_SET_DEBUGREGS");
	if (ioctl(fd, KVM_SET_LAPIC, &k->lapic) < 0) return fail(err, errlen, "KVM_SET_LAPIC");
	for (unsigned i = 0; i < X86_STATE_NMSRS; i++)
		if ((k->msr_valid & (1u << i)) && msr_one(fd, KVM_SET_MSRS, msr_index[i], &k->msrs[i]) != 1) {
			snprintf(err, errlen, "vCPU state: KVM_SET_MSRS 0x%x refused", msr_index[i]);
			return -1;
		}
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &k->events) < 0) return fail(err, errlen, "KVM_SET_VCPU_EVENTS");
	return 0;
}

int x86_vcpu_state_set(int fd, const struct x86_vcpu_state *s, char *err, size_t errlen)
{
	struct x86_kvm_vcpu *k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(err, errlen, "vCPU state: out of memory");
		return -1;
	}
	x86_vcpu_state_to_kvm(s, k);
	int r = set_all(fd, k, err, errlen);
	free(k);
	return r;
}
