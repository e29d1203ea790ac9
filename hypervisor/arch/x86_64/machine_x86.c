/* machine_x86.c: the x86 PC-like machine behind the arch_* hooks
 * (arch_impl.h): KVM's in-kernel irqchip and PIT, the legacy ports, ACPI
 * and MP tables, the Linux boot protocol and the vCPU setup. */
#include "arch.h"
#include "boot.h"
#include "cpu.h"
#include "machine.h"
#include "state.h"
#include "vcpu_state.h"
#include "vm_state.h"
#include "mptable.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0) {
		snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	uint64_t idmap = 0xfffbc000;
	ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

bool arch_msi_address_ok(uint64_t addr)
{
	return (addr & 0xfff00000u) == 0xfee00000u;
}

static void uart_irq(void *opaque, int level) { vm_irq_line(opaque, 4, level); }
static void sci(void *opaque, int level) { vm_irq_line(opaque, ACPI_SCI_IRQ, level); }

static void pm_event(void *opaque, enum pm_event ev)
{
	machine_power_event(opaque, ev == PM_EV_POWEROFF ? MACHINE_POWEROFF
				    : ev == PM_EV_REBOOT ? MACHINE_REBOOT : MACHINE_BOOT_DONE);
}

int arch_machine_devices(struct vm *vm, char *err, size_t errlen)
{
	static const struct { uint16_t base, len; } quiet[] = {
		{ 0x80, 1 }, { 0x70, 2 }, { 0x2f8, 8 }, { 0x3e8, 8 }, { 0x2e8, 8 },
		{ 0x3f1, 7 }, { 0xed, 1 }, { 0x87, 1 }, { 0x2e, 2 }, { 0x4e, 2 },
	};
	struct pm *pm = &vm->arch.pm;
	uart_init(&vm->uart, machine_uart_out, uart_irq, vm);
	pm_init(pm, pm_event, sci, vm);
	vm->pci.reset_cb = pm_reset;
	vm->pci.reset_opaque = pm;
	int r = 0;
	r |= bus_add(&vm->pio, 0x3f8, 8, uart_bus, &vm->uart, "uart");
	r |= bus_add(&vm->pio, ACPI_PM1_EVT_PORT, 12, pm_acpi_io, pm, "acpi-pm");
	r |= bus_add(&vm->pio, 0xcf8, 8, pci_conf_io, &vm->pci, "pci-conf");
	r |= bus_add(&vm->pio, 0x60, 5, pm_i8042_io, pm, "i8042");
	r |= bus_add(&vm->pio, BOOT_TIMER_PORT, 1, pm_boot_timer_io, pm, "boot-timer");
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		r |= bus_add(&vm->pio, quiet[i].base, quiet[i].len, pm_quiet_io, NULL, "absent");
	r |= bus_add(&vm->mmio, ACPI_PCI_MMIO_BASE, ACPI_PCI_MMIO_END - ACPI_PCI_MMIO_BASE, pci_mmio, &vm->pci,
		     "pci-mmio");
	if (r) {
		snprintf(err, errlen, "port map: overlapping ranges");
		return -1;
	}
	return 0;
}

static int load_kernel(struct vm *vm, uint64_t rsdp, struct boot_params_out *bp, char *err, size_t errlen)
{
	const struct cfg_boot *c = &vm->cfg->boot;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	struct bzimage_info bi;
	int rc = -1;
	if (machine_read_file(c->kernel, 512u << 20, &kernel, &klen, err, errlen) < 0)
		goto out;
	if (boot_parse_bzimage(kernel, klen, &bi, err, errlen) < 0)
		goto out;
	if (c->initrd && machine_read_file(c->initrd, vm->mem.size, &initrd, &ilen, err, errlen) < 0)
		goto out;
	rc = boot_load_bzimage(&vm->mem, kernel, klen, &bi, initrd, ilen, c->cmdline, rsdp, bp, err, errlen);
out:
	free(kernel);
	free(initrd);
	return rc;
}

