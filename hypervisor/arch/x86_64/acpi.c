/* acpi.c: builds the ACPI tables: RSDP -> XSDT -> {FADT -> {FACS, DSDT}, MADT}.
 * The DSDT is hand-assembled AML: \_SB.PCI0 (PNP0A03 with its resources) and
 * \_S5 so the guest can power off through PM1a_CNT. */
#include "acpi.h"

#include <string.h>

struct tbuf { uint8_t *p; size_t len, cap; uint64_t base; int overflow; };

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* Reserve n zeroed bytes aligned to align; returns offset in buf. */
static size_t tb_alloc(struct tbuf *t, size_t n, size_t align)
{
	size_t at = (t->len + align - 1) & ~(align - 1);
	if (at + n > t->cap) {
		t->overflow = 1;
		return 0;
	}
	memset(t->p + at, 0, n);
	t->len = at + n;
	return at;
}

static void sdt_header(uint8_t *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h, sig, 4);
	put32(h + 4, len);
	h[8] = rev;
	memcpy(h + 10, "WAFER ", 6);
	memcpy(h + 16, "WAFERVMM", 8);
	put32(h + 24, 1);
	memcpy(h + 28, "WAFR", 4);
	put32(h + 32, 1);
}

static void sdt_finish(uint8_t *h, uint32_t len)
{
	h[9] = 0;
	h[9] = (uint8_t)(0 - acpi_sum(h, len));
}

/* AML PkgLength for content of n bytes; returns bytes written to out. */
static size_t aml_pkglen(uint8_t *out, size_t n)
{
	if (n + 1 < 0x40) {
		out[0] = (uint8_t)(n + 1);
		return 1;
	}
	size_t t = n + 2;
	out[0] = (uint8_t)(0x40 | (t & 0x0f));
	out[1] = (uint8_t)(t >> 4);
	return 2;
}

/* Wrap body in op (1 or 2 bytes) + PkgLength; returns new length in out. */
static size_t aml_wrap(uint8_t *out, const uint8_t *op, size_t oplen,
		       const uint8_t *body, size_t n)
{
	memcpy(out, op, oplen);
	size_t k = oplen + aml_pkglen(out + oplen, n);
	memcpy(out + k, body, n);
	return k + n;
}

static size_t aml_pci_crs(uint8_t *o)
{
	static const uint8_t crs[] = {
		/* WordBusNumber: producer, min/max fixed, 0..255 */
		0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x00, 0, 0, 0x00, 0x01,
		/* IO: 0xcf8..0xcff */
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
		/* DWordMemory: 0xc0000000..0xfebfffff, read-write, non-cacheable */
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0,
		0x00, 0x00, 0xc0, 0x3e,
		/* End tag */
		0x79, 0x00,
	};
	uint8_t body[sizeof(crs) + 2];
	body[0] = 0x0a;                      /* BytePrefix: buffer size */
	body[1] = (uint8_t)sizeof(crs);
	memcpy(body + 2, crs, sizeof(crs));
	static const uint8_t name[] = { 0x08, '_', 'C', 'R', 'S' };
	memcpy(o, name, sizeof(name));
	static const uint8_t bufop[] = { 0x11 };
	return sizeof(name) + aml_wrap(o + sizeof(name), bufop, 1, body, sizeof(body));
}

static size_t aml_dsdt_body(uint8_t *o)
{
	uint8_t dev[256], scope[300];
	size_t n = 0;
	static const uint8_t ids[] = {
		'P', 'C', 'I', '0',
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,   /* EisaId("PNP0A03") */
		0x08, '_', 'U', 'I', 'D', 0x00,
		0x08, '_', 'B', 'B', 'N', 0x00,
		0x08, '_', 'S', 'E', 'G', 0x00,
	};
	memcpy(dev, ids, sizeof(ids));
	n = sizeof(ids);
	n += aml_pci_crs(dev + n);
	static const uint8_t devop[] = { 0x5b, 0x82 };
	static const uint8_t sb[] = { 0x5c, '_', 'S', 'B', '_' };
	memcpy(scope, sb, sizeof(sb));
	size_t s = sizeof(sb) + aml_wrap(scope + sizeof(sb), devop, 2, dev, n);
	static const uint8_t scopeop[] = { 0x10 };
	size_t len = aml_wrap(o, scopeop, 1, scope, s);
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
		0x0a, ACPI_S5_TYP, 0x0a, ACPI_S5_TYP, 0x00, 0x00,
	};
	memcpy(o + len, s5, sizeof(s5));
	return len + sizeof(s5);
}

static uint64_t acpi_dsdt(struct tbuf *t)
{
	uint8_t body[512];
	size_t n = aml_dsdt_body(body);
	size_t at = tb_alloc(t, 36 + n, 16);
	if (t->overflow)
		return 0;
	sdt_header(t->p + at, "DSDT", (uint32_t)(36 + n), 2);
	memcpy(t->p + at + 36, body, n);
	sdt_finish(t->p + at, (uint32_t)(36 + n));
	return t->base + at;
}

