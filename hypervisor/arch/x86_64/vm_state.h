/* vm_state.h: the VM-wide KVM state of an x86 machine, saved once per VM:
 * the in-kernel PICs (master and slave) and IOAPIC, the PIT's three
 * channels, and the kvm-clock. Named members, one field table
 * (x86_vm_state_desc); member-by-member conversion from and to KVM. */
#ifndef VMM_X86_VM_STATE_H
#define VMM_X86_VM_STATE_H
#include "state.h"

#include <linux/kvm.h>
#include <stdint.h>

#define X86_PIC_MEMBERS(p) \
	uint8_t p##_last_irr, p##_irr, p##_imr, p##_isr, p##_priority_add, p##_irq_base, \
		p##_read_reg_select, p##_poll, p##_special_mask, p##_init_state, p##_auto_eoi, \
		p##_rotate_on_auto_eoi, p##_special_fully_nested_mode, p##_init4, p##_elcr, p##_elcr_mask;
#define X86_PIT_MEMBERS(c) \
	uint32_t c##_count; uint16_t c##_latched_count; \
	uint8_t c##_count_latched, c##_status_latched, c##_status, c##_read_state, c##_write_state, \
		c##_write_latch, c##_rw_mode, c##_mode, c##_bcd, c##_gate; \
	uint64_t c##_count_load_time;

struct x86_vm_state {
	X86_PIC_MEMBERS(pic0)
	X86_PIC_MEMBERS(pic1)
	uint64_t ioapic_base;
	uint32_t ioapic_ioregsel, ioapic_id, ioapic_irr;
	uint8_t ioapic_redirtbl[KVM_IOAPIC_NUM_PINS * 8];   /* the 64-bit entries, little-endian */
	X86_PIT_MEMBERS(pit0)
	X86_PIT_MEMBERS(pit1)
	X86_PIT_MEMBERS(pit2)
	uint32_t pit_flags;
	uint64_t clock_ns;        /* kvm-clock at the save */
};

extern const struct state_desc x86_vm_state_desc;

struct x86_kvm_vm {
	struct kvm_irqchip pic[2], ioapic;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

void x86_vm_state_from_kvm(struct x86_vm_state *s, const struct x86_kvm_vm *k);
void x86_vm_state_to_kvm(const struct x86_vm_state *s, struct x86_kvm_vm *k);
/* Read / write the VM's state (its vCPUs stopped). 0, or -1 with err. */
int x86_vm_state_get(int vm_fd, struct x86_vm_state *s, char *err, size_t errlen);
int x86_vm_state_set(int vm_fd, const struct x86_vm_state *s, char *err, size_t errlen);
#endif
