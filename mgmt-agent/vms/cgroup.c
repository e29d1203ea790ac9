/* cgroup.c: per-VM cgroup v2 (see cgroup.h). The parent /sys/fs/cgroup/wafer
 * has no processes of its own, so it may delegate cpu, cpuset, io, memory
 * and pids to the VM cgroups below it. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cg_limits_for(const struct vm_spec *s, struct cg_limits *l)
{
	uint64_t mib = s->memory_mib + CG_OVERHEAD_MIB + s->memory_mib / CG_OVERHEAD_DIV;
	memset(l, 0, sizeof *l);
	l->memory_max = mib << 20;
	unsigned w = 100u * (unsigned)(s->vcpus > 0 ? s->vcpus : 1);
	l->cpu_weight = w > 10000 ? 10000 : w;
	l->cpu_quota_us = (uint64_t)s->cpu_limit_pct * CG_PERIOD_US / 100;
	l->pids_max = (unsigned)s->vcpus + 16;   /* main + vCPU threads, with room */
	l->io_weight = 100;
	snprintf(l->cpuset, sizeof l->cpuset, "%s", s->cpus);
}

static int cg_write(const char *dir, const char *file, const char *val, char *err, size_t errlen)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, val, strlen(val));
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0 && err)
		snprintf(err, errlen, "cgroup: %s = %s: %s", p, val, strerror(e));
	return n < 0 ? -1 : 0;
}

/* Enable the controllers for the children of dir (those the kernel has). */
static void cg_delegate(const char *dir)
{
	static const char *const ctl[] = { "+cpu", "+cpuset", "+io", "+memory", "+pids", NULL };
	for (const char *const *c = ctl; *c; c++)
		cg_write(dir, "cgroup.subtree_control", *c, NULL, 0);
}

int cg_prepare(const char *root, char *err, size_t errlen)
{
	char parent[512];
	snprintf(parent, sizeof parent, "%s/%s", root, CG_PARENT);
	cg_delegate(root);
	if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cgroup: mkdir %s: %s", parent, strerror(errno));
		return -1;
	}
	cg_delegate(parent);
	cg_write(parent, "cpu.weight", CG_VMS_WEIGHT, NULL, 0);   /* absent without the cpu controller */
	return 0;
}

int cg_create(const char *root, const char *id, const struct cg_limits *l,
	      char *path, size_t pathlen, char *err, size_t errlen)
{
	char parent[512], v[64];
	snprintf(parent, sizeof parent, "%s/%s", root, CG_PARENT);
	if (cg_prepare(root, err, errlen))
		return -1;
	snprintf(path, pathlen, "%s/%s", parent, id);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cgroup: mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(v, sizeof v, "%llu", (unsigned long long)l->memory_max);
	if (cg_write(path, "memory.max", v, err, errlen))
		return -1;
	cg_write(path, "memory.swap.max", "0", NULL, 0);   /* no swap on the appliance */
	cg_write(path, "memory.oom.group", "1", NULL, 0);
	snprintf(v, sizeof v, "%u", l->cpu_weight);
	if (cg_write(path, "cpu.weight", v, err, errlen))
		return -1;
	if (l->cpu_quota_us)
		snprintf(v, sizeof v, "%llu %u", (unsigned long long)l->cpu_quota_us, CG_PERIOD_US);
	else
		snprintf(v, sizeof v, "max %u", CG_PERIOD_US);
	if (cg_write(path, "cpu.max", v, err, errlen))
		return -1;
	snprintf(v, sizeof v, "%u", l->pids_max);
	if (cg_write(path, "pids.max", v, err, errlen))
		return -1;
	snprintf(v, sizeof v, "default %u", l->io_weight);
	cg_write(path, "io.weight", v, NULL, 0);   /* needs an I/O scheduler with weights */
	if (l->cpuset[0] && cg_write(path, "cpuset.cpus", l->cpuset, err, errlen))
		return -1;
	return 0;
}

void cg_read(const char *path, const char *file, char *out, size_t n)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", path, file);
	out[0] = '\0';
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = read(fd, out, n - 1);
	close(fd);
	out[r > 0 ? r : 0] = '\0';
	while (r > 0 && (out[r - 1] == '\n' || out[r - 1] == ' '))
		out[--r] = '\0';
}

/* Value of "key N" in a flat-keyed file such as cpu.stat. */
static uint64_t cg_key(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; *p; p++) {
		if ((p == text || p[-1] == '\n') && !strncmp(p, key, kl) && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

int cg_usage(const char *path, struct cg_usage *u)
{
	char b[1024];
	memset(u, 0, sizeof *u);
	if (access(path, F_OK) < 0)
		return -1;
	cg_read(path, "memory.current", b, sizeof b);
	u->memory_current = strtoull(b, NULL, 10);
	cg_read(path, "pids.current", b, sizeof b);
	u->pids_current = strtoull(b, NULL, 10);
	cg_read(path, "cpu.stat", b, sizeof b);
	u->cpu_usage_usec = cg_key(b, "usage_usec");
	cg_read(path, "memory.events", b, sizeof b);
	u->oom_kills = cg_key(b, "oom_kill");
	return 0;
}

void cg_remove(const char *path)
{
	rmdir(path);
}

int cg_census(const char *root, int *groups, int *procs)
{
	char dir[512], b[4096];
	snprintf(dir, sizeof dir, "%s/%s", root, CG_PARENT);
	*groups = *procs = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char sub[800];
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		cg_read(sub, "cgroup.procs", b, sizeof b);
		(*groups)++;
		for (const char *q = b; *q; q++)
			*procs += (q == b || q[-1] == '\n') && *q != '\n';
	}
	closedir(d);
	return 0;
}
