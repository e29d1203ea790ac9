/* machine.c: builds the machine the guest sees: the console, the PCI bus
 * with the virtio devices, and through the port's hooks (arch.h) its own
 * devices, firmware tables and the kernel; then the vCPUs. */
#include "machine.h"
#include "log.h"
#include "device.h"
#include "virtio/devices.h"
#include "arch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void machine_uart_out(void *opaque, const uint8_t *buf, size_t len)
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

void machine_power_event(struct vm *vm, enum machine_event ev)
{
	if (ev == MACHINE_POWEROFF) {
		vm_request_exit(vm, VMEXIT_POWEROFF);
	} else if (ev == MACHINE_REBOOT) {
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

int machine_setup(struct vm *vm, char *err, size_t errlen)
{
	if (console_init(&vm->console, vm->cfg->console_ring) < 0) {
		snprintf(err, errlen, "console ring: out of memory");
		return -1;
	}
	vm->console.notify = machine_console_notify;
	vm->console.opaque = vm;
	pci_bus_init(&vm->pci, ARCH_PCI_MMIO_BASE);
	struct virtio_env env = { &vm->mem, (void (*)(void *))vm_wake_main, vm };
	if (arch_machine_devices(vm, err, errlen) < 0 || device_create_all(vm, &env, err, errlen) < 0)
		return -1;
	/* a restore brings memory and registers from its file instead (and
	 * needs the memory untouched: its holes are the guest's zero pages) */
	if (!vm->cfg->restore_path && vm->cfg->restore_fd < 0 && arch_machine_boot(vm, err, errlen) < 0)
		return -1;
	return vcpu_create_all(vm, err, errlen);
}
