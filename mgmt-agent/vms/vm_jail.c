/* vm_jail.c: the agent's one way to start a VMM: uid allocation (persisted
 * in the VM definition), the VM's cgroup, descriptors the VMM gets instead
 * of paths (disks, taps, the bound control socket), then jail_spawn; and
 * after exit, the reason for a seccomp or OOM kill and the cleanup. */
#include "vm_internal.h"
#include "agent.h"
#include "audit.h"
#include "cgroup.h"
#include "server/events.h"
#include "fsutil.h"
#include "jail/jail.h"
#include "jail/tap.h"
#include "wlog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct jail_args {
	struct vmm_argv av;
	char image_path[2][512];  /* kernel, initrd on the datastore */
	struct jail_spec js;
};

/* Pass fd to the VMM; returns the number it will have there. */
static int jpass(struct jail_args *a, int fd)
{
	a->js.fds[a->js.nfds] = fd;
	return 3 + a->js.nfds++;
}

void vm_cgroup_path(const struct vm *v, char *out, size_t n)
{
	snprintf(out, n, "%s/%s/%s", CG_ROOT, CG_PARENT, v->id);
}

/* The lowest uid no other VM holds; saved with the definition. */
static int vm_jail_uid(struct vm *v, char *err, size_t errlen)
{
	if (v->jail_uid)
		return 0;
	for (unsigned n = 0; n < JAIL_UID_COUNT; n++) {
		uid_t u = jail_uid_for(n);
		bool taken = false;
		for (int i = 0; i < VM_MAX && !taken; i++)
			taken = vm_table[i].used && vm_table[i].jail_uid == u;
		if (taken)
			continue;
		v->jail_uid = u;
		int rc = vm_save(v);
		if (rc) {
			v->jail_uid = 0;
			snprintf(err, errlen, "cannot save the VM's uid: %s", strerror(-rc));
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "no free VM uid left");
	return -1;
}

int vm_jail_prepare(struct vm *v, char *err, size_t errlen)
{
	return vm_jail_uid(v, err, errlen);
}

/* Bound, listening control socket at <run>/vms/<id>/control.sock (0600). */
static int vm_jail_ctl_socket(struct vm *v, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char p[512];
	vm_ctl_path(v, p, sizeof p);
	if (strlen(p) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "control socket path too long: %s", p);
		return -1;
	}
	strcpy(sa.sun_path, p);
	unlink(p);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(p, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		snprintf(err, errlen, "control socket %s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Images are root's; the VMM reads its kernel/initrd through the image group. */
static void vm_jail_image(char *p, size_t room, const char *name, const char **out)
{
	vm_image_path(name, p, room);
	if (chown(p, 0, JAIL_IMAGE_GID) < 0 || chmod(p, 0640) < 0)
		wlog(WLOG_WARN, "vm", "image %s: cannot give the VMM group read access: %s", name,
		     strerror(errno));
	*out = p;
}

/* The file a save writes (suspend.new, emptied; renamed to suspend.sav once
 * the VMM is gone) and, for a suspended VM, the saved state to resume. */
static int vm_jail_state_fds(struct vm *v, struct jail_args *a, struct vmm_fds *fds, char *err, size_t errlen)
{
	char p[512];
	struct stat st;
	vm_saved_path(v, true, p, sizeof p);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0 || (st.st_size && ftruncate(fd, 0) < 0)) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fds->state = jpass(a, fd);
	if (!v->restore)
		return 0;
	vm_saved_path(v, false, p, sizeof p);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "the saved state %s: %s", p, strerror(errno));
		return -1;
	}
	fds->restore = jpass(a, fd);
	return 0;
}

/* The descriptors the VMM gets (disks, taps, control socket, exit file, the
 * state files), then its command line from vm_argv.c. */
