/* arch_impl.h (x86_64): the port's interface to the generic VMM, through
 * hypervisor/arch.h: the Linux/x86 boot protocol (boot.h), vCPU and CPUID
 * setup (cpu.h), ACPI (acpi.h) and MP (mptable.h) tables. */
#ifndef VMM_ARCH_IMPL_H
#define VMM_ARCH_IMPL_H
#include "acpi.h"
#include "boot.h"
#include "cpu.h"
#include "mptable.h"
#endif
