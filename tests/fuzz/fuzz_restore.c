/* fuzz_restore: a saved VM's state stream as wafer-vmm --restore reads it
 * (hypervisor/savefile.c), through the real loaders of everything that
 * does not need KVM: the machine check, the x86 VM and vCPU sections, the
 * ACPI PM block, the UART, then virtio-blk, virtio-net and virtio-rng with
 * their virtio-pci transports and PCI functions, and the host bridge, in a
 * machine like the one the seeds were saved from (1 vCPU, 128 MiB; the seeds
 * are real streams from tests/system/t41-vmm-restore.sh). KVM's own checks
 * of the x86 sections are not reached here. The checksum is recomputed over
 * each input first, so the parsers behind it are reached. */
#include "arch/x86_64/pm.h"
#include "arch/x86_64/vcpu_state.h"
#include "arch/x86_64/vm_state.h"
#include "fuzz_crc.h"
#include "devices/pci.h"
#include "devices/uart.h"
#include "state.h"
#include "virtio/devices.h"
#include "virtio/virtio_pci.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEM (128u << 20)
static struct guest_mem mem;
static int disk = -1;
static void msi(void *o, uint64_t a, uint32_t d) { (void)o; (void)a; (void)d; }
static void wake(void *o) { (void)o; }
static void ev(void *o, enum pm_event e) { (void)o; (void)e; }
static void irq(void *o, int l) { (void)o; (void)l; }
static void out(void *o, const uint8_t *b, size_t n) { (void)o; (void)b; (void)n; }

static void load(const uint8_t *p, size_t n)
{
	static struct pm pm;
	static struct uart uart;
	static struct x86_vm_state vms;
	static struct x86_vcpu_state vcs;
	static struct pci_bus bus;
	int wire[2];
	struct virtio_env env = { &mem, wake, NULL };
	char err[160];
	struct cfg_disk cd = { .path = "fuzz", .fd = -1 };
	struct cfg_net cn = { .fd = -1 };
	memcpy(cd.id, "disk0", 6);
	memcpy(cn.id, "net0", 5);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, wire))
		abort();
	struct virtio_dev *dev[3] = { virtio_blk_create(&env, &cd, dup(disk), err, sizeof err),
				      virtio_net_create_frames(&env, &cn, wire[0], err, sizeof err),
				      virtio_rng_create(&env, err, sizeof err) };
	for (int i = 0; i < 3; i++)
		if (!dev[i] || !virtio_pci_attach(dev[i], msi, NULL))
			abort();
	pm_init(&pm, ev, irq, NULL);
	uart_init(&uart, out, irq, NULL);
	pci_bus_init(&bus, 0xc0000000u);

	struct state_r r;
	struct state_machine saved, cur = { "x86_64", 1, 128, "virtio-blk:disk0,virtio-net:net0,virtio-rng:rng0" };
	if (state_r_open(&r, p, n, &saved) || state_r_machine_check(&r, &saved, &cur) ||
	    state_r_section(&r, &x86_vm_state_desc, 0, &vms) || pm_load(&pm, &r) || uart_load(&uart, &r, 0) ||
	    state_r_section(&r, &x86_vcpu_state_desc, 0, &vcs))
		goto out;
	for (uint32_t i = 0; i < 3; i++)
		if (virtio_load(dev[i], &r, i))
			goto out;
	if (pci_dev_load(&bus.host, &r, 0x100) == 0)
		state_r_close(&r);
out:
	if (getenv("FUZZ_RESTORE_VERBOSE"))   /* to check a seed loads whole */
		fprintf(stderr, "restore: %s\n", r.err[0] ? r.err : "loaded whole");
	for (int i = 0; i < 3; i++) {
		virtio_pci_detach(dev[i]);
		if (i == 0)
			virtio_blk_destroy(dev[i]);
		else
			free(dev[i]);
	}
	close(wire[0]);
	close(wire[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem.host) {
		void *p = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		disk = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (p == MAP_FAILED || disk < 0 || ftruncate(disk, 16 << 20))
			abort();
		mem_init_buffer(&mem, p, MEM);
	}
	uint8_t *p = fuzz_fix_trailer(data, size);
	if (p)
		load(p, size);
	free(p);
	return 0;
}
