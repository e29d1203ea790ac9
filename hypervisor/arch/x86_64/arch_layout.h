/* arch_layout.h (x86_64): the guest-physical memory layout the generic
 * memory code (mem.h) follows: RAM from 0 up to the hole below 4 GiB (PCI
 * MMIO, IOAPIC, LAPIC), the rest from 4 GiB. A port without a hole sets
 * both to the same address above its RAM. */
#ifndef VMM_ARCH_LAYOUT_H
#define VMM_ARCH_LAYOUT_H
#define MEM_HOLE_START 0xC0000000ULL   /* PCI MMIO, IOAPIC, LAPIC up to 4 GiB */
#define MEM_HIGH_START 0x100000000ULL
#endif
