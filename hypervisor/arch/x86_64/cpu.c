/* cpu.c: per-vCPU x86 state: CPUID, MSRs, FPU, LAPIC LINT0/1, and the
 * long-mode register state for the Linux 64-bit boot entry. */
#include "cpu.h"
#include "boot.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENT 256

struct kvm_cpuid2 *cpu_supported_cpuid(int kvm_fd, char *err, size_t errlen)
{
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENT * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	if (!c) {
		snprintf(err, errlen, "cpuid: out of memory");
		return NULL;
	}
	c->nent = CPUID_MAX_ENT;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(c);
		return NULL;
	}
	return c;
}

static unsigned cpu_bits_for(int n)
{
	unsigned b = 0;
	while ((1 << b) < n)
		b++;
	return b;
}

static void cpu_fix_entry(struct kvm_cpuid_entry2 *e, int index, int nvcpus)
{
	unsigned cbits = cpu_bits_for(nvcpus);
	switch (e->function) {
	case 1:
		e->ecx |= 1u << 31;     /* hypervisor present */
		e->ebx = (e->ebx & 0x0000ffffu) | (uint32_t)index << 24 |
			 (uint32_t)(nvcpus > 1 ? (1 << cbits) : 1) << 16;
		if (nvcpus > 1)
			e->edx |= 1u << 28;   /* HTT: EBX[23:16] is valid */
		break;
	case 4:                         /* Intel cache topology: cores per package */
		e->eax = (e->eax & 0x03ffffffu) | (uint32_t)((1 << cbits) - 1) << 26;
		e->eax &= ~(0xfffu << 14);   /* one thread shares each cache level */
		break;
	case 0xb:
	case 0x1f:
		e->edx = (uint32_t)index;
		if (e->index == 0) {          /* SMT level: 1 thread per core */
			e->eax = 0; e->ebx = 1; e->ecx = 1u << 8;
		} else if (e->index == 1) {   /* core level */
			e->eax = cbits; e->ebx = (uint32_t)nvcpus; e->ecx = 2u << 8 | 1;
		} else {
			e->eax = 0; e->ebx = 0; e->ecx = e->index;
		}
		break;
	case 0x80000008:                /* AMD: cores per package */
		e->ecx = (e->ecx & ~0xf0ffu) | cbits << 12 | (uint32_t)(nvcpus - 1);
		break;
	case 0x8000001e:                /* AMD: extended APIC id, one thread per core */
		e->eax = (uint32_t)index;
		e->ebx = (uint32_t)index & 0xff;
		e->ecx = 0;
		break;
	}
}

struct kvm_cpuid2 *cpu_cpuid_for(const struct kvm_cpuid2 *base, int index, int nvcpus)
{
	size_t sz = sizeof(*base) + base->nent * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return NULL;
	memcpy(c, base, sz);
	for (unsigned i = 0; i < c->nent; i++)
		cpu_fix_entry(&c->entries[i], index, nvcpus);
	return c;
}

static int cpu_set_msrs(int fd)
{
	static const uint32_t idx[] = {
		0x174, 0x175, 0x176,            /* SYSENTER_CS/ESP/EIP */
		0xc0000081, 0xc0000082, 0xc0000084, 0xc0000102,   /* STAR LSTAR FMASK KERNEL_GS */
		0xc0000083, 0x10,               /* CSTAR, TSC */
		0x1a0,                          /* MISC_ENABLE */
	};
	const size_t n = sizeof(idx) / sizeof(idx[0]);
	struct { struct kvm_msrs h; struct kvm_msr_entry e[16]; } m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		m.e[i].index = idx[i];
		m.e[i].data = idx[i] == 0x1a0 ? 1 : 0;   /* fast strings */
	}
	int r = ioctl(fd, KVM_SET_MSRS, &m);
	return r == (int)n ? 0 : -1;
}

static int cpu_set_lint(int fd)
{
	struct kvm_lapic_state la;
	if (ioctl(fd, KVM_GET_LAPIC, &la) < 0)
		return -1;
	uint32_t *lint0 = (uint32_t *)(void *)&la.regs[0x350];
	uint32_t *lint1 = (uint32_t *)(void *)&la.regs[0x360];
	*lint0 = (*lint0 & ~0x700u) | (7u << 8);   /* ExtINT */
	*lint1 = (*lint1 & ~0x700u) | (4u << 8);   /* NMI */
	return ioctl(fd, KVM_SET_LAPIC, &la);
}

int cpu_init_vcpu(int fd, const struct kvm_cpuid2 *cpuid, char *err, size_t errlen)
{
	if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0) {
		snprintf(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
		return -1;
	}
	if (cpu_set_msrs(fd) < 0) {
		snprintf(err, errlen, "KVM_SET_MSRS: %s", strerror(errno));
		return -1;
	}
	struct kvm_fpu fpu;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0) {
		snprintf(err, errlen, "KVM_SET_FPU: %s", strerror(errno));
		return -1;
	}
	if (cpu_set_lint(fd) < 0) {
		snprintf(err, errlen, "KVM_SET_LAPIC: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void cpu_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = code ? 0 : 1;
	s->s = 1;
	s->l = code ? 1 : 0;
	s->g = 1;
}

int cpu_set_boot_regs(int fd, uint64_t entry, uint64_t zeropage, char *err, size_t errlen)
{
	struct kvm_sregs sr;
	if (ioctl(fd, KVM_GET_SREGS, &sr) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	cpu_seg(&sr.cs, 0x10, 0xb, 1);
	cpu_seg(&sr.ds, 0x18, 0x3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = BOOT_GDT_ADDR;
	sr.gdt.limit = 4 * 8 - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr3 = BOOT_PML4_ADDR;
	sr.cr4 = 1u << 5;                          /* PAE */
	sr.cr0 = 0x80000001u | 0x10u;              /* PG | PE | ET */
	sr.efer = (1u << 8) | (1u << 10);          /* LME | LMA */
	if (ioctl(fd, KVM_SET_SREGS, &sr) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	r.rip = entry;
	r.rsi = zeropage;
	r.rsp = 0x8ff0;
	if (ioctl(fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void cpu_describe(int fd, char *out, size_t n)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (ioctl(fd, KVM_GET_REGS, &r) < 0 || ioctl(fd, KVM_GET_SREGS, &sr) < 0) {
		snprintf(out, n, "registers unreadable: %s", strerror(errno));
		return;
	}
	snprintf(out, n, "rip=0x%llx rsp=0x%llx cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
		 (unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)sr.cr0,
		 (unsigned long long)sr.cr2, (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
		 (unsigned long long)sr.efer);
}
