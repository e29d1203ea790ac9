# hypervisor/arch/x86_64/arch.mk: the x86_64 port of wafer-vmm (included by
# hypervisor/hypervisor.mk for ARCH=x86_64): Linux boot protocol (bzImage,
# zero page, identity page tables), CPUID and register setup, ACPI and MP
# tables, the seccomp tables of this architecture's system calls.
VMM_ARCH_SRCS := $(addprefix hypervisor/arch/x86_64/,machine_x86.c boot.c cpu.c acpi.c mptable.c pm.c seccomp_tables.c \
	vcpu_state.c vm_state.c)

UNIT_TESTS += vmm_boot vmm_acpi vmm_vcpu_state vmm_vm_state vmm_pm
UT_vmm_pm_SRCS := hypervisor/arch/x86_64/tests/test_pm.c hypervisor/arch/x86_64/pm.c hypervisor/state.c $(LIB_CRC32_SRCS)
UT_vmm_vm_state_SRCS := hypervisor/arch/x86_64/tests/test_vm_state.c hypervisor/arch/x86_64/vm_state.c \
                        hypervisor/state.c $(LIB_CRC32_SRCS)
UT_vmm_vcpu_state_SRCS := hypervisor/arch/x86_64/tests/test_vcpu_state.c hypervisor/arch/x86_64/vcpu_state.c \
                          hypervisor/state.c $(LIB_CRC32_SRCS)
UT_vmm_boot_SRCS := hypervisor/arch/x86_64/tests/test_boot.c hypervisor/arch/x86_64/boot.c hypervisor/mem.c
UT_vmm_acpi_SRCS := hypervisor/arch/x86_64/tests/test_acpi.c hypervisor/arch/x86_64/acpi.c \
                    hypervisor/arch/x86_64/mptable.c
