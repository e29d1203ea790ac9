/* arch.h: what the generic VMM takes from the architecture it is built for.
 * The build compiles only hypervisor/arch/$(ARCH)/ (ARCH comes from the
 * board, board/<board>/board.mk) and puts that folder on the include path;
 * its arch_impl.h declares the port's interface. docs/vmm.md, "Ports", says
 * what a port provides. */
#ifndef VMM_ARCH_H
#define VMM_ARCH_H
#include "arch_impl.h"
#endif