static uint64_t acpi_facs(struct tbuf *t)
{
	size_t at = tb_alloc(t, 64, 64);
	if (t->overflow)
		return 0;
	memcpy(t->p + at, "FACS", 4);
	put32(t->p + at + 4, 64);
	t->p[at + 32] = 2;   /* version */
	return t->base + at;
}

static void gas_io(uint8_t *g, uint8_t bits, uint64_t port)
{
	g[0] = 1;            /* system I/O */
	g[1] = bits;
	g[2] = 0;
	g[3] = bits == 8 ? 1 : bits == 16 ? 2 : 3;
	put64(g + 4, port);
}

static uint64_t acpi_fadt(struct tbuf *t, uint64_t facs, uint64_t dsdt)
{
	const uint32_t len = 244;
	size_t at = tb_alloc(t, len, 16);
	if (t->overflow)
		return 0;
	uint8_t *f = t->p + at;
	sdt_header(f, "FACP", len, 3);
	put32(f + 36, (uint32_t)facs);
	put32(f + 40, (uint32_t)dsdt);
	put16(f + 46, ACPI_SCI_IRQ);
	put32(f + 56, ACPI_PM1_EVT_PORT);
	put32(f + 64, ACPI_PM1_CNT_PORT);
	put32(f + 76, ACPI_PM_TMR_PORT);
	f[88] = 4;   /* PM1_EVT_LEN */
	f[89] = 2;   /* PM1_CNT_LEN */
	f[91] = 4;   /* PM_TMR_LEN */
	put16(f + 96, 0x0fff);   /* no C2 */
	put16(f + 98, 0x0fff);   /* no C3 */
	put16(f + 109, 0x0004 | 0x0020);   /* IAPC_BOOT_ARCH: no VGA, no CMOS RTC, no 8042 */
	/* flags: WBINVD, PROC_C1, SLP_BUTTON (no sleep button), TMR_VAL_EXT, RESET_REG_SUP;
	 * PWR_BUTTON clear = fixed-feature power button present */
	put32(f + 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 8) | (1u << 10));
	gas_io(f + 116, 8, ACPI_RESET_PORT);
	f[128] = ACPI_RESET_VALUE;
	put64(f + 132, facs);
	put64(f + 140, dsdt);
	sdt_finish(f, len);
	return t->base + at;
}

static uint64_t acpi_madt(struct tbuf *t, int nvcpus)
{
	uint32_t len = 44 + 8u * (uint32_t)nvcpus + 12 + 10;
	size_t at = tb_alloc(t, len, 16);
	if (t->overflow)
		return 0;
	uint8_t *m = t->p + at;
	sdt_header(m, "APIC", len, 3);
	put32(m + 36, 0xfee00000);
	put32(m + 40, 1);        /* PCAT_COMPAT: dual 8259 present */
	uint8_t *e = m + 44;
	for (int i = 0; i < nvcpus; i++, e += 8) {
		e[0] = 0; e[1] = 8; e[2] = (uint8_t)i; e[3] = (uint8_t)i;
		put32(e + 4, 1);     /* enabled */
	}
	e[0] = 1; e[1] = 12; e[2] = 0; e[3] = 0;   /* IOAPIC id 0 */
	put32(e + 4, 0xfec00000);
	put32(e + 8, 0);
	e += 12;
	e[0] = 2; e[1] = 10; e[2] = 0; e[3] = ACPI_SCI_IRQ;   /* SCI: level, active high */
	put32(e + 4, ACPI_SCI_IRQ);
	put16(e + 8, 0x000d);
	sdt_finish(m, len);
	return t->base + at;
}

static uint64_t acpi_xsdt(struct tbuf *t, const uint64_t *tables, int n)
{
	uint32_t len = 36 + 8u * (uint32_t)n;
	size_t at = tb_alloc(t, len, 16);
	if (t->overflow)
		return 0;
	sdt_header(t->p + at, "XSDT", len, 1);
	for (int i = 0; i < n; i++)
		put64(t->p + at + 36 + 8 * i, tables[i]);
	sdt_finish(t->p + at, len);
	return t->base + at;
}

uint64_t acpi_build(uint8_t *buf, size_t len, uint64_t base, int nvcpus)
{
	struct tbuf t = { buf, 0, len, base, 0 };
	size_t rsdp = tb_alloc(&t, 36, 16);
	uint64_t facs = acpi_facs(&t);
	uint64_t dsdt = acpi_dsdt(&t);
	uint64_t tables[2];
	tables[0] = acpi_fadt(&t, facs, dsdt);
	tables[1] = acpi_madt(&t, nvcpus);
	uint64_t xsdt = acpi_xsdt(&t, tables, 2);
	if (t.overflow)
		return 0;
	uint8_t *r = buf + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "WAFER ", 6);
	r[15] = 2;
	put32(r + 20, 36);
	put64(r + 24, xsdt);
	r[8] = (uint8_t)(0 - acpi_sum(r, 20));
	r[32] = (uint8_t)(0 - acpi_sum(r, 36));
	return base + rsdp;
}
