/* test_vcpu_state.c: an x86 vCPU's state goes from KVM's structures to the
 * named members, through a saved-state stream and back without losing or
 * moving a bit; specific registers land in the members named after them. */
#include "vcpu_state.h"
#include "wtest.h"

#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0x9e3779b97f4a7c15ULL;
static uint8_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint8_t)seed;
}

/* Every field of two states equal, as the field table sees them. */
static int same(const struct x86_vcpu_state *a, const struct x86_vcpu_state *b)
{
	int diff = 0;
	for (size_t i = 0; i < x86_vcpu_state_desc.nfields; i++) {
		const struct state_field *f = &x86_vcpu_state_desc.fields[i];
		if (memcmp((const uint8_t *)a + f->offset, (const uint8_t *)b + f->offset, f->size)) {
			fprintf(stderr, "  field %s differs\n", f->name);
			diff++;
		}
	}
	return diff;
}

static void t_roundtrip(void)
{
	static struct x86_vcpu_state s0, s1, s2;
	static struct x86_kvm_vcpu k;
	for (int round = 0; round < 20; round++) {
		uint8_t *p = (uint8_t *)&s0;
		for (size_t i = 0; i < sizeof s0; i++)
			p[i] = rnd();
		x86_vcpu_state_to_kvm(&s0, &k);
		x86_vcpu_state_from_kvm(&s1, &k);
		WT_EQ_INT(same(&s0, &s1), 0);

		struct state_machine m = { "x86_64", 1, 64, "" }, mm;
		struct state_w w;
		struct state_r r;
		state_w_init(&w, &m);
		state_w_section(&w, &x86_vcpu_state_desc, 0, &s1);
		WT_EQ_INT(state_w_finish(&w), 0);
		memset(&s2, 0, sizeof s2);
		WT_EQ_INT(state_r_open(&r, w.buf, w.len, &mm), 0);
		WT_EQ_INT(state_r_section(&r, &x86_vcpu_state_desc, 0, &s2), 0);
		WT_EQ_INT(state_r_close(&r), 0);
		WT_EQ_INT(same(&s1, &s2), 0);
		state_w_free(&w);
	}
}

static void t_names(void)
{
	static struct x86_kvm_vcpu k, back;
	static struct x86_vcpu_state s;
	memset(&k, 0, sizeof k);
	k.regs.rip = 0xffffffff81000000ULL;
	k.regs.rflags = 0x246;
	k.sregs.cs.selector = 0x10;
	k.sregs.cs.l = 1;
	k.sregs.tr.type = 11;
	k.sregs.efer = 0xd01;
	k.sregs.interrupt_bitmap[1] = 1ULL << 3;     /* vector 67 */
	k.xsave[1] = 0x11223344;
	k.xcrs.nr_xcrs = 1;
	k.xcrs.xcrs[0].value = 7;
	k.msrs[5] = 0xffffffff81a00080ULL;           /* LSTAR: sixth in the list */
	k.msr_valid = 1u << 5;
	k.lapic.regs[0x20] = 0x42;
	k.events.nmi.pending = 1;
	k.debugregs.dr7 = 0x400;
	k.mp_state.mp_state = KVM_MP_STATE_HALTED;
	x86_vcpu_state_from_kvm(&s, &k);
	WT_CHECK(s.rip == 0xffffffff81000000ULL);
	WT_EQ_INT(s.rflags, 0x246);
	WT_EQ_INT(s.cs_selector, 0x10);
	WT_EQ_INT(s.cs_l, 1);
	WT_EQ_INT(s.tr_type, 11);
	WT_EQ_INT(s.efer, 0xd01);
	WT_EQ_INT(s.interrupt_bitmap[8], 0x08);
	WT_EQ_INT(s.xsave[4], 0x44);
	WT_EQ_INT(s.xsave[7], 0x11);
	WT_EQ_INT(s.xcr0, 7);
	WT_CHECK(s.msr_lstar == 0xffffffff81a00080ULL);
	WT_EQ_INT(s.msr_valid, 1u << 5);
	WT_EQ_INT(s.lapic[0x20], 0x42);
	WT_EQ_INT(s.nmi_pending, 1);
	WT_EQ_INT(s.dr7, 0x400);
	WT_EQ_INT(s.mp_state, KVM_MP_STATE_HALTED);
	x86_vcpu_state_to_kvm(&s, &back);
	WT_CHECK(!memcmp(&back.regs, &k.regs, sizeof k.regs));
	WT_CHECK(!memcmp(&back.sregs, &k.sregs, sizeof k.sregs));
	WT_CHECK(!memcmp(back.xsave, k.xsave, sizeof k.xsave));
	WT_CHECK(!memcmp(&back.lapic, &k.lapic, sizeof k.lapic));
	WT_CHECK(!memcmp(&back.debugregs, &k.debugregs, sizeof k.debugregs));
	WT_EQ_INT(back.msrs[5], k.msrs[5]);
	WT_EQ_INT(back.xcrs.xcrs[0].value, 7);
	WT_EQ_INT(back.events.nmi.pending, 1);
}

WTEST_MAIN("vcpu_state", WT_CASE(t_roundtrip), WT_CASE(t_names))
