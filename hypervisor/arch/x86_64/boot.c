/* boot.c: Linux x86 boot protocol (Documentation/arch/x86/boot.rst):
 * bzImage header checks, kernel/initrd/cmdline placement, zero page with an
 * e820 map, GDT and identity-mapped page tables for the 64-bit entry. */
#include "boot.h"

#include <stdio.h>
#include <string.h>

/* Offsets in the zero page (struct boot_params) and its setup header. */
enum {
	BP_ACPI_RSDP = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4,
	BP_EXT_CMD_LINE_PTR = 0x0c8, BP_E820_ENTRIES = 0x1e8, BP_SETUP_HDR = 0x1f1,
	BP_SETUP_SECTS = 0x1f1, BP_BOOT_FLAG = 0x1fe, BP_HEADER = 0x202,
	BP_VERSION = 0x206, BP_TYPE_OF_LOADER = 0x210, BP_LOADFLAGS = 0x211,
	BP_RAMDISK_IMAGE = 0x218, BP_RAMDISK_SIZE = 0x21c, BP_HEAP_END_PTR = 0x224,
	BP_CMD_LINE_PTR = 0x228, BP_INITRD_ADDR_MAX = 0x22c, BP_KERNEL_ALIGNMENT = 0x230,
	BP_RELOCATABLE = 0x234, BP_XLOADFLAGS = 0x236, BP_CMDLINE_SIZE = 0x238,
	BP_PREF_ADDRESS = 0x258, BP_INIT_SIZE = 0x260, BP_E820_TABLE = 0x2d0,
	BP_SIZE = 0x1000, E820_MAX = 128,
};
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

