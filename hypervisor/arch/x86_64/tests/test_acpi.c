/* test_acpi.c: the ACPI tables: RSDP/XSDT/FADT/FACS/MADT/DSDT checksums and
 * lengths, table links, one local APIC per vCPU, the \_S5 package and the PM
 * ports the FADT announces; too small a buffer fails cleanly. */
#include "wtest.h"
#include "acpi.h"
#include "mptable.h"

#include <stdlib.h>
#include <string.h>

#define BASE 0xe0000
static uint8_t buf[0x10000];

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static const uint8_t *at(uint64_t gpa) { return gpa >= BASE && gpa < BASE + sizeof(buf) ? buf + (gpa - BASE) : NULL; }

static const uint8_t *table(const uint8_t *xsdt, const char *sig)
{
	uint32_t n = (rd32(xsdt + 4) - 36) / 8;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = at(rd64(xsdt + 36 + 8 * i));
		if (t && !memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

static void check_tables(int nvcpus)
{
	memset(buf, 0, sizeof(buf));
	uint64_t rsdp_gpa = acpi_build(buf, sizeof(buf), BASE, nvcpus);
	const uint8_t *rsdp = at(rsdp_gpa);
	WT_CHECK(rsdp != NULL);
	if (!rsdp)
		return;
	WT_CHECK(!memcmp(rsdp, "RSD PTR ", 8));
	WT_CHECK(rsdp_gpa % 16 == 0);
	WT_EQ_INT(acpi_sum(rsdp, 20), 0);
	WT_EQ_INT(acpi_sum(rsdp, 36), 0);
	WT_EQ_INT(rsdp[15], 2);
	const uint8_t *xsdt = at(rd64(rsdp + 24));
	WT_CHECK(xsdt && !memcmp(xsdt, "XSDT", 4));
	WT_EQ_INT(acpi_sum(xsdt, rd32(xsdt + 4)), 0);
	const uint8_t *fadt = table(xsdt, "FACP"), *madt = table(xsdt, "APIC");
	WT_CHECK(fadt && madt);
	if (!fadt || !madt)
		return;
	WT_EQ_INT(acpi_sum(fadt, rd32(fadt + 4)), 0);
	WT_EQ_INT(acpi_sum(madt, rd32(madt + 4)), 0);
	WT_EQ_INT(rd32(fadt + 56), ACPI_PM1_EVT_PORT);
	WT_EQ_INT(rd32(fadt + 64), ACPI_PM1_CNT_PORT);
	WT_EQ_INT(fadt[46], ACPI_SCI_IRQ);
	WT_EQ_INT(rd32(fadt + 112) & (1u << 4), 0);          /* fixed power button */
	const uint8_t *dsdt = at(rd64(fadt + 140)), *facs = at(rd64(fadt + 132));
	WT_CHECK(dsdt && !memcmp(dsdt, "DSDT", 4) && acpi_sum(dsdt, rd32(dsdt + 4)) == 0);
	WT_CHECK(facs && !memcmp(facs, "FACS", 4) && (rd64(fadt + 132) % 64) == 0);
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12 };
	WT_CHECK(dsdt && memmem(dsdt, rd32(dsdt + 4), s5, sizeof(s5)) != NULL);
	WT_CHECK(dsdt && memmem(dsdt, rd32(dsdt + 4), "PCI0", 4) != NULL);
	/* MADT: one enabled local APIC per vCPU with APIC id = index */
	int lapics = 0, ioapics = 0;
	for (uint32_t o = 44; o < rd32(madt + 4); o += madt[o + 1]) {
		WT_CHECK(madt[o + 1] >= 2);
		if (madt[o + 1] < 2)
			break;
		if (madt[o] == 0) {
			WT_EQ_INT(madt[o + 3], lapics);
			WT_EQ_INT(rd32(madt + o + 4) & 1, 1);
			lapics++;
		}
		ioapics += madt[o] == 1;
	}
	WT_EQ_INT(lapics, nvcpus);
	WT_EQ_INT(ioapics, 1);
}

static void t_tables(void)
{
	check_tables(1);
	check_tables(2);
	check_tables(64);
}

static void t_too_small(void)
{
	WT_EQ_INT(acpi_build(buf, 100, BASE, 4), 0);
	WT_EQ_INT(acpi_build(buf, 600, BASE, 64), 0);
}

static void t_mptable(void)
{
	uint8_t mp[4096];
	for (int n = 1; n <= 64; n *= 4) {
		memset(mp, 0xaa, sizeof(mp));
		size_t used = mptable_build(mp, sizeof(mp), 0xf0000, n);
		WT_CHECK(used > 16);
		WT_CHECK(!memcmp(mp, "_MP_", 4));
		WT_EQ_INT(acpi_sum(mp, 16), 0);
		WT_EQ_INT(rd32(mp + 4), 0xf0010);
		const uint8_t *cfg = mp + 16;
		WT_CHECK(!memcmp(cfg, "PCMP", 4));
		uint16_t clen = (uint16_t)(cfg[4] | cfg[5] << 8);
		WT_EQ_INT(acpi_sum(cfg, clen), 0);
		WT_EQ_INT(16 + clen, used);
		int cpus = 0, bsp = 0;
		for (const uint8_t *e = cfg + 44; e < cfg + clen; e += e[0] == 0 ? 20 : 8) {
			if (e[0] == 0) { cpus++; bsp += (e[3] & 2) != 0; }
			WT_CHECK(e[0] <= 4);
		}
		WT_EQ_INT(cpus, n);
		WT_EQ_INT(bsp, 1);
	}
	WT_EQ_INT(mptable_build(mp, 100, 0xf0000, 4), 0);
	WT_EQ_INT(mptable_build(mp, sizeof(mp), 0xf0000, 0), 0);
}

WTEST_MAIN("vmm_acpi", WT_CASE(t_tables), WT_CASE(t_too_small), WT_CASE(t_mptable))
