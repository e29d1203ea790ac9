/* mptable.h: the Intel MultiProcessor table (spec 1.4) for guests booted
 * with acpi=off: one processor entry per vCPU, ISA bus, IOAPIC, ISA IRQs. */
#ifndef VMM_MPTABLE_H
#define VMM_MPTABLE_H
#include <stddef.h>
#include <stdint.h>

/* Build the floating pointer and the configuration table into buf (guest
 * memory at gpa base, which must lie in 0xf0000..0xfffff for the guest to
 * find it). Returns bytes used, or 0 if they do not fit. */
size_t mptable_build(uint8_t *buf, size_t len, uint64_t base, int nvcpus);
#endif
