/* acpi.h: the ACPI tables the guest finds (RSDP, XSDT, FADT, FACS, MADT,
 * DSDT with the PCI root bridge and \_S5) and the PM register addresses. */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H
#include <stddef.h>
#include <stdint.h>

#define ACPI_PM1_EVT_PORT 0x600   /* PM1a status (2) + enable (2) */
#define ACPI_PM1_CNT_PORT 0x604   /* PM1a control (2) */
#define ACPI_PM_TMR_PORT  0x608   /* PM timer (4) */
#define ACPI_RESET_PORT   0xcf9
#define ACPI_RESET_VALUE  0x06
#define ACPI_SCI_IRQ      9
#define ACPI_S5_TYP       5       /* SLP_TYP for \_S5 in our DSDT */
#define ACPI_PCI_MMIO_BASE 0xc0000000ULL
#define ACPI_PCI_MMIO_END  0xfec00000ULL   /* exclusive */

/* Build all tables into buf (representing guest memory at gpa base, up to
 * len bytes). Returns the RSDP guest address, or 0 if they do not fit. */
uint64_t acpi_build(uint8_t *buf, size_t len, uint64_t base, int nvcpus);

/* Sum of bytes (tables are valid when the sum over their length is 0). */
uint8_t acpi_sum(const uint8_t *p, size_t len);
#endif
