/* mptable.c: builds the MP floating pointer and configuration table with
 * processor, bus, IOAPIC, I/O interrupt and local interrupt entries. */
#include "mptable.h"
#include "acpi.h"

#include <string.h>

#define MP_IOAPIC_ADDR 0xfec00000u
#define MP_LAPIC_ADDR 0xfee00000u

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static uint8_t *mp_cpu(uint8_t *e, int i)
{
	memset(e, 0, 20);
	e[0] = 0;
	e[1] = (uint8_t)i;                 /* local APIC id */
	e[2] = 0x14;                       /* local APIC version */
	e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0));   /* enabled, BSP */
	put32(e + 4, 0x600);               /* signature: family 6 */
	put32(e + 8, 0x201);               /* features: FPU, APIC */
	return e + 20;
}

static uint8_t *mp_entry8(uint8_t *e, uint8_t type, uint8_t a, uint8_t b, uint8_t c,
			  uint8_t d, uint8_t f, uint8_t g, uint8_t h)
{
	e[0] = type; e[1] = a; e[2] = b; e[3] = c; e[4] = d; e[5] = f; e[6] = g; e[7] = h;
	return e + 8;
}

size_t mptable_build(uint8_t *buf, size_t len, uint64_t base, int nvcpus)
{
	const int nirq = 16;
	size_t cfg_len = 44 + 20u * (size_t)nvcpus + 8 + 8 + 8u * nirq + 16;
	if (len < 16 + cfg_len || nvcpus < 1 || nvcpus > 254)
		return 0;
	memset(buf, 0, 16 + cfg_len);
	uint8_t *fp = buf, *cfg = buf + 16, *e = cfg + 44;
	uint8_t ioapic_id = (uint8_t)nvcpus;
	for (int i = 0; i < nvcpus; i++)
		e = mp_cpu(e, i);
	e = mp_entry8(e, 1, 0, 'I', 'S', 'A', ' ', ' ', ' ');                 /* bus 0: ISA */
	e = mp_entry8(e, 2, ioapic_id, 0x11, 1, 0, 0, 0, 0);                 /* IOAPIC, enabled */
	put32(e - 4, MP_IOAPIC_ADDR);
	for (int irq = 0; irq < nirq; irq++)                                 /* ISA IRQ n -> pin n */
		e = mp_entry8(e, 3, 0, 0, 0, 0, (uint8_t)irq, ioapic_id, (uint8_t)irq);
	e = mp_entry8(e, 4, 3, 0, 0, 0, 0, 0xff, 0);                         /* ExtINT -> LINT0 */
	e = mp_entry8(e, 4, 1, 0, 0, 0, 0, 0xff, 1);                         /* NMI -> LINT1 */
	memcpy(cfg, "PCMP", 4);
	put16(cfg + 4, (uint16_t)(e - cfg));
	cfg[6] = 4;
	memcpy(cfg + 8, "WAFER   ", 8);
	memcpy(cfg + 16, "WAFERVMM    ", 12);
	put16(cfg + 34, (uint16_t)(nvcpus + 2 + nirq + 2));
	put32(cfg + 36, MP_LAPIC_ADDR);
	cfg[7] = (uint8_t)(0 - acpi_sum(cfg, (size_t)(e - cfg)));
	memcpy(fp, "_MP_", 4);
	put32(fp + 4, (uint32_t)(base + 16));
	fp[8] = 1;                          /* length in 16-byte units */
	fp[9] = 4;                          /* spec 1.4 */
	fp[10] = (uint8_t)(0 - acpi_sum(fp, 16));
	return (size_t)(e - buf);
}
