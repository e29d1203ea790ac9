/* seccomp_tables.c: x86_64 syscall allow-lists of wafer-vmm's threads, used
 * once setup is done (every file, device and socket is open by then). Main:
 * poll loop, control socket, virtio-net receive, vCPU kicks and joins.
 * vCPU: KVM_RUN and what device emulation does synchronously (blk I/O, net
 * transmit, rng, balloon, console). musl's malloc and pthreads need the
 * memory and futex calls. ioctl is further limited by request type. */
#include "seccomp.h"

#include <linux/audit.h>
#include <sys/syscall.h>

#define S(x) { SYS_##x, #x }

static const struct seccomp_sys sys_main[] = {
	S(read), S(write), S(readv), S(writev), S(close), S(poll), S(ppoll),
	S(accept4), S(recvfrom), S(sendto), S(ioctl), S(futex),
	S(clock_gettime), S(mmap), S(munmap), S(mremap), S(brk), S(madvise),
	S(rt_sigprocmask), S(rt_sigreturn), S(tkill), S(getpid), S(unlink),
	S(restart_syscall), S(exit), S(exit_group),
	S(pwrite64), S(ftruncate), S(fsync),   /* save: into the --state file */
};

static const struct seccomp_sys sys_vcpu[] = {
	S(ioctl), S(write), S(writev), S(readv), S(preadv), S(pwritev), S(pread64),
	S(pwrite64), S(fdatasync), S(fallocate), S(madvise), S(getrandom),
	S(futex), S(clock_gettime), S(mmap), S(munmap), S(brk),
	S(rt_sigprocmask), S(rt_sigreturn), S(restart_syscall), S(exit),
};

const struct seccomp_list seccomp_lists[SECCOMP_KINDS] = {
	[SECCOMP_KIND_MAIN] = { "main", sys_main, sizeof sys_main / sizeof sys_main[0] },
	[SECCOMP_KIND_VCPU] = { "vcpu", sys_vcpu, sizeof sys_vcpu / sizeof sys_vcpu[0] },
};
const uint32_t seccomp_audit_arch = AUDIT_ARCH_X86_64;
const uint32_t seccomp_nr_limit = 0x40000000u;   /* __X32_SYSCALL_BIT */