static int vm_jail_args(struct vm *v, struct jail_args *a, char *err, size_t errlen)
{
	struct vmm_fds fds = { .state = 0 };
	for (int i = 0; i < v->spec.ndisks; i++) {
		char p[512];
		const struct vm_disk *d = &v->spec.disks[i];
		if (d->readonly && d->image[0])
			vm_image_path(d->image, p, sizeof p);
		else
			vm_disk_path(v, i, p, sizeof p);
		int fd = open(p, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "disk %d: %s: %s", i, p, strerror(errno));
			return -1;
		}
		fds.disk[i] = jpass(a, fd);
	}
	for (int i = 0; i < v->spec.nnics; i++) {
		char t[16];
		vm_tap_name(v, i, t);
		int fd = tap_open(t, err, errlen);
		if (fd < 0)
			return -1;
		fds.nic[i] = jpass(a, fd);
	}
	int cfd = vm_jail_ctl_socket(v, err, errlen);
	if (cfd < 0)
		return -1;
	fds.control = jpass(a, cfd);
	int efd = vm_exit_file_open(v, err, errlen);
	if (efd < 0)
		return -1;
	fds.exit = jpass(a, efd);
	if (vm_jail_state_fds(v, a, &fds, err, errlen) < 0)
		return -1;
	if (vm_vmm_argv(&v->spec, v->id, &fds, &a->av) < 0) {
		snprintf(err, errlen, "VMM command line too long");
		return -1;
	}
	return 0;
}

int vm_jail_spawn(struct vm *v, int logfd, char *err, size_t errlen)
{
	struct jail_args *a = calloc(1, sizeof *a);
	char cg[512], procs[600], root[512];
	struct cg_limits lim;
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = vm_jail_uid(v, err, errlen);
	cg_limits_for(&v->spec, &lim);
	if (!rc)
		rc = cg_create(CG_ROOT, v->id, &lim, cg, sizeof cg, err, errlen);
	if (!rc)
		rc = vm_jail_args(v, a, err, errlen);
	if (!rc) {
		snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
		agent_path(root, sizeof root, agent_cfg.run_dir, "jail/%s", v->id);
		char jdir[512];
		agent_path(jdir, sizeof jdir, agent_cfg.run_dir, "jail");
		fs_mkdir_p(jdir, 0700);
		a->js.id = v->id;
		a->js.root = root;
		a->js.cgroup_procs = procs;
		a->js.vmm = agent_cfg.vmm_path;
		vm_jail_image(a->image_path[0], sizeof a->image_path[0], v->spec.kernel, &a->js.kernel);
		if (v->spec.initrd[0])
			vm_jail_image(a->image_path[1], sizeof a->image_path[1], v->spec.initrd, &a->js.initrd);
		a->js.uid = v->jail_uid;
		a->js.gid = v->jail_uid;
		a->js.log_fd = logfd;
		a->js.argv = a->av.v;
		pid_t pid = jail_spawn(&a->js, err, errlen);
		rc = pid < 0 ? -1 : 0;
		if (pid > 0)
			v->pid = pid;
	}
	for (int i = 0; i < a->js.nfds; i++)
		close(a->js.fds[i]);
	free(a);
	v->jailed = rc == 0;
	if (rc) {
		char p[512];
		vm_cgroup_path(v, cg, sizeof cg);
		cg_remove(cg);
		vm_ctl_path(v, p, sizeof p);
		unlink(p);
	}
	return rc;
}

void vm_jail_reap(struct vm *v, int status, bool known, char *reason, size_t len)
{
	char cg[512], p[512];
	struct cg_usage u;
	reason[0] = '\0';
	vm_cgroup_path(v, cg, sizeof cg);
	bool have_cg = cg_usage(cg, &u) == 0;
	if (known && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		long nr = audit_seccomp_syscall(v->pid, 800);
		if (nr >= 0)
			snprintf(reason, len, "seccomp: syscall %ld", nr);
		else
			snprintf(reason, len, "seccomp: syscall unknown (no audit record)");
	} else if (have_cg && u.oom_kills > 0) {
		char max[32];
		cg_read(cg, "memory.max", max, sizeof max);
		snprintf(reason, len, "oom: memory use exceeded the VM's limit (memory.max %llu MiB)",
			 strtoull(max, NULL, 10) >> 20);
	}
	if (reason[0]) {
		struct json_w d;
		events_data(&d);
		json_w_kstr(&d, "name", v->spec.name);
		json_w_kint(&d, "pid", v->pid);
		json_w_kstr(&d, "reason", reason);
		events_post("security", v->id, &d);
		wlog(WLOG_WARN, "vm", "%s (%s): security: %s", v->spec.name, v->id, reason);
	}
	if (have_cg)
		cg_remove(cg);
	agent_path(p, sizeof p, agent_cfg.run_dir, "jail/%s", v->id);
	jail_cleanup(p);
	vm_ctl_path(v, p, sizeof p);
	unlink(p);
	v->jailed = false;
}
