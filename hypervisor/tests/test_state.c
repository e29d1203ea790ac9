/* test_state.c: the saved-state stream (state.c): every field type round
 * trips; another machine, version, field set, a truncated stream and every
 * single damaged byte are refused with a message, leaving the object as it
 * was. */
#include "state.h"
#include "wtest.h"

#include <stdio.h>
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
	uint32_t added;   /* a field of version 2 */
};

#define F(type, m) STATE_FIELD(struct dev, type, m)
static const struct state_field dev_fields[] = {
	F(ST_U8, a), F(ST_U16, b), F(ST_U32, c), F(ST_U64, d), F(ST_BOOL, e), F(ST_BYTES, raw), F(ST_STR, s),
	STATE_FIELD_SINCE(struct dev, ST_U32, added, 2),
};
static const struct state_desc dev_v2 = { "test-dev", 2, 1, dev_fields, 8 };
/* what an older wafer-vmm wrote: version 1, without `added` */
static const struct state_desc dev_v1 = { "test-dev", 1, 1, dev_fields, 7 };
/* a newer one: version 3 */
static const struct state_desc dev_v3 = { "test-dev", 3, 1, dev_fields, 8 };
/* and one this loader no longer reads */
static const struct state_desc dev_v2_min2 = { "test-dev", 2, 2, dev_fields, 8 };

static const struct dev ref = { 0xab, 0xbeef, 0xdeadbeef, 0x0123456789abcdefULL, true,
				{ 1, 2, 0, 4, 5 }, "disk0", 77 };
static struct state_machine mach = { "x86_64", 2, 256, "virtio-blk:disk0,virtio-rng:rng0" };

/* A stream of the machine and two devices written with desc d. */
static void stream(struct state_w *w, const struct state_desc *d)
{
	state_w_init(w, &mach);
	state_w_section(w, d, 0, &ref);
	state_w_section(w, d, 1, &ref);
	WT_EQ_INT(state_w_finish(w), 0);
}

/* Load a stream into two devices with desc d: 0 or -1 (err in r). */
static int load(struct state_r *r, const uint8_t *p, size_t n, const struct state_desc *d, struct dev out[2])
{
	struct state_machine m;
	if (state_r_open(r, p, n, &m) || state_r_machine_check(r, &m, &mach) ||
	    state_r_section(r, d, 0, &out[0]) || state_r_section(r, d, 1, &out[1]))
		return -1;
	return state_r_close(r);
}

static void t_roundtrip(void)
{
	struct state_w w;
	struct state_r r;
	struct dev out[2];
	stream(&w, &dev_v2);
	memset(out, 0, sizeof out);
	WT_EQ_INT(load(&r, w.buf, w.len, &dev_v2, out), 0);
	for (int i = 0; i < 2; i++) {
		WT_EQ_INT(out[i].a, ref.a);
		WT_EQ_INT(out[i].b, ref.b);
		WT_EQ_INT(out[i].c, ref.c);
		WT_CHECK(out[i].d == ref.d);
		WT_CHECK(out[i].e);
		WT_CHECK(!memcmp(out[i].raw, ref.raw, sizeof ref.raw));
		WT_EQ_STR(out[i].s, "disk0");
		WT_EQ_INT(out[i].added, 77);
	}
	char name[STATE_NAME_MAX + 1];
	state_r_open(&r, w.buf, w.len, &(struct state_machine){ 0 });
	WT_CHECK(state_r_peek(&r, name));
	WT_EQ_STR(name, "test-dev");
	state_w_free(&w);
}

/* An older version (min_version <= v < version): fields it lacks keep their value. */
static void t_older_version(void)
{
	struct state_w w;
	struct state_r r;
	struct dev out[2];
	stream(&w, &dev_v1);
	memset(out, 0, sizeof out);
	out[0].added = out[1].added = 5;
	WT_EQ_INT(load(&r, w.buf, w.len, &dev_v2, out), 0);
	WT_EQ_INT(out[0].added, 5);
	WT_EQ_INT(out[1].c, ref.c);
	WT_EQ_INT(load(&r, w.buf, w.len, &dev_v2_min2, out), -1);
	WT_CHECK(strstr(r.err, "version 1: this wafer-vmm reads versions 2 to 2") != NULL);
	state_w_free(&w);
}

static void expect_refused_after(const struct state_w *w, const struct state_desc *d, const char *msg,
				 bool sections_ok)
{
	struct state_r r;
	struct dev out[2], before[2];
	memset(out, 0x5a, sizeof out);
	memcpy(before, out, sizeof out);
	WT_EQ_INT(load(&r, w->buf, w->len, d, out), -1);
	if (!strstr(r.err, msg))
		fprintf(stderr, "  message '%s' lacks '%s'\n", r.err, msg);
	WT_CHECK(strstr(r.err, msg) != NULL);
	/* a refused section changes nothing of its object */
	if (!sections_ok)
		WT_CHECK(!memcmp(&out[1], &before[1], sizeof out[1]));
}

static void expect_refused(const struct state_w *w, const struct state_desc *d, const char *msg)
{
	expect_refused_after(w, d, msg, false);
}