int arch_machine_boot(struct vm *vm, char *err, size_t errlen)
{
	uint8_t *bios = vmm_gpa_ptr(&vm->mem, BOOT_BIOS_START, 0x10000);
	uint64_t rsdp = bios ? acpi_build(bios, 0x10000, BOOT_BIOS_START, vm->nvcpus) : 0;
	if (!rsdp) {
		snprintf(err, errlen, "ACPI tables do not fit");
		return -1;
	}
	uint8_t *mp = vmm_gpa_ptr(&vm->mem, 0xf0000, 0x10000);
	if (!mp || !mptable_build(mp, 0x10000, 0xf0000, vm->nvcpus)) {
		snprintf(err, errlen, "MP table does not fit");
		return -1;
	}
	struct boot_params_out bp;
	switch (vm->cfg->boot.kind) {
	case BOOT_KERNEL:
		if (load_kernel(vm, rsdp, &bp, err, errlen) < 0)
			return -1;
		break;
	default:
		snprintf(err, errlen, "boot source %d: not supported on x86_64", (int)vm->cfg->boot.kind);
		return -1;
	}
	if (boot_build_pagetables(&vm->mem) < 0) {
		snprintf(err, errlen, "page tables: outside guest memory");
		return -1;
	}
	vm->arch.entry = bp.entry;
	vm->arch.zeropage = bp.zeropage;
	return 0;
}

struct arch_vcpu_common *arch_vcpu_common(struct vm *vm, char *err, size_t errlen)
{
	return (struct arch_vcpu_common *)cpu_supported_cpuid(vm->kvm_fd, err, errlen);
}

int arch_vcpu_setup(struct vm *vm, const struct arch_vcpu_common *common, int index, int vcpu_fd,
		    char *err, size_t errlen)
{
	struct kvm_cpuid2 *cpuid = cpu_cpuid_for((const struct kvm_cpuid2 *)common, index, vm->nvcpus);
	int rc = !cpuid || cpu_init_vcpu(vcpu_fd, cpuid, err, errlen) < 0 ? -1 : 0;
	if (!cpuid)
		snprintf(err, errlen, "vCPU %d: CPUID: out of memory", index);
	free(cpuid);
	if (rc == 0 && index == 0)
		rc = cpu_set_boot_regs(vcpu_fd, vm->arch.entry, vm->arch.zeropage, err, errlen);
	return rc;
}

void arch_vcpu_common_free(struct arch_vcpu_common *common)
{
	free(common);
}

void arch_vcpu_describe(int vcpu_fd, char *out, size_t n)
{
	cpu_describe(vcpu_fd, out, n);
}

void arch_power_button(struct vm *vm)
{
	pm_power_button(&vm->arch.pm);
}

/* ---- saved state */

int arch_vm_save(struct vm *vm, struct state_w *w, char *err, size_t errlen)
{
	struct x86_vm_state s;
	if (x86_vm_state_get(vm->vm_fd, &s, err, errlen) < 0)
		return -1;
	state_w_section(w, &x86_vm_state_desc, 0, &s);
	pm_save(&vm->arch.pm, w);
	uart_save(&vm->uart, w, 0);
	return 0;
}

int arch_vm_load(struct vm *vm, struct state_r *r)
{
	struct x86_vm_state s;
	if (state_r_section(r, &x86_vm_state_desc, 0, &s))
		return -1;
	if (x86_vm_state_set(vm->vm_fd, &s, r->err, sizeof r->err) < 0)
		return -1;
	return pm_load(&vm->arch.pm, r) || uart_load(&vm->uart, r, 0) ? -1 : 0;
}

int arch_vcpu_save(struct vm *vm, int index, int vcpu_fd, struct state_w *w, char *err, size_t errlen)
{
	static struct x86_vcpu_state s;   /* 6 KiB; saves are serialised by the control loop */
	(void)vm;
	if (x86_vcpu_state_get(vcpu_fd, &s, err, errlen) < 0)
		return -1;
	state_w_section(w, &x86_vcpu_state_desc, (uint32_t)index, &s);
	return 0;
}

int arch_vcpu_load(struct vm *vm, int index, int vcpu_fd, struct state_r *r)
{
	static struct x86_vcpu_state s;
	(void)vm;
	if (state_r_section(r, &x86_vcpu_state_desc, (uint32_t)index, &s))
		return -1;
	return x86_vcpu_state_set(vcpu_fd, &s, r->err, sizeof r->err);
}
