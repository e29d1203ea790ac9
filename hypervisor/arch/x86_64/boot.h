/* boot.h: the Linux x86 boot protocol: bzImage header parsing, loading the
 * kernel, initrd and command line into guest memory, and the zero page. */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H
#include <stddef.h>
#include <stdint.h>
#include "mem.h"

/* Guest-physical layout of what the VMM puts in low memory. */
#define BOOT_GDT_ADDR      0x500
#define BOOT_ZEROPAGE_ADDR 0x7000
#define BOOT_PML4_ADDR     0x9000   /* + PDPT at 0xa000 + 4 PDs at 0xb000..0xefff */
#define BOOT_CMDLINE_ADDR  0x20000
#define BOOT_CMDLINE_MAX   0x10000
#define BOOT_EBDA_START    0x9fc00
#define BOOT_BIOS_START    0xe0000  /* ACPI + MP tables, reserved in e820 */
#define BOOT_KERNEL_ADDR   0x100000

struct bzimage_info {
	uint16_t version;        /* boot protocol version, e.g. 0x020f */
	uint8_t setup_sects;
	size_t setup_size;       /* bytes of real-mode part (setup_sects+1)*512 */
	size_t kernel_size;      /* protected-mode part */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;   /* max command line length (without NUL) */
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint16_t xloadflags;
	int relocatable;
};

/* Validate and parse a bzImage. Returns 0, or -1 with a message. */
int boot_parse_bzimage(const uint8_t *img, size_t len, struct bzimage_info *bi,
		       char *err, size_t errlen);

struct boot_params_out {
	uint64_t entry;          /* 64-bit entry point */
	uint64_t zeropage;       /* goes in RSI */
	uint64_t initrd_addr, initrd_size;
};

/* Load a parsed bzImage, the initrd (may be NULL) and the command line into
 * guest memory and build the zero page (e820, RSDP address). */
int boot_load_bzimage(struct guest_mem *m, const uint8_t *img, size_t len,
		      const struct bzimage_info *bi, const uint8_t *initrd, size_t initrd_len,
		      const char *cmdline, uint64_t rsdp_addr, struct boot_params_out *out,
		      char *err, size_t errlen);

/* Build GDT and identity page tables (first 4 GiB, 2 MiB pages). */
int boot_build_pagetables(struct guest_mem *m);
#endif
