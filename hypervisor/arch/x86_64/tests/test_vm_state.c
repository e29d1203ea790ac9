/* test_vm_state.c: an x86 VM's PIC, IOAPIC, PIT and clock state go from
 * KVM's structures to named members, through a stream and back unchanged. */
#include "vm_state.h"
#include "wtest.h"

#include <string.h>

static uint64_t seed = 0x2545f4914f6cdd1dULL;
static uint8_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint8_t)seed;
}

static int same(const struct x86_vm_state *a, const struct x86_vm_state *b)
{
	int diff = 0;
	for (size_t i = 0; i < x86_vm_state_desc.nfields; i++) {
		const struct state_field *f = &x86_vm_state_desc.fields[i];
		if (memcmp((const uint8_t *)a + f->offset, (const uint8_t *)b + f->offset, f->size)) {
			fprintf(stderr, "  field %s differs\n", f->name);
			diff++;
		}
	}
	return diff;
}

static void t_roundtrip(void)
{
	static struct x86_vm_state s0, s1, s2;
	static struct x86_kvm_vm k;
	for (int round = 0; round < 20; round++) {
		uint8_t *p = (uint8_t *)&s0;
		for (size_t i = 0; i < sizeof s0; i++)
			p[i] = rnd();
		x86_vm_state_to_kvm(&s0, &k);
		WT_EQ_INT(k.ioapic.chip_id, KVM_IRQCHIP_IOAPIC);
		x86_vm_state_from_kvm(&s1, &k);
		WT_EQ_INT(same(&s0, &s1), 0);
		struct state_machine m = { "x86_64", 1, 64, "" }, mm;
		struct state_w w;
		struct state_r r;
		state_w_init(&w, &m);
		state_w_section(&w, &x86_vm_state_desc, 0, &s1);
		WT_EQ_INT(state_w_finish(&w), 0);
		memset(&s2, 0, sizeof s2);
		WT_EQ_INT(state_r_open(&r, w.buf, w.len, &mm), 0);
		WT_EQ_INT(state_r_section(&r, &x86_vm_state_desc, 0, &s2), 0);
		WT_EQ_INT(same(&s1, &s2), 0);
		state_w_free(&w);
	}
}

static void t_names(void)
{
	static struct x86_kvm_vm k;
	static struct x86_vm_state s;
	memset(&k, 0, sizeof k);
	k.pic[1].chip.pic.imr = 0xfb;
	k.ioapic.chip.ioapic.redirtbl[4].bits = 0x0100000000000031ULL;   /* vector 0x31 to APIC 1 */
	k.pit.channels[0].mode = 2;
	k.pit.channels[2].gate = 1;
	k.clock.clock = 123456789;
	x86_vm_state_from_kvm(&s, &k);
	WT_EQ_INT(s.pic1_imr, 0xfb);
	WT_EQ_INT(s.ioapic_redirtbl[32], 0x31);
	WT_EQ_INT(s.ioapic_redirtbl[39], 0x01);
	WT_EQ_INT(s.pit0_mode, 2);
	WT_EQ_INT(s.pit2_gate, 1);
	WT_EQ_INT(s.clock_ns, 123456789);
}

WTEST_MAIN("vm_state", WT_CASE(t_roundtrip), WT_CASE(t_names))
