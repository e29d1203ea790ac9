/* machine.h: assembles the machine: console, PCI with the virtio devices,
 * and, through the architecture's hooks (arch.h), its own devices, firmware
 * tables and kernel loading. */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H
#include <stddef.h>
#include "vm.h"

/* Everything opened/loaded before vCPUs exist. Returns 0 or -1 with err. */
int machine_setup(struct vm *vm, char *err, size_t errlen);
/* For the ports' devices: what the guest did with power (ACPI S5, a reset,
 * the boot-timer port), and where UART output goes (the console ring). */
enum machine_event { MACHINE_POWEROFF, MACHINE_REBOOT, MACHINE_BOOT_DONE };
void machine_power_event(struct vm *vm, enum machine_event ev);
void machine_uart_out(void *opaque, const uint8_t *buf, size_t len);
/* Read a whole file (at most max bytes) into a new buffer. */
int machine_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
		      char *err, size_t errlen);
#endif
