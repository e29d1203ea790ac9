/* jail.h: starting a wafer-vmm in its jail (docs/isolation.md): its own
 * cgroup, new mount/PID/IPC/UTS/network namespaces, a read-only tmpfs root
 * under <run>/jail/<id> holding only the VM's kernel, initrd and device
 * nodes, a unique unprivileged uid/gid, no capabilities (bounding set too),
 * no_new_privs, bounded rlimits. Disks, taps and the control socket are
 * opened by the agent and passed as descriptors. */
#ifndef WAFER_JAIL_H
#define WAFER_JAIL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JAIL_UID_BASE 100000u     /* VM n runs as uid/gid JAIL_UID_BASE + n */
#define JAIL_UID_COUNT 65536u
#define JAIL_IMAGE_GID 99999u     /* supplementary group that may read images */
#define JAIL_MAX_FDS 24
#define JAIL_NOFILE 256           /* RLIMIT_NOFILE of a VMM */

struct jail_spec {
	const char *id;               /* VM id: hostname, jail folder name */
	const char *root;             /* <run>/jail/<id> (created if missing) */
	const char *cgroup_procs;     /* <cgroup>/cgroup.procs to join, or NULL */
	const char *vmm;              /* VMM binary (executed through an fd) */
	const char *kernel, *initrd;  /* bind-mounted as /boot/kernel, /boot/initrd */
	uid_t uid;
	gid_t gid;
	int log_fd;                   /* becomes stdout/stderr */
	int fds[JAIL_MAX_FDS];        /* passed as fds 3, 4, ... in this order */
	int nfds;
	char *const *argv;            /* refers to the passed fds as 3, 4, ... */
};

/* Fork the jailed VMM. Returns its pid (in the agent's namespace) once it
 * has executed, or -1 with a precise message in err (nothing left running). */
pid_t jail_spawn(const struct jail_spec *s, char *err, size_t errlen);
/* The uid for slot n (0-based), or 0 when n is out of range. */
uid_t jail_uid_for(unsigned n);
/* Remove a jail folder left by a VMM (the tmpfs lived only in its namespace). */
void jail_cleanup(const char *root);
#endif