static void t_refused(void)
{
	struct state_w w;
	stream(&w, &dev_v3);
	expect_refused(&w, &dev_v2, "version 3: this wafer-vmm reads versions 1 to 2");
	state_w_free(&w);

	/* a field this loader does not know; one it needs missing; a wrong type; twice */
	static const struct state_field extra[] = { F(ST_U8, a), F(ST_U16, b), F(ST_U32, c), F(ST_U64, d),
		F(ST_BOOL, e), F(ST_BYTES, raw), F(ST_STR, s), STATE_FIELD(struct dev, ST_U32, added),
		{ "unknown", ST_U8, 0, 1, 0 } };
	stream(&w, &(struct state_desc){ "test-dev", 2, 1, extra, 9 });
	expect_refused(&w, &dev_v2, "unknown field 'unknown'");
	state_w_free(&w);
	stream(&w, &(struct state_desc){ "test-dev", 2, 1, dev_fields + 1, 7 });
	expect_refused(&w, &dev_v2, "field 'a' missing");
	state_w_free(&w);
	static const struct state_field wrong[] = { { "a", ST_U16, offsetof(struct dev, b), 2, 0 } };
	stream(&w, &(struct state_desc){ "test-dev", 2, 1, wrong, 1 });
	expect_refused(&w, &dev_v2, "field 'a' has type");
	state_w_free(&w);
	static const struct state_field twice[] = { F(ST_U8, a), F(ST_U8, a) };
	stream(&w, &(struct state_desc){ "test-dev", 2, 1, twice, 2 });
	expect_refused(&w, &dev_v2, "field 'a' twice");
	state_w_free(&w);
	/* another section where this one belongs */
	stream(&w, &(struct state_desc){ "other-dev", 2, 1, dev_fields, 8 });
	expect_refused(&w, &dev_v2, "expected section 'test-dev' 0, found 'other-dev' 0");
	state_w_free(&w);
	/* a section nobody reads */
	state_w_init(&w, &mach);
	state_w_section(&w, &dev_v2, 0, &ref);
	state_w_section(&w, &dev_v2, 1, &ref);
	state_w_section(&w, &(struct state_desc){ "stray", 1, 1, dev_fields, 1 }, 0, &ref);
	state_w_finish(&w);
	expect_refused_after(&w, &dev_v2, "section 'stray'", true);
	state_w_free(&w);
}

static void t_other_machine(void)
{
	struct state_machine saved[4] = { mach, mach, mach, mach };
	saved[0].vcpus = 1;
	saved[1].memory_mib = 512;
	snprintf(saved[2].arch, sizeof saved[2].arch, "aarch64");
	snprintf(saved[3].devices, sizeof saved[3].devices, "virtio-blk:disk0");
	const char *msg[4] = { "1 vCPUs, this VM has 2", "512 MiB, this VM has 256 MiB", "saved on aarch64",
			       "saved with devices" };
	for (int i = 0; i < 4; i++) {
		struct state_w w;
		struct state_r r;
		struct state_machine m;
		state_w_init(&w, &saved[i]);
		state_w_finish(&w);
		WT_EQ_INT(state_r_open(&r, w.buf, w.len, &m), 0);
		WT_EQ_INT(state_r_machine_check(&r, &m, &mach), -1);
		WT_CHECK(strstr(r.err, msg[i]) != NULL);
		state_w_free(&w);
	}
}

/* Cut anywhere, or any byte flipped: refused, never read past the end. */
static void t_damaged(void)
{
	struct state_w w;
	struct state_r r;
	struct dev out[2];
	stream(&w, &dev_v2);
	uint8_t *copy = malloc(w.len);
	int refused = 0;
	for (size_t n = 0; n < w.len; n++) {   /* exactly n bytes: ASan sees any overread */
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, w.buf, n);
		refused += load(&r, cut, n, &dev_v2, out) == -1;
		free(cut);
	}
	WT_EQ_INT(refused, (int)w.len);
	refused = 0;
	for (size_t i = 0; i < w.len; i++) {
		memcpy(copy, w.buf, w.len);
		copy[i] ^= 0x10;
		refused += load(&r, copy, w.len, &dev_v2, out) == -1;
	}
	WT_EQ_INT(refused, (int)w.len);
	memcpy(copy, w.buf, w.len);
	copy[w.len / 2] ^= 1;
	load(&r, copy, w.len, &dev_v2, out);
	WT_CHECK(strstr(r.err, "damaged: checksum") != NULL);
	WT_EQ_INT(load(&r, w.buf, w.len - 3, &dev_v2, out), -1);
	WT_CHECK(strstr(r.err, "truncated") != NULL);
	WT_EQ_INT(load(&r, (const uint8_t *)"WAFERVMS\2\0\0\0SEND\0\0\0\0", 20, &dev_v2, out), -1);
	WT_CHECK(strstr(r.err, "format 2") != NULL);
	free(copy);
	state_w_free(&w);
}

WTEST_MAIN("state", WT_CASE(t_roundtrip), WT_CASE(t_older_version), WT_CASE(t_refused),
	   WT_CASE(t_other_machine), WT_CASE(t_damaged))
