/* agent_privs.c: the agent drops every capability it does not use at start
 * (bounding, permitted, effective, inheritable, ambient), sets no_new_privs
 * and RLIMIT_CORE 0, raises CAP_SYS_PTRACE per thread only where it reads
 * other processes' /proc entries, and reports its sets for GET /api/v1/host.
 * Why each capability stays: docs/isolation.md. */
#include "agent_privs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};
#define CAP_NAMES (int)(sizeof cap_names / sizeof cap_names[0])

void privs_compute(uint64_t have_prm, uint64_t *eff, uint64_t *prm)
{
	*prm = have_prm & PRIVS_KEEP_PRM;
	*eff = have_prm & PRIVS_KEEP_EFF;
}

const char *privs_name(int cap, char *buf, size_t n)
{
	if (cap >= 0 && cap < CAP_NAMES)
		snprintf(buf, n, "cap_%s", cap_names[cap]);
	else
		snprintf(buf, n, "cap_%d", cap);
	return buf;
}

int privs_names(uint64_t mask, char *out, size_t n)
{
	size_t used = 0;
	char name[40];
	if (n == 0)
		return -1;
	out[0] = '\0';
	for (int cap = 0; cap < 64; cap++) {
		if (!(mask & PRIVS_BIT(cap)))
			continue;
		int k = snprintf(out + used, n - used, "%s%s", used ? "," : "",
				 privs_name(cap, name, sizeof name));
		if (k < 0 || (size_t)k >= n - used) {
			out[used] = '\0';
			return -1;
		}
		used += (size_t)k;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int privs_status_mask(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		p += kl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		uint64_t v = 0;
		int digits = 0;
		for (; *p && *p != '\n'; p++, digits++) {
			int d = hexval(*p);
			if (d < 0 || digits >= 16)
				return -1;
			v = v << 4 | (uint64_t)d;
		}
		if (digits == 0)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

static int status_text(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return r > 0 ? 0 : -1;
}

/* The calling thread's effective and permitted sets. */
static int caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	*eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	*prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

/* Set the calling thread's effective and permitted sets; inheritable empty. */
static int caps_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, 0 },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), 0 },
	};
	return syscall(SYS_capset, &h, d) < 0 ? -1 : 0;
}

/* Every cap outside PRIVS_KEEP_PRM out of the bounding set (EINVAL: past
 * the kernel's last capability). */
static int bounding_drop(char *err, size_t errlen)
{
	char name[40];
	for (int cap = 0; cap < 64; cap++) {
		if (PRIVS_KEEP_PRM & PRIVS_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break;
		snprintf(err, errlen, "privileges: drop %s from the bounding set: %s",
			 privs_name(cap, name, sizeof name), strerror(errno));
		return -1;
	}
	return 0;
}

/* What the kernel reports afterwards must be what was asked for. */
static int drop_check(uint64_t eff, uint64_t prm, char *err, size_t errlen)
{
	char st[4096];
	uint64_t e, p, a, b;
	if (status_text("/proc/self/status", st, sizeof st) || privs_status_mask(st, "CapEff", &e) ||
	    privs_status_mask(st, "CapPrm", &p) || privs_status_mask(st, "CapAmb", &a) ||
	    privs_status_mask(st, "CapBnd", &b)) {
		snprintf(err, errlen, "privileges: cannot read the capability sets from /proc/self/status");
		return -1;
	}
	if (e != eff || p != prm || a != 0 || (p & ~b)) {
		snprintf(err, errlen,
			 "privileges: after the drop CapEff %016llx CapPrm %016llx CapAmb %016llx, expected %016llx %016llx 0",
			 (unsigned long long)e, (unsigned long long)p, (unsigned long long)a,
			 (unsigned long long)eff, (unsigned long long)prm);
		return -1;
	}
	return 0;
}

static int threads_now(void)
{
	char st[4096];
	if (status_text("/proc/self/status", st, sizeof st))
		return -1;
	const char *t = strstr(st, "\nThreads:");
	return t ? atoi(t + 9) : -1;
}

int agent_privs_drop(char *warn, size_t wlen, char *err, size_t errlen)
{
	struct rlimit core = { 0, 0 };
	uint64_t eff0, prm0, eff, prm;
	warn[0] = '\0';
	int th = threads_now();
	if (th != 1) {
		snprintf(err, errlen, "privileges: %d threads before the drop (capabilities are per thread: drop first)", th);
		return -1;
	}
	if (setrlimit(RLIMIT_CORE, &core) < 0 || caps_get(&eff0, &prm0) < 0) {
		snprintf(err, errlen, "privileges: RLIMIT_CORE/capget: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "privileges: clear the ambient set: %s", strerror(errno));
		return -1;
	}
	if (eff0 & PRIVS_BIT(CAP_SETPCAP)) {
		if (bounding_drop(err, errlen))
			return -1;
	} else {
		snprintf(warn, wlen, "no CAP_SETPCAP (not root?): bounding set left as it is");
	}
	privs_compute(prm0, &eff, &prm);
	if (caps_set(eff, prm) < 0) {
		snprintf(err, errlen, "privileges: capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "privileges: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return drop_check(eff, prm, err, errlen);
}

int agent_privs_raise(int cap)
{
	uint64_t eff, prm;
	if (cap < 0 || cap > 63 || !(PRIVS_ON_DEMAND & PRIVS_BIT(cap)) || caps_get(&eff, &prm) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (!(prm & PRIVS_BIT(cap))) {
		errno = EPERM;
		return -1;
	}
	return caps_set(eff | PRIVS_BIT(cap), prm);
}

void agent_privs_lower(void)
{
	uint64_t eff, prm;
	if (caps_get(&eff, &prm) == 0)
		caps_set(prm & PRIVS_KEEP_EFF, prm);
}

static void json_names(struct json_w *w, const char *key, uint64_t mask)
{
	char name[40];
	json_w_key(w, key);
	json_w_arr_begin(w);
	for (int cap = 0; cap < 64; cap++)
		if (mask & PRIVS_BIT(cap))
			json_w_str(w, privs_name(cap, name, sizeof name));
	json_w_arr_end(w);
}

void agent_privs_json(struct json_w *w)
{
	static const char *const keys[] = { "CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb" };
	static const char *const out[] = { "cap_eff", "cap_prm", "cap_bnd", "cap_inh", "cap_amb" };
	char st[4096], hex[24];
	uint64_t m[5] = { 0 }, nnp = 0;
	struct rlimit core = { 0, 0 };
	int ok = status_text("/proc/self/status", st, sizeof st) == 0;
	json_w_key(w, "agent");
	json_w_obj_begin(w);
	json_w_kint(w, "uid", (int64_t)getuid());
	for (int i = 0; i < 5; i++) {
		if (!ok || privs_status_mask(st, keys[i], &m[i]))
			m[i] = 0;
		snprintf(hex, sizeof hex, "%016llx", (unsigned long long)m[i]);
		json_w_kstr(w, out[i], hex);
	}
	json_names(w, "capabilities", m[0]);
	json_names(w, "on_demand", m[1] & ~m[0]);
	if (ok)
		privs_status_mask(st, "NoNewPrivs", &nnp);
	json_w_kint(w, "no_new_privs", (int64_t)nnp);
	getrlimit(RLIMIT_CORE, &core);
	json_w_kuint(w, "core_limit", (uint64_t)core.rlim_max);
	json_w_obj_end(w);
}
