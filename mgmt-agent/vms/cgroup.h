/* cgroup.h: one cgroup v2 per VM under /sys/fs/cgroup/wafer/<id>: limits
 * computed from the spec (docs/isolation.md), creation, usage, OOM check,
 * removal. */
#ifndef WAFER_CGROUP_H
#define WAFER_CGROUP_H
#include "vm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_ROOT "/sys/fs/cgroup"
#define CG_PARENT "wafer"
/* cpu.weight of the VMs' parent: under CPU contention all VMs together weigh
 * a quarter of one of the host's own runnable threads (the agent, init), so
 * the management API answers while guests saturate every CPU; without
 * contention VMs use all the CPU there is. */
#define CG_VMS_WEIGHT "25"
#define CG_OVERHEAD_MIB 64u          /* VMM + KVM kernel memory, fixed part */
#define CG_OVERHEAD_DIV 32u          /* plus guest memory / 32 (page tables, rmap) */
#define CG_PERIOD_US 100000u

struct cg_limits {
	uint64_t memory_max;         /* bytes */
	unsigned cpu_weight;         /* 1..10000 */
	uint64_t cpu_quota_us;       /* per CG_PERIOD_US; 0 = no quota */
	unsigned pids_max;
	unsigned io_weight;          /* 1..10000 */
	char cpuset[VM_CPUS_MAX];    /* "" = all */
};

struct cg_usage {
	uint64_t memory_current, cpu_usage_usec, pids_current, oom_kills;
};

/* The limits of a VM with this spec. */
void cg_limits_for(const struct vm_spec *s, struct cg_limits *out);
/* <root>/wafer with the controllers enabled for its children. The agent
 * calls it before dropping cap_dac_override: the cgroup2 root is mode 0555. */
int cg_prepare(const char *root, char *err, size_t errlen);
/* Create (or reuse) <root>/wafer/<id> and write the limits; path receives
 * the cgroup folder. 0 or -1 with err. */
int cg_create(const char *root, const char *id, const struct cg_limits *l,
	      char *path, size_t pathlen, char *err, size_t errlen);
/* Usage counters; missing files leave fields 0. 0, or -1 if the cgroup is gone. */
int cg_usage(const char *path, struct cg_usage *u);
/* Remove the (empty) cgroup. */
void cg_remove(const char *path);
/* "memory.max" etc. read back as text (trimmed), or "" when unreadable. */
void cg_read(const char *path, const char *file, char *out, size_t n);
/* VM cgroups under <root>/wafer and the processes in them (a VMM outlives
 * nothing: after its VM stops both counts drop). 0, or -1 without <root>/wafer. */
int cg_census(const char *root, int *groups, int *procs);
#endif