int boot_parse_bzimage(const uint8_t *img, size_t len, struct bzimage_info *bi,
		       char *err, size_t errlen)
{
	memset(bi, 0, sizeof(*bi));
	if (len < 0x270) {
		snprintf(err, errlen, "kernel: %zu bytes is too small for a bzImage", len);
		return -1;
	}
	if (get16(img + BP_BOOT_FLAG) != 0xaa55 || memcmp(img + BP_HEADER, "HdrS", 4) != 0) {
		snprintf(err, errlen, "kernel: not a bzImage (no 0xAA55 boot flag / HdrS magic)");
		return -1;
	}
	bi->version = get16(img + BP_VERSION);
	if (bi->version < 0x020c) {
		snprintf(err, errlen, "kernel: boot protocol %u.%02u is too old (need 2.12+ for the 64-bit entry)",
			 bi->version >> 8, bi->version & 0xff);
		return -1;
	}
	bi->setup_sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	bi->setup_size = ((size_t)bi->setup_sects + 1) * 512;
	if (bi->setup_size >= len) {
		snprintf(err, errlen, "kernel: truncated: setup (%zu bytes) reaches past the file end (%zu)",
			 bi->setup_size, len);
		return -1;
	}
	bi->kernel_size = len - bi->setup_size;
	if (!(img[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, errlen, "kernel: not a bzImage (zImage loaded low)");
		return -1;
	}
	bi->xloadflags = get16(img + BP_XLOADFLAGS);
	if (!(bi->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "kernel: no 64-bit entry point (XLF_KERNEL_64 not set)");
		return -1;
	}
	bi->initrd_addr_max = get32(img + BP_INITRD_ADDR_MAX);
	bi->kernel_alignment = get32(img + BP_KERNEL_ALIGNMENT);
	bi->relocatable = img[BP_RELOCATABLE];
	bi->cmdline_size = get32(img + BP_CMDLINE_SIZE);
	bi->pref_address = get64(img + BP_PREF_ADDRESS);
	bi->init_size = get32(img + BP_INIT_SIZE);
	if (bi->init_size < bi->kernel_size) {
		snprintf(err, errlen, "kernel: corrupt header: init_size %u < payload size %zu",
			 bi->init_size, bi->kernel_size);
		return -1;
	}
	if (bi->cmdline_size == 0 || bi->cmdline_size >= BOOT_CMDLINE_MAX)
		bi->cmdline_size = BOOT_CMDLINE_MAX - 1;
	return 0;
}

static void e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = zp[BP_E820_ENTRIES];
	if (n >= E820_MAX || size == 0)
		return;
	uint8_t *e = zp + BP_E820_TABLE + 20 * n;
	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
	zp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

static void boot_e820(const struct guest_mem *m, uint8_t *zp)
{
	e820_add(zp, 0, BOOT_EBDA_START, 1);
	e820_add(zp, BOOT_EBDA_START, 0xa0000 - BOOT_EBDA_START, 2);
	e820_add(zp, BOOT_BIOS_START, 0x100000 - BOOT_BIOS_START, 2);
	e820_add(zp, 0x100000, m->low_size - 0x100000, 1);
	if (m->size > m->low_size)
		e820_add(zp, MEM_HIGH_START, m->size - m->low_size, 1);
}

/* Highest page-aligned address for the initrd below the limits. */
static int boot_place_initrd(const struct guest_mem *m, const struct bzimage_info *bi,
			     size_t len, uint64_t kernel_end, uint64_t *addr)
{
	uint64_t top = m->low_size;
	uint64_t max = bi->initrd_addr_max ? (uint64_t)bi->initrd_addr_max + 1 : 0x38000000;
	if (top > max)
		top = max;
	if (len > top || ((top - len) & ~0xfffULL) < kernel_end)
		return -1;
	*addr = (top - len) & ~0xfffULL;
	return 0;
}

int boot_load_bzimage(struct guest_mem *m, const uint8_t *img, size_t len,
		      const struct bzimage_info *bi, const uint8_t *initrd, size_t initrd_len,
		      const char *cmdline, uint64_t rsdp_addr, struct boot_params_out *out,
		      char *err, size_t errlen)
{
	uint64_t kaddr = BOOT_KERNEL_ADDR;
	uint64_t kspan = bi->init_size > bi->kernel_size ? bi->init_size : bi->kernel_size;
	if (m->low_size < 0x100000 || kaddr + kspan > m->low_size) {
		snprintf(err, errlen, "kernel: needs %llu bytes above 1 MiB, guest has %llu MiB",
			 (unsigned long long)kspan, (unsigned long long)(m->size >> 20));
		return -1;
	}
	if (mem_write(m, kaddr, img + bi->setup_size, bi->kernel_size) < 0) {
		snprintf(err, errlen, "kernel: does not fit in guest memory");
		return -1;
	}
	size_t clen = strlen(cmdline);
	if (clen > bi->cmdline_size) {
		snprintf(err, errlen, "cmdline: %zu bytes, the kernel accepts at most %u", clen, bi->cmdline_size);
		return -1;
	}
	mem_write(m, BOOT_CMDLINE_ADDR, cmdline, clen + 1);

	uint8_t *zp = vmm_gpa_ptr(m, BOOT_ZEROPAGE_ADDR, BP_SIZE);
	if (!zp) {
		snprintf(err, errlen, "zero page: outside guest memory");
		return -1;
	}
	memset(zp, 0, BP_SIZE);
	size_t hdr_end = 0x202 + img[0x201];   /* setup header length is encoded at 0x201 */
	if (hdr_end > 0x280 || hdr_end > len)
		hdr_end = 0x280 < len ? 0x280 : len;
	memcpy(zp + BP_SETUP_HDR, img + BP_SETUP_HDR, hdr_end - BP_SETUP_HDR);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] = (uint8_t)((zp[BP_LOADFLAGS] | LOADED_HIGH | CAN_USE_HEAP) & ~0x20);
	put16(zp + BP_HEAP_END_PTR, 0xe000 - 0x200);
	put32(zp + BP_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);
	put32(zp + BP_EXT_CMD_LINE_PTR, 0);
	put64(zp + BP_ACPI_RSDP, rsdp_addr);
	boot_e820(m, zp);

	memset(out, 0, sizeof(*out));
	out->entry = kaddr + 0x200;
	out->zeropage = BOOT_ZEROPAGE_ADDR;
	if (initrd && initrd_len) {
		uint64_t at;
		if (boot_place_initrd(m, bi, initrd_len, kaddr + kspan, &at) < 0) {
			snprintf(err, errlen, "initrd: %zu bytes do not fit below the kernel's limit with %llu MiB RAM",
				 initrd_len, (unsigned long long)(m->size >> 20));
			return -1;
		}
		mem_write(m, at, initrd, initrd_len);
		put32(zp + BP_RAMDISK_IMAGE, (uint32_t)at);
		put32(zp + BP_RAMDISK_SIZE, (uint32_t)initrd_len);
		put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(at >> 32));
		put32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)initrd_len >> 32));
		out->initrd_addr = at;
		out->initrd_size = initrd_len;
	}
	return 0;
}

int boot_build_pagetables(struct guest_mem *m)
{
	static const uint64_t gdt[4] = {
		0, 0,
		0x00af9b000000ffffULL,   /* 0x10: 64-bit code */
		0x00cf93000000ffffULL,   /* 0x18: data */
	};
	uint8_t *g = vmm_gpa_ptr(m, BOOT_GDT_ADDR, sizeof(gdt));
	uint8_t *pt = vmm_gpa_ptr(m, BOOT_PML4_ADDR, 6 * 4096);
	if (!g || !pt)
		return -1;
	for (int i = 0; i < 4; i++)
		put64(g + 8 * i, gdt[i]);
	memset(pt, 0, 6 * 4096);
	uint64_t pdpt = BOOT_PML4_ADDR + 0x1000, pd = BOOT_PML4_ADDR + 0x2000;
	put64(pt, pdpt | 3);
	for (int i = 0; i < 4; i++)
		put64(pt + 0x1000 + 8 * i, (pd + 0x1000 * (uint64_t)i) | 3);
	for (uint64_t i = 0; i < 2048; i++)
		put64(pt + 0x2000 + 8 * i, (i << 21) | 0x83);   /* present, rw, 2 MiB */
	return 0;
}
