/* test_privs.c: the agent's capability sets (agent_privs.c): which ones it
 * keeps, names, parsing /proc status masks (hostile text too), and the real
 * drop in a forked child: bounding/effective sets as the kernel reports
 * them, per-thread raise/lower, and refusal once a second thread exists. */
#include "agent_privs.h"
#include "wtest.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

static void test_compute(void)
{
	uint64_t eff, prm;
	privs_compute(~UINT64_C(0), &eff, &prm);
	WT_EQ_INT(eff, PRIVS_KEEP_EFF);
	WT_EQ_INT(prm, PRIVS_KEEP_PRM);
	static const int never[] = { 1, 2, 3, 10, 13, 16, 17, 22, 24, 25, 29, 31, 34, 38, 39 };
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		WT_CHECK(!(prm & PRIVS_BIT(never[i])));
	WT_CHECK(!(eff & PRIVS_BIT(19)));
	WT_CHECK(prm & PRIVS_BIT(19));
	WT_CHECK(eff & PRIVS_BIT(21));
	/* never more than the process had */
	privs_compute(PRIVS_BIT(21) | PRIVS_BIT(16), &eff, &prm);
	WT_EQ_INT(eff, PRIVS_BIT(21));
	WT_EQ_INT(prm, PRIVS_BIT(21));
	privs_compute(0, &eff, &prm);
	WT_EQ_INT(eff | prm, 0);
}

static void test_names(void)
{
	char b[40], list[512];
	WT_EQ_STR(privs_name(21, b, sizeof b), "cap_sys_admin");
	WT_EQ_STR(privs_name(0, b, sizeof b), "cap_chown");
	WT_EQ_STR(privs_name(40, b, sizeof b), "cap_checkpoint_restore");
	WT_EQ_STR(privs_name(41, b, sizeof b), "cap_41");
	WT_EQ_STR(privs_name(-3, b, sizeof b), "cap_-3");
	WT_EQ_INT(privs_names(PRIVS_KEEP_EFF, list, sizeof list), 0);
	WT_EQ_STR(list, "cap_chown,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_admin,"
			"cap_sys_chroot,cap_sys_admin,cap_mknod,cap_audit_control");
	WT_EQ_INT(privs_names(0, list, sizeof list), 0);
	WT_EQ_STR(list, "");
	WT_EQ_INT(privs_names(PRIVS_KEEP_EFF, list, 20), -1); /* too small: truncated, terminated */
	WT_EQ_STR(list, "cap_chown,cap_kill");
	WT_EQ_INT(privs_names(1, list, 0), -1);
}

static void test_status_mask(void)
{
	const char *st = "Name:\twafer-agent\nCapInh:\t0000000000000000\n"
			 "CapPrm:\t00000000600c11e1\nCapEff:\t00000000602811E1\n"
			 "CapBnd:\t000001ffffffffff\nNoNewPrivs:\t1\n";
	uint64_t m = 7;
	WT_EQ_INT(privs_status_mask(st, "CapEff", &m), 0);
	WT_EQ_INT(m, 0x602811e1);
	WT_EQ_INT(privs_status_mask(st, "CapBnd", &m), 0);
	WT_EQ_INT(m, 0x1ffffffffffULL);
	WT_EQ_INT(privs_status_mask(st, "NoNewPrivs", &m), 0);
	WT_EQ_INT(m, 1);
	m = 7;
	WT_EQ_INT(privs_status_mask(st, "CapAmb", &m), -1); /* missing */
	WT_EQ_INT(privs_status_mask(st, "Cap", &m), -1);    /* prefix of a key only */
	WT_EQ_INT(privs_status_mask(st, "Name", &m), -1);   /* not hex */
	WT_EQ_INT(m, 7);
	WT_EQ_INT(privs_status_mask("CapEff:\t00000000000000001\n", "CapEff", &m), -1); /* 17 digits */
	WT_EQ_INT(privs_status_mask("CapEff:\t\n", "CapEff", &m), -1);
	WT_EQ_INT(privs_status_mask("CapEff:", "CapEff", &m), -1);
	WT_EQ_INT(privs_status_mask("CapEff:\t00ff\x10\n", "CapEff", &m), -1);
	WT_EQ_INT(privs_status_mask("CapEff:\t12 34\n", "CapEff", &m), -1);
	WT_EQ_INT(privs_status_mask("xCapEff:\t1\n", "CapEff", &m), -1); /* not at a line start */
	WT_EQ_INT(privs_status_mask("", "CapEff", &m), -1);
	WT_EQ_INT(m, 7);
}

static uint64_t status_of(const char *path, const char *key)
{
	char st[4096];
	uint64_t m = ~UINT64_C(0);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, st, sizeof st - 1) : -1;
	if (fd >= 0)
		close(fd);
	st[n > 0 ? n : 0] = '\0';
	privs_status_mask(st, key, &m);
	return m;
}

/* In a child: drop for real; exit code = number of the first failed check. */
static int drop_child(void)
{
	char warn[128], err[256];
	uint64_t prm0 = status_of("/proc/self/status", "CapPrm");
	if (agent_privs_drop(warn, sizeof warn, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint64_t eff = status_of("/proc/self/status", "CapEff");
	uint64_t bnd = status_of("/proc/self/status", "CapBnd");
	if (eff & ~PRIVS_KEEP_EFF)
		return 2;
	if (status_of("/proc/self/status", "NoNewPrivs") != 1)
		return 3;
	if (!warn[0] && (bnd & ~PRIVS_KEEP_PRM))
		return 4; /* root: the bounding set holds the kept ones only */
	if ((prm0 & PRIVS_ON_DEMAND) && agent_privs_raise(PRIVS_SYS_PTRACE) == 0) {
		if (!(status_of("/proc/thread-self/status", "CapEff") & PRIVS_ON_DEMAND))
			return 5;
		agent_privs_lower();
		if (status_of("/proc/thread-self/status", "CapEff") & PRIVS_ON_DEMAND)
			return 6;
	} else if (prm0 & PRIVS_ON_DEMAND) {
		return 7;
	}
	if (agent_privs_raise(16) == 0 || agent_privs_raise(21) == 0 || agent_privs_raise(99) == 0)
		return 8; /* only on-demand ones may be raised */
	return 0;
}

static void test_drop_for_real(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(drop_child());
	int st = -1;
	WT_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	WT_CHECK(WIFEXITED(st));
	WT_EQ_INT(WEXITSTATUS(st), 0);
}

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/* A second thread would keep its own full set: the drop must refuse. */
static void test_refuses_with_threads(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		char warn[128], err[256] = "";
		if (pthread_create(&t, NULL, idle, NULL))
			_exit(9);
		int rc = agent_privs_drop(warn, sizeof warn, err, sizeof err);
		_exit(rc == -1 && strstr(err, "2 threads") ? 0 : 1);
	}
	int st = -1;
	WT_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	WT_CHECK(WIFEXITED(st));
	WT_EQ_INT(WEXITSTATUS(st), 0);
}

WTEST_MAIN("agent_privs", WT_CASE(test_compute), WT_CASE(test_names), WT_CASE(test_status_mask),
	   WT_CASE(test_drop_for_real), WT_CASE(test_refuses_with_threads))
