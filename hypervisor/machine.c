/* machine.c: builds the machine the guest sees: legacy ports, UART, ACPI
 * PM, PCI with virtio devices, then loads the kernel, initrd and command line
 * and writes the ACPI tables. */
#include "machine.h"
#include "log.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "arch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void machine_uart_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;
	console_put(&vm->console, buf, len);
}

/* New console output: wake the main loop once per iteration when it has
 * followers (it re-arms console_wake before each poll). */
static void machine_console_notify(void *opaque)
{
	struct vm *vm = opaque;
	if (__atomic_exchange_n(&vm->console_wake, 0, __ATOMIC_ACQ_REL))
		vm_wake_main(vm);
}

static void machine_uart_irq(void *opaque, int level) { vm_irq_line(opaque, 4, level); }
static void machine_sci(void *opaque, int level) { vm_irq_line(opaque, ACPI_SCI_IRQ, level); }

static void machine_pm_event(void *opaque, enum pm_event ev)
{
	struct vm *vm = opaque;
	if (ev == PM_EV_POWEROFF) {
		vm_request_exit(vm, VMEXIT_POWEROFF);
	} else if (ev == PM_EV_REBOOT) {
		vm_request_exit(vm, VMEXIT_REBOOT);
	} else {
		pthread_mutex_lock(&vm->lock);
		int first = vm->boot_ms < 0;
		if (first)
			vm->boot_ms = (int64_t)((vm_now_ns() - vm->start_ns) / 1000000);
		int64_t ms = vm->boot_ms;
		pthread_mutex_unlock(&vm->lock);
		if (first)
			vmm_log("boot time %lld ms (boot-timer write)", (long long)ms);
	}
}

int machine_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
		      char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0) close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: not a regular file of at most %zu bytes", path, max);
		close(fd);
		return -1;
	}
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: read failed", path);
		free(buf);
		return -1;
	}
	*out = buf;
	*len = got;
	return 0;
}

static int machine_ports(struct vm *vm)
{
	static const struct { uint16_t base, len; } quiet[] = {
		{ 0x80, 1 }, { 0x70, 2 }, { 0x2f8, 8 }, { 0x3e8, 8 }, { 0x2e8, 8 },
		{ 0x3f1, 7 }, { 0xed, 1 }, { 0x87, 1 }, { 0x2e, 2 }, { 0x4e, 2 },
	};
	int r = 0;
	r |= bus_add(&vm->pio, 0x3f8, 8, uart_bus, &vm->uart, "uart");
	r |= bus_add(&vm->pio, ACPI_PM1_EVT_PORT, 12, pm_acpi_io, &vm->pm, "acpi-pm");
	r |= bus_add(&vm->pio, 0xcf8, 8, pci_conf_io, &vm->pci, "pci-conf");
	r |= bus_add(&vm->pio, 0x60, 5, pm_i8042_io, &vm->pm, "i8042");
	r |= bus_add(&vm->pio, BOOT_TIMER_PORT, 1, pm_boot_timer_io, &vm->pm, "boot-timer");
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		r |= bus_add(&vm->pio, quiet[i].base, quiet[i].len, pm_quiet_io, NULL, "absent");
	r |= bus_add(&vm->mmio, ACPI_PCI_MMIO_BASE, ACPI_PCI_MMIO_END - ACPI_PCI_MMIO_BASE,
		     pci_mmio, &vm->pci, "pci-mmio");
	return r ? -1 : 0;
}

static int machine_plug(struct vm *vm, struct virtio_dev *d, char *err, size_t errlen)
{
	if (!d)
		return -1;
	if (pci_bus_add(&vm->pci, &d->pci, ACPI_PCI_MMIO_END) < 0) {
		snprintf(err, errlen, "%s: no PCI slot or MMIO space left", d->id);
		return -1;
	}
	return 0;
}

static int machine_open_disk(const struct cfg_disk *d, char *err, size_t errlen)
{
	if (d->fd >= 0)
		return d->fd;
	int fd = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "disk %s: %s: %s", d->id, d->path, strerror(errno));
	return fd;
}

static int machine_virtio(struct vm *vm, char *err, size_t errlen)
{
	const struct vmm_config *c = vm->cfg;
	struct virtio_env env = { &vm->mem, vm_msi, (void (*)(void *))vm_wake_main, vm };
	for (int i = 0; i < c->ndisks; i++) {
		int fd = machine_open_disk(&c->disks[i], err, errlen);
		if (fd < 0)
			return -1;
		vm->blk[vm->nblk] = virtio_blk_create(&env, &c->disks[i], fd, err, errlen);
		if (machine_plug(vm, vm->blk[vm->nblk++], err, errlen) < 0)
			return -1;
	}
	for (int i = 0; i < c->nnets; i++) {
		int fd = c->nets[i].fd >= 0 ? c->nets[i].fd : virtio_net_open_tap(c->nets[i].tap, err, errlen);
		if (fd < 0)
			return -1;
		vm->net[vm->nnet] = virtio_net_create(&env, &c->nets[i], fd, err, errlen);
		if (machine_plug(vm, vm->net[vm->nnet++], err, errlen) < 0)
			return -1;
	}
	if (c->rng && machine_plug(vm, vm->rng = virtio_rng_create(&env, err, errlen), err, errlen) < 0)
		return -1;
	if (c->balloon && machine_plug(vm, vm->balloon = virtio_balloon_create(&env, vm->mem.size, err, errlen),
				       err, errlen) < 0)
		return -1;
	return 0;
}

static int machine_load(struct vm *vm, uint64_t rsdp, struct boot_params_out *bp,
			char *err, size_t errlen)
{
	const struct vmm_config *c = vm->cfg;
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
	rc = boot_load_bzimage(&vm->mem, kernel, klen, &bi, initrd, ilen, c->cmdline, rsdp, bp,
			       err, errlen);
out:
	free(kernel);
	free(initrd);
	return rc;
}

int machine_setup(struct vm *vm, char *err, size_t errlen)
{
	if (console_init(&vm->console, vm->cfg->console_ring) < 0) {
		snprintf(err, errlen, "console ring: out of memory");
		return -1;
	}
	vm->console.notify = machine_console_notify;
	vm->console.opaque = vm;
	uart_init(&vm->uart, machine_uart_out, machine_uart_irq, vm);
	pm_init(&vm->pm, machine_pm_event, machine_sci, vm);
	pci_bus_init(&vm->pci, ACPI_PCI_MMIO_BASE);
	vm->pci.reset_cb = pm_reset;
	vm->pci.reset_opaque = &vm->pm;
	if (machine_ports(vm) < 0) {
		snprintf(err, errlen, "port map: overlapping ranges");
		return -1;
	}
	if (machine_virtio(vm, err, errlen) < 0)
		return -1;
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
	if (machine_load(vm, rsdp, &bp, err, errlen) < 0)
		return -1;
	if (boot_build_pagetables(&vm->mem) < 0) {
		snprintf(err, errlen, "page tables: outside guest memory");
		return -1;
	}
	return vcpu_create_all(vm, bp.entry, bp.zeropage, err, errlen);
}
