/* fuzz_state: a saved-state stream from outside (a file the agent hands a
 * new VMM with --restore, later a migration peer): header, checksum, the
 * machine section, then sections of every field type, loaded as the VMM's
 * loader does (hypervisor/state.c). The checksum is recomputed over the
 * input first, so the fuzzer reaches the section and field parsers instead
 * of stopping at a mismatch; a second pass loads the input as given. */
#include "state.h"
#include "fuzz_crc.h"

#include <stdlib.h>
#include <string.h>

struct dev {
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;
	bool e;
	uint8_t raw[5];
	char s[12];
	uint32_t added;
};

#define F(type, m) STATE_FIELD(struct dev, type, m)
static const struct state_field fields[] = {
	F(ST_U8, a), F(ST_U16, b), F(ST_U32, c), F(ST_U64, d), F(ST_BOOL, e), F(ST_BYTES, raw), F(ST_STR, s),
	STATE_FIELD_SINCE(struct dev, ST_U32, added, 2),
};
static const struct state_desc dev_desc = { "test-dev", 2, 1, fields, 8 };

static void load(const uint8_t *p, size_t n)
{
	struct state_r r;
	struct state_machine m, cur = { "x86_64", 2, 256, "virtio-blk:disk0" };
	struct dev dv[4];
	char name[STATE_NAME_MAX + 1];
	if (state_r_open(&r, p, n, &m))
		return;
	state_r_machine_check(&r, &m, &cur);
	for (uint32_t i = 0; i < 4 && state_r_peek(&r, name); i++)
		if (state_r_section(&r, &dev_desc, i, &dv[i]))
			return;
	state_r_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size);
	uint8_t *p = fuzz_fix_trailer(data, size);
	if (p)
		load(p, size);
	free(p);
	return 0;
}
