/* test_seccomp.c: the VMM's seccomp filters. A small classic-BPF interpreter
 * runs each thread kind's program for every syscall number: exactly the
 * listed ones are allowed, everything else (other ABIs, other architectures,
 * ioctls outside KVM/vhost) is killed. Then the real kernel: a forked child
 * installs a filter, makes an allowed call, and a forbidden one kills it
 * with SIGSYS. */
#include "wtest.h"
#include "seccomp.h"

#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run prog over d; returns the SECCOMP_RET_* value, or 0xdead on a bad program. */
static uint32_t bpf_run(const struct sock_filter *p, int len, const struct seccomp_data *d)
{
	uint32_t a = 0;
	for (int pc = 0; pc >= 0 && pc < len; pc++) {
		const struct sock_filter *f = &p[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k + 4 > sizeof *d || f->k % 4)
				return 0xdead;
			memcpy(&a, (const char *)d + f->k, 4);
			break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= f->k; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return f->k;
		default: return 0xdead;
		}
	}
	return 0xdead;   /* fell off the end */
}

static bool listed(const struct seccomp_list *l, int nr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->sys[i].nr == nr)
			return true;
	return false;
}

static uint32_t verdict(const struct sock_filter *p, int len, uint32_t arch, int nr, uint64_t arg1)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof d);
	d.arch = arch;
	d.nr = nr;
	d.args[1] = arg1;
	return bpf_run(p, len, &d);
}

static void t_every_syscall(void)
{
	for (int k = 0; k < SECCOMP_KINDS; k++) {
		const struct seccomp_list *l = &seccomp_lists[k];
		struct sock_filter p[SECCOMP_PROG_MAX];
		char err[128];
		int len = seccomp_build(l, p, SECCOMP_PROG_MAX, err, sizeof err);
		WT_CHECK(len > 0);
		int allowed = 0, wrong = 0;
		for (int nr = 0; nr < 1024; nr++) {
			uint32_t v = verdict(p, len, AUDIT_ARCH_X86_64, nr, KVM_RUN);
			bool want = listed(l, nr);
			allowed += v == SECCOMP_RET_ALLOW;
			if (v != (want ? SECCOMP_RET_ALLOW : SECCOMP_RET_KILL_PROCESS))
				wrong++;
		}
		WT_EQ_INT(wrong, 0);
		WT_EQ_INT(allowed, (long long)l->n);
		/* x32 numbers and a foreign architecture are killed even for read. */
		WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_write | 0x40000000, 0), SECCOMP_RET_KILL_PROCESS);
		WT_EQ_INT(verdict(p, len, AUDIT_ARCH_I386, SYS_write, 0), SECCOMP_RET_KILL_PROCESS);
		WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, -1, 0), SECCOMP_RET_KILL_PROCESS);
	}
}

static void t_ioctl_types(void)
{
	struct sock_filter p[SECCOMP_PROG_MAX];
	char err[128];
	int len = seccomp_build(&seccomp_lists[SECCOMP_KIND_VCPU], p, SECCOMP_PROG_MAX, err, sizeof err);
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, KVM_RUN), SECCOMP_RET_ALLOW);
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, KVM_IRQ_LINE), SECCOMP_RET_ALLOW);
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, 0xAF01 /* VHOST_SET_OWNER */), SECCOMP_RET_ALLOW);
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, TIOCSTI), SECCOMP_RET_KILL_PROCESS);
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, 0x400454ca /* TUNSETIFF */), SECCOMP_RET_KILL_PROCESS);
	/* the type is bits 8..15 of the low word: the upper half is ignored by the kernel */
	WT_EQ_INT(verdict(p, len, AUDIT_ARCH_X86_64, SYS_ioctl, 0xffffffff00005412ull), SECCOMP_RET_KILL_PROCESS);
}

static void t_too_long(void)
{
	static struct seccomp_sys many[300];
	for (int i = 0; i < 300; i++)
		many[i] = (struct seccomp_sys){ i, "x" };
	struct seccomp_list l = { "huge", many, 300 };
	struct sock_filter p[SECCOMP_PROG_MAX];
	char err[128] = "";
	WT_EQ_INT(seccomp_build(&l, p, SECCOMP_PROG_MAX, err, sizeof err), -1);
	WT_CHECK(strstr(err, "huge") != NULL);
}

/* In a child: install kind's filter, make syscall nr (no arguments), then
 * exit(7) (the thread exit every list allows); returns the wait status. */
static int child_status(enum seccomp_kind kind, long nr)
{
	pid_t pid = fork();
	if (pid == 0) {
		char err[128];
		if (seccomp_install(kind, err, sizeof err) < 0)
			syscall(SYS_exit_group, 99);
		syscall(nr, 0, 0, 0);
		syscall(SYS_exit, 7);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void t_kernel(void)
{
	int st = child_status(SECCOMP_KIND_VCPU, SYS_getrandom);
	WT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = child_status(SECCOMP_KIND_VCPU, SYS_socket);
	WT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = child_status(SECCOMP_KIND_MAIN, SYS_getpid);
	WT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = child_status(SECCOMP_KIND_MAIN, SYS_getrandom);   /* a vCPU call, not a main one */
	WT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = child_status(SECCOMP_KIND_MAIN, SYS_execve);
	WT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

static void t_sizes(void)
{
	/* Firecracker: 50 (VMM) / 31 (API) / 27 (vCPU); ours must stay small. */
	WT_CHECK(seccomp_lists[SECCOMP_KIND_MAIN].n <= 32);
	WT_CHECK(seccomp_lists[SECCOMP_KIND_VCPU].n <= 27);
	printf("allow-list sizes: main %zu, vcpu %zu\n", seccomp_lists[SECCOMP_KIND_MAIN].n,
	       seccomp_lists[SECCOMP_KIND_VCPU].n);
}

WTEST_MAIN("vmm_seccomp", WT_CASE(t_every_syscall), WT_CASE(t_ioctl_types), WT_CASE(t_too_long),
	   WT_CASE(t_kernel), WT_CASE(t_sizes))
