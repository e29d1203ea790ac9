/* crc32.h: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the
 * checksum of GPT headers and of the VMM's saved-state streams. crc32("123456789")
 * is 0xCBF43926. */
#ifndef WAFER_CRC32_H
#define WAFER_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(const void *data, size_t len);
/* Continue a running CRC: start with crc = 0, feed pieces in order. */
uint32_t crc32_ieee_update(uint32_t crc, const void *data, size_t len);
#endif
