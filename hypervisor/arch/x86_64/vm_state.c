/* vm_state.c: the VM-wide KVM state of an x86 machine (vm_state.h). */
#include "vm_state.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define V(type, m) STATE_FIELD(struct x86_vm_state, type, m)
#define PIC_FIELDS(p) V(ST_U8, p##_last_irr), V(ST_U8, p##_irr), V(ST_U8, p##_imr), V(ST_U8, p##_isr), \
	V(ST_U8, p##_priority_add), V(ST_U8, p##_irq_base), V(ST_U8, p##_read_reg_select), V(ST_U8, p##_poll), \
	V(ST_U8, p##_special_mask), V(ST_U8, p##_init_state), V(ST_U8, p##_auto_eoi), \
	V(ST_U8, p##_rotate_on_auto_eoi), V(ST_U8, p##_special_fully_nested_mode), V(ST_U8, p##_init4), \
	V(ST_U8, p##_elcr), V(ST_U8, p##_elcr_mask),
#define PIT_FIELDS(c) V(ST_U32, c##_count), V(ST_U16, c##_latched_count), V(ST_U8, c##_count_latched), \
	V(ST_U8, c##_status_latched), V(ST_U8, c##_status), V(ST_U8, c##_read_state), \
	V(ST_U8, c##_write_state), V(ST_U8, c##_write_latch), V(ST_U8, c##_rw_mode), V(ST_U8, c##_mode), \
	V(ST_U8, c##_bcd), V(ST_U8, c##_gate), V(ST_U64, c##_count_load_time),

static const struct state_field fields[] = {
	PIC_FIELDS(pic0) PIC_FIELDS(pic1)
	V(ST_U64, ioapic_base), V(ST_U32, ioapic_ioregsel), V(ST_U32, ioapic_id), V(ST_U32, ioapic_irr),
	V(ST_BYTES, ioapic_redirtbl),
	PIT_FIELDS(pit0) PIT_FIELDS(pit1) PIT_FIELDS(pit2)
	V(ST_U32, pit_flags), V(ST_U64, clock_ns),
};

const struct state_desc x86_vm_state_desc = {
	.name = "x86-vm", .version = 1, .min_version = 1,
	.fields = fields, .nfields = sizeof fields / sizeof fields[0],
};

#define PIC_FROM(p, k) do { \
	s->p##_last_irr = (k).last_irr; s->p##_irr = (k).irr; s->p##_imr = (k).imr; s->p##_isr = (k).isr; \
	s->p##_priority_add = (k).priority_add; s->p##_irq_base = (k).irq_base; \
	s->p##_read_reg_select = (k).read_reg_select; s->p##_poll = (k).poll; \
	s->p##_special_mask = (k).special_mask; s->p##_init_state = (k).init_state; \
	s->p##_auto_eoi = (k).auto_eoi; s->p##_rotate_on_auto_eoi = (k).rotate_on_auto_eoi; \
	s->p##_special_fully_nested_mode = (k).special_fully_nested_mode; s->p##_init4 = (k).init4; \
	s->p##_elcr = (k).elcr; s->p##_elcr_mask = (k).elcr_mask; } while (0)
#define PIC_TO(p, k) do { \
	(k).last_irr = s->p##_last_irr; (k).irr = s->p##_irr; (k).imr = s->p##_imr; (k).isr = s->p##_isr; \
	(k).priority_add = s->p##_priority_add; (k).irq_base = s->p##_irq_base; \
	(k).read_reg_select = s->p##_read_reg_select; (k).poll = s->p##_poll; \
	(k).special_mask = s->p##_special_mask; (k).init_state = s->p##_init_state; \
	(k).auto_eoi = s->p##_auto_eoi; (k).rotate_on_auto_eoi = s->p##_rotate_on_auto_eoi; \
	(k).special_fully_nested_mode = s->p##_special_fully_nested_mode; (k).init4 = s->p##_init4; \
	(k).elcr = s->p##_elcr; (k).elcr_mask = s->p##_elcr_mask; } while (0)
#define PIT_FROM(c, k) do { \
	s->c##_count = (k).count; s->c##_latched_count = (k).latched_count; \
	s->c##_count_latched = (k).count_latched; s->c##_status_latched = (k).status_latched; \
	s->c##_status = (k).status; s->c##_read_state = (k).read_state; s->c##_write_state = (k).write_state; \
	s->c##_write_latch = (k).write_latch; s->c##_rw_mode = (k).rw_mode; s->c##_mode = (k).mode; \
	s->c##_bcd = (k).bcd; s->c##_gate = (k).gate; s->c##_count_load_time = (uint64_t)(k).count_load_time; \
	} while (0)
#define PIT_TO(c, k) do { \
	(k).count = s->c##_count; (k).latched_count = s->c##_latched_count; \
	(k).count_latched = s->c##_count_latched; (k).status_latched = s->c##_status_latched; \
	(k).status = s->c##_status; (k).read_state = s->c##_read_state; (k).write_state = s->c##_write_state; \
	(k).write_latch = s->c##_write_latch; (k).rw_mode = s->c##_rw_mode; (k).mode = s->c##_mode; \
	(k).bcd = s->c##_bcd; (k).gate = s->c##_gate; (k).count_load_time = (int64_t)s->c##_count_load_time; \
	} while (0)

void x86_vm_state_from_kvm(struct x86_vm_state *s, const struct x86_kvm_vm *k)
{
	memset(s, 0, sizeof *s);
	PIC_FROM(pic0, k->pic[0].chip.pic);
	PIC_FROM(pic1, k->pic[1].chip.pic);
	const struct kvm_ioapic_state *io = &k->ioapic.chip.ioapic;
	s->ioapic_base = io->base_address;
	s->ioapic_ioregsel = io->ioregsel;
	s->ioapic_id = io->id;
	s->ioapic_irr = io->irr;
	for (unsigned i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		state_put_le(s->ioapic_redirtbl + 8 * i, io->redirtbl[i].bits, 8);
	PIT_FROM(pit0, k->pit.channels[0]);
	PIT_FROM(pit1, k->pit.channels[1]);
	PIT_FROM(pit2, k->pit.channels[2]);
	s->pit_flags = k->pit.flags;
	s->clock_ns = k->clock.clock;
}

void x86_vm_state_to_kvm(const struct x86_vm_state *s, struct x86_kvm_vm *k)
{
	memset(k, 0, sizeof *k);
	k->pic[0].chip_id = KVM_IRQCHIP_PIC_MASTER;
	k->pic[1].chip_id = KVM_IRQCHIP_PIC_SLAVE;
	k->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
	PIC_TO(pic0, k->pic[0].chip.pic);
	PIC_TO(pic1, k->pic[1].chip.pic);
	struct kvm_ioapic_state *io = &k->ioapic.chip.ioapic;
	io->base_address = s->ioapic_base;
	io->ioregsel = s->ioapic_ioregsel;
	io->id = s->ioapic_id;
	io->irr = s->ioapic_irr;
	for (unsigned i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		io->redirtbl[i].bits = state_get_le(s->ioapic_redirtbl + 8 * i, 8);
	PIT_TO(pit0, k->pit.channels[0]);
	PIT_TO(pit1, k->pit.channels[1]);
	PIT_TO(pit2, k->pit.channels[2]);
	k->pit.flags = s->pit_flags;
	k->clock.clock = s->clock_ns;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "VM state: %s: %s", what, strerror(errno));
	return -1;
}

int x86_vm_state_get(int fd, struct x86_vm_state *s, char *err, size_t errlen)
{
	struct x86_kvm_vm k;
	memset(&k, 0, sizeof k);
	k.pic[0].chip_id = KVM_IRQCHIP_PIC_MASTER;
	k.pic[1].chip_id = KVM_IRQCHIP_PIC_SLAVE;
	k.ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
	if (ioctl(fd, KVM_GET_IRQCHIP, &k.pic[0]) < 0 || ioctl(fd, KVM_GET_IRQCHIP, &k.pic[1]) < 0 ||
	    ioctl(fd, KVM_GET_IRQCHIP, &k.ioapic) < 0)
		return fail(err, errlen, "KVM_GET_IRQCHIP");
	if (ioctl(fd, KVM_GET_PIT2, &k.pit) < 0)
		return fail(err, errlen, "KVM_GET_PIT2");
	if (ioctl(fd, KVM_GET_CLOCK, &k.clock) < 0)
		return fail(err, errlen, "KVM_GET_CLOCK");
	x86_vm_state_from_kvm(s, &k);
	return 0;
}

int x86_vm_state_set(int fd, const struct x86_vm_state *s, char *err, size_t errlen)
{
	struct x86_kvm_vm k;
	x86_vm_state_to_kvm(s, &k);
	if (ioctl(fd, KVM_SET_IRQCHIP, &k.pic[0]) < 0 || ioctl(fd, KVM_SET_IRQCHIP, &k.pic[1]) < 0 ||
	    ioctl(fd, KVM_SET_IRQCHIP, &k.ioapic) < 0)
		return fail(err, errlen, "KVM_SET_IRQCHIP");
	if (ioctl(fd, KVM_SET_PIT2, &k.pit) < 0)
		return fail(err, errlen, "KVM_SET_PIT2");
	/* the guest's clock carries on from the saved value, not from when the
	 * new VMM started: no jump for the time the VM spent saved */
	if (ioctl(fd, KVM_SET_CLOCK, &k.clock) < 0)
		return fail(err, errlen, "KVM_SET_CLOCK");
	return 0;
}
