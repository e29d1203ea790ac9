/* machine.h: assembles the x86 PC-like machine: ports, PCI, UART, ACPI PM,
 * virtio devices, kernel loading and firmware tables. */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H
#include <stddef.h>
#include "vm.h"

/* Everything opened/loaded before vCPUs exist. Returns 0 or -1 with err. */
int machine_setup(struct vm *vm, char *err, size_t errlen);
/* Read a whole file (at most max bytes) into a new buffer. */
int machine_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
		      char *err, size_t errlen);
#endif
