/* seccomp.c: builds a thread kind's allow-list as a classic BPF program and
 * installs it on the calling thread (see seccomp.h). */
#include "seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SD_NR    offsetof(struct seccomp_data, nr)
#define SD_ARCH  offsetof(struct seccomp_data, arch)
/* Low 32 bits of args[1] (little endian): the ioctl request. */
#define SD_ARG1  offsetof(struct seccomp_data, args[1])

static struct sock_filter ins(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	return (struct sock_filter){ code, jt, jf, k };
}

/* Layout: [0] ld arch, [1] jeq arch, [2] ld nr, [3] jge limit, [4] jeq ioctl,
 * [5..5+n) jeq nr -> ALLOW, KILL, ALLOW, then the ioctl check. */
int seccomp_build(const struct seccomp_list *list, struct sock_filter *out, size_t max,
		  char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < list->n; i++)
		if (list->sys[i].nr != SYS_ioctl)
			n++;
	size_t kill = 5 + n, allow = kill + 1, total = allow + 1 + 6;
	if (total > max || n + 3 > 255) {
		snprintf(err, errlen, "seccomp %s: %zu syscalls do not fit a %zu-instruction filter",
			 list->kind, list->n, max);
		return -1;
	}
	size_t k = 0;
	out[k++] = ins(BPF_LD | BPF_W | BPF_ABS, 0, 0, SD_ARCH);
	out[k++] = ins(BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(kill - 2), seccomp_audit_arch);
	out[k++] = ins(BPF_LD | BPF_W | BPF_ABS, 0, 0, SD_NR);
	out[k++] = ins(BPF_JMP | BPF_JGE | BPF_K, (uint8_t)(kill - 4), 0, seccomp_nr_limit);
	out[k++] = ins(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow + 1 - 5), 0, SYS_ioctl);
	for (size_t i = 0; i < list->n; i++) {
		if (list->sys[i].nr == SYS_ioctl)
			continue;
		out[k] = ins(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - k - 1), 0,
			     (uint32_t)list->sys[i].nr);
		k++;
	}
	out[k++] = ins(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	out[k++] = ins(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	/* ioctl: allowed only for the KVM and vhost request types. */
	out[k++] = ins(BPF_LD | BPF_W | BPF_ABS, 0, 0, SD_ARG1);
	out[k++] = ins(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 8);
	out[k++] = ins(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xff);
	out[k++] = ins(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, SECCOMP_IOCTL_TYPE_KVM);
	out[k++] = ins(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SECCOMP_IOCTL_TYPE_VHOST);
	out[k++] = ins(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	out[k++] = ins(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	return (int)k;
}

int seccomp_install(enum seccomp_kind kind, char *err, size_t errlen)
{
	struct sock_filter f[SECCOMP_PROG_MAX];
	const struct seccomp_list *l = &seccomp_lists[kind];
	int len = seccomp_build(l, f, SECCOMP_PROG_MAX, err, errlen);
	if (len < 0)
		return -1;
	struct sock_fprog prog = { (unsigned short)len, f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "seccomp %s: PR_SET_NO_NEW_PRIVS: %s", l->kind, strerror(errno));
		return -1;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		snprintf(err, errlen, "seccomp %s: SECCOMP_SET_MODE_FILTER: %s", l->kind, strerror(errno));
		return -1;
	}
	return 0;
}
