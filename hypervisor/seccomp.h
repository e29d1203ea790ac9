/* seccomp.h: per-thread seccomp allow-lists of wafer-vmm as classic BPF
 * (no libseccomp): an architecture check, the thread kind's syscalls, ioctl
 * limited to the KVM and vhost request types, SECCOMP_RET_KILL_PROCESS for
 * anything else. */
#ifndef WAFER_SECCOMP_H
#define WAFER_SECCOMP_H
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

enum seccomp_kind { SECCOMP_KIND_MAIN, SECCOMP_KIND_VCPU, SECCOMP_KINDS };

struct seccomp_sys { int nr; const char *name; };

/* The allow-list of one thread kind (arch tables in arch/<ARCH>/seccomp_tables.c). */
struct seccomp_list {
	const char *kind;
	const struct seccomp_sys *sys;
	size_t n;
};
extern const struct seccomp_list seccomp_lists[SECCOMP_KINDS];
extern const uint32_t seccomp_audit_arch;  /* AUDIT_ARCH_* of this build */
extern const uint32_t seccomp_nr_limit;    /* numbers at or above: other ABIs (x32) */

/* ioctl request types (_IOC_TYPE) allowed after setup: KVM and vhost. */
#define SECCOMP_IOCTL_TYPE_KVM   0xAEu
#define SECCOMP_IOCTL_TYPE_VHOST 0xAFu

#define SECCOMP_PROG_MAX 256

/* Build the filter of `list` into out[max]; returns the number of
 * instructions, or -1 (err set) when the list does not fit or names ioctl
 * twice. */
int seccomp_build(const struct seccomp_list *list, struct sock_filter *out, size_t max,
		  char *err, size_t errlen);
/* Install the filter of `kind` on the calling thread only (no TSYNC), after
 * PR_SET_NO_NEW_PRIVS. 0 or -1 with err. */
int seccomp_install(enum seccomp_kind kind, char *err, size_t errlen);
#endif
