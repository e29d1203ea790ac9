/* vm_isolation.c: what GET /api/v1/vms/{id} shows of a running VMM's jail,
 * read from /proc and the VM's cgroup: uid/gid, effective and bounding
 * capabilities, no_new_privs, seccomp per thread, PID namespace, the files
 * visible in its root, cgroup limits and usage. Operators (and the system
 * tests, since the appliance has no shell) see the confinement for real. */
#include "vm_internal.h"
#include "agent_privs.h"
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Value after "Key:" in a /proc status text (first word), or "". */
static void status_field(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	out[0] = '\0';
	for (const char *p = text; *p; p++) {
		if ((p != text && p[-1] != '\n') || strncmp(p, key, kl) || p[kl] != ':')
			continue;
		p += kl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t i = 0;
		while (p[i] && p[i] != '\n' && i + 1 < n) {
			out[i] = p[i] == '\t' ? ' ' : p[i];
			i++;
		}
		out[i] = '\0';
		return;
	}
}

static void read_text(const char *path, char *buf, size_t n)
{
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
}

static void write_status(struct json_w *w, pid_t pid)
{
	char p[64], st[4096], f[128];
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	read_text(p, st, sizeof st);
	status_field(st, "Uid", f, sizeof f);
	json_w_kint(w, "uid", strtol(f, NULL, 10));
	status_field(st, "Gid", f, sizeof f);
	json_w_kint(w, "gid", strtol(f, NULL, 10));
	status_field(st, "Groups", f, sizeof f);
	json_w_kstr(w, "groups", f);
	status_field(st, "CapEff", f, sizeof f);
	json_w_kstr(w, "cap_eff", f);
	status_field(st, "CapPrm", f, sizeof f);
	json_w_kstr(w, "cap_prm", f);
	status_field(st, "CapBnd", f, sizeof f);
	json_w_kstr(w, "cap_bnd", f);
	status_field(st, "NoNewPrivs", f, sizeof f);
	json_w_kint(w, "no_new_privs", strtol(f, NULL, 10));
	status_field(st, "NSpid", f, sizeof f);
	const char *last = strrchr(f, ' ');
	json_w_kint(w, "pid_in_namespace", strtol(last ? last + 1 : f, NULL, 10));
}

/* Threads, how many run under a seccomp filter (mode 2), and the names of
 * those that do not (KVM's kernel workers such as kvm-nx-lpage-recovery
 * live in the thread group but never run user code). */
static void write_threads(struct json_w *w, pid_t pid)
{
	char p[64], st[4096], f[32], name[32][24];
	int threads = 0, filtered = 0, nun = 0;
	snprintf(p, sizeof p, "/proc/%d/task", (int)pid);
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char tp[400];
		snprintf(tp, sizeof tp, "%s/%s/status", p, e->d_name);
		read_text(tp, st, sizeof st);
		status_field(st, "Seccomp", f, sizeof f);
		threads++;
		if (strtol(f, NULL, 10) == 2)
			filtered++;
		else if (nun < 32)
			status_field(st, "Name", name[nun++], sizeof name[0]);
	}
	if (d)
		closedir(d);
	json_w_kint(w, "threads", threads);
	json_w_kint(w, "seccomp_threads", filtered);
	json_w_key(w, "unfiltered_threads");
	json_w_arr_begin(w);
	for (int i = 0; i < nun; i++)
		json_w_str(w, name[i]);
	json_w_arr_end(w);
}

static void write_ns(struct json_w *w, pid_t pid)
{
	static const char *const ns[] = { "mnt", "pid", "net", "ipc", "uts", NULL };
	char p[64], self[64], l[64], ls[64];
	json_w_key(w, "namespaces_own");
	json_w_obj_begin(w);
	for (const char *const *n = ns; *n; n++) {
		snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, *n);
		snprintf(self, sizeof self, "/proc/self/ns/%s", *n);
		ssize_t a = readlink(p, l, sizeof l - 1), b = readlink(self, ls, sizeof ls - 1);
		json_w_kbool(w, *n, a > 0 && b > 0 && (a != b || memcmp(l, ls, (size_t)a)));
	}
	json_w_obj_end(w);
}

/* Every path in the VMM's root (two levels: it holds dev/ and boot/ only). */
static void write_root(struct json_w *w, pid_t pid)
{
	char root[64];
	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	json_w_key(w, "root_files");
	json_w_arr_begin(w);
	DIR *d = opendir(root);
	struct dirent *e;
	int count = 0;
	while (d && (e = readdir(d)) && count < 64) {
		if (e->d_name[0] == '.')
			continue;
		char sub[320], name[600];
		snprintf(sub, sizeof sub, "%s/%s", root, e->d_name);
		DIR *s = opendir(sub);
		struct dirent *f;
		if (!s) {
			json_w_str(w, e->d_name);
			count++;
		}
		while (s && (f = readdir(s)) && count < 64) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(name, sizeof name, "/%s/%s", e->d_name, f->d_name);
			json_w_str(w, name);
			count++;
		}
		if (s)
			closedir(s);
	}
	if (d)
		closedir(d);
	json_w_arr_end(w);
}

static void write_cgroup(struct json_w *w, const struct vm *v)
{
	char cg[512], b[128];
	struct cg_usage u;
	vm_cgroup_path(v, cg, sizeof cg);
	json_w_key(w, "cgroup");
	json_w_obj_begin(w);
	json_w_kstr(w, "path", cg + strlen(CG_ROOT));
	static const char *const files[] = { "memory.max", "cpu.weight", "cpu.max", "pids.max",
					     "io.weight", "cpuset.cpus", "memory.swap.max", NULL };
	for (const char *const *f = files; *f; f++) {
		cg_read(cg, *f, b, sizeof b);
		json_w_kstr(w, *f, b);
	}
	if (cg_usage(cg, &u) == 0) {
		json_w_kuint(w, "memory.current", u.memory_current);
		json_w_kuint(w, "cpu.usage_usec", u.cpu_usage_usec);
		json_w_kuint(w, "pids.current", u.pids_current);
		json_w_kuint(w, "memory.oom_kills", u.oom_kills);
	}
	json_w_obj_end(w);
}

void vm_isolation_json(struct json_w *w, const struct vm *v)
{
	json_w_key(w, "isolation");
	json_w_obj_begin(w);
	json_w_kbool(w, "jailed", v->jailed && v->pid);
	json_w_kint(w, "jail_uid", v->jail_uid);
	if (v->pid) {
		write_status(w, v->pid);
		write_threads(w, v->pid);
		/* /proc/<pid>/ns and /root of another uid: CAP_SYS_PTRACE, this
		 * thread only, for these reads */
		int raised = agent_privs_raise(PRIVS_SYS_PTRACE) == 0;
		write_ns(w, v->pid);
		write_root(w, v->pid);
		if (raised)
			agent_privs_lower();
		write_cgroup(w, v);
	}
	json_w_obj_end(w);
}
