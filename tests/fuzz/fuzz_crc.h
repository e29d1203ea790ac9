/* fuzz_crc.h: a copy of a fuzz input whose saved-state trailer ("SEND" and
 * the CRC-32 of all before it) is made valid, so that the parsers behind the
 * checksum are reached. NULL when the input is too short or too long. */
#ifndef FUZZ_CRC_H
#define FUZZ_CRC_H
#include "crc32.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *fuzz_fix_trailer(const uint8_t *data, size_t size)
{
	if (size < 20 || size >= (1u << 20))
		return NULL;
	uint8_t *p = malloc(size);
	if (!p)
		return NULL;
	memcpy(p, data, size);
	memcpy(p + size - 8, "SEND", 4);
	uint32_t crc = crc32_ieee(p, size - 8);
	for (int i = 0; i < 4; i++)
		p[size - 4 + i] = (uint8_t)(crc >> (8 * i));
	return p;
}
#endif
