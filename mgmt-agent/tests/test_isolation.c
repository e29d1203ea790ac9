/* test_isolation.c: the jail's pure parts: cgroup limits from a spec, VM uid
 * slots, the `cpus` list syntax (hostile lists refused with a message), and
 * parsing seccomp audit records from the kernel log. */
#include "wtest.h"
#include "audit.h"
#include "vms/cgroup.h"
#include "jail/jail.h"
#include "vms/vm.h"

#include <stdlib.h>

static void t_limits(void)
{
	struct vm_spec s;
	struct cg_limits l;
	memset(&s, 0, sizeof s);
	s.vcpus = 2;
	s.memory_mib = 1024;
	cg_limits_for(&s, &l);
	WT_EQ_INT(l.memory_max, (1024ull + 64 + 32) << 20);
	WT_EQ_INT(l.cpu_weight, 200);
	WT_EQ_INT(l.cpu_quota_us, 0);
	WT_EQ_INT(l.pids_max, 18);
	WT_EQ_INT(l.io_weight, 100);
	WT_EQ_STR(l.cpuset, "");
	s.vcpus = 64;
	s.memory_mib = 16;
	s.cpu_limit_pct = 250;
	snprintf(s.cpus, sizeof s.cpus, "0-3,8");
	cg_limits_for(&s, &l);
	WT_EQ_INT(l.memory_max, (16ull + 64) << 20);
	WT_EQ_INT(l.cpu_weight, 6400);
	WT_EQ_INT(l.cpu_quota_us, 250000);
	WT_EQ_STR(l.cpuset, "0-3,8");
	s.vcpus = 1000;   /* weight is capped at the cgroup maximum */
	cg_limits_for(&s, &l);
	WT_EQ_INT(l.cpu_weight, 10000);
}

static void t_uids(void)
{
	WT_EQ_INT(jail_uid_for(0), 100000);
	WT_EQ_INT(jail_uid_for(255), 100255);
	WT_EQ_INT(jail_uid_for(JAIL_UID_COUNT - 1), 100000 + JAIL_UID_COUNT - 1);
	WT_EQ_INT(jail_uid_for(JAIL_UID_COUNT), 0);
	WT_CHECK(JAIL_IMAGE_GID < JAIL_UID_BASE);
}

static void t_cpus(void)
{
	char err[160];
	static const char *const good[] = { "", "0", "0-3", "0,2,3", "1-1", "0-1,3", NULL };
	static const char *const bad[] = { "-1", "a", "0-", "3-1", "0,,1", "0,", "1 2", "0-4",
					   "99999999999999999999", ",0", "0--1", NULL };
	for (const char *const *g = good; *g; g++) {
		err[0] = '\0';
		WT_EQ_INT(vm_cpus_parse(*g, 4, err, sizeof err), 0);
	}
	for (const char *const *b = bad; *b; b++) {
		err[0] = '\0';
		int rc = vm_cpus_parse(*b, 4, err, sizeof err);
		WT_EQ_INT(rc, -1);
		WT_CHECK(strstr(err, "'cpus'") != NULL);
	}
	char long_list[200];
	memset(long_list, '1', sizeof long_list - 1);
	long_list[sizeof long_list - 1] = '\0';
	WT_EQ_INT(vm_cpus_parse(long_list, 0, err, sizeof err), -1);
	WT_EQ_INT(vm_cpus_parse("0-100", 0, err, sizeof err), 0);   /* unchecked host */
}

static void t_audit(void)
{
	const char *rec = "audit: type=1326 audit(1700000000.123:42): auid=4294967295 uid=100002 "
			  "gid=100002 ses=4294967295 subj=unconfined pid=812 comm=\"wafer-vmm\" "
			  "exe=\"/usr/bin/wafer-vmm\" sig=31 arch=c000003e syscall=41 compat=0 "
			  "ip=0x4a1b2c code=0x80000000";
	WT_EQ_INT(audit_parse_seccomp(rec, 812), 41);
	WT_EQ_INT(audit_parse_seccomp(rec, 81), -1);      /* another process */
	WT_EQ_INT(audit_parse_seccomp(rec, 8120), -1);
	WT_EQ_INT(audit_parse_seccomp("audit: type=1300 pid=812 syscall=41", 812), -1);
	WT_EQ_INT(audit_parse_seccomp("audit: type=1326 pid=812 syscall=", 812), -1);
	WT_EQ_INT(audit_parse_seccomp("audit: type=1326 pid=812 ", 812), -1);
	WT_EQ_INT(audit_parse_seccomp("", 812), -1);
}

WTEST_MAIN("agent_isolation", WT_CASE(t_limits), WT_CASE(t_uids), WT_CASE(t_cpus), WT_CASE(t_audit))
