/* sandbox.h: where wafer-vmm's threads enter their seccomp filters. Every
 * vCPU thread installs its own filter and then waits until the main thread
 * has installed its filter too, so no guest instruction runs before every
 * thread of the process is confined. */
#ifndef WAFER_SANDBOX_H
#define WAFER_SANDBOX_H
#include <stddef.h>

struct vm;
struct vcpu;

/* In a vCPU thread before its first KVM_RUN: 0, or -1 (logged) when the
 * filter could not be installed or the main thread failed. */
int sandbox_vcpu_enter(struct vcpu *c);
/* In the main thread once the vCPU threads exist: 0 or -1 with err. */
int sandbox_main_enter(struct vm *vm, char *err, size_t errlen);
#endif
