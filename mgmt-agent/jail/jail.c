/* jail.c: jail_spawn: clone() a child into new mount, PID, IPC, UTS and
 * network namespaces; the child joins the VM's cgroup, builds a minimal
 * read-only root on a tmpfs, pivots into it, arranges the passed
 * descriptors, drops every capability and its uid/gid, and executes the VMM
 * through an fd. Errors travel back over a close-on-exec pipe. */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define JAIL_STACK (64 * 1024)
#define JAIL_NS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)

struct jail_child {
	const struct jail_spec *s;
	int status_fd, exe_fd, null_fd;
};

uid_t jail_uid_for(unsigned n)
{
	return n < JAIL_UID_COUNT ? (uid_t)(JAIL_UID_BASE + n) : 0;
}

/* In the child: report "what: errno text" to the agent and end. */
static void jail_fail(struct jail_child *c, const char *what)
{
	char m[300];
	int n = snprintf(m, sizeof m, "%s: %s", what, strerror(errno));
	if (n > 0 && write(c->status_fd, m, (size_t)n) < 0)
		_exit(126);
	_exit(126);
}

static void jail_join_cgroup(struct jail_child *c)
{
	if (!c->s->cgroup_procs)
		return;
	int fd = open(c->s->cgroup_procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		jail_fail(c, "cannot join the VM's cgroup");
	close(fd);
}

/* A device node like the host's `host` at root/dev/name, owned by the VMM. */
static void jail_mknod(struct jail_child *c, const char *host, const char *name, int required)
{
	struct stat st;
	char p[600];
	if (stat(host, &st) < 0 || !S_ISCHR(st.st_mode)) {
		if (required)
			jail_fail(c, host);
		return;
	}
	snprintf(p, sizeof p, "%s/dev/%s", c->s->root, name);
	if (mknod(p, S_IFCHR | 0600, st.st_rdev) < 0 || chown(p, c->s->uid, c->s->gid) < 0)
		jail_fail(c, "mknod in the jail");
}

/* Bind `src` read-only at root/boot/name. */
static void jail_bind_file(struct jail_child *c, const char *src, const char *name)
{
	char p[600];
	if (!src)
		return;
	snprintf(p, sizeof p, "%s/boot/%s", c->s->root, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0400);
	if (fd < 0)
		jail_fail(c, "create a bind target in the jail");
	close(fd);
	const unsigned long ro = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount(src, p, NULL, MS_BIND, NULL) < 0 || mount(NULL, p, NULL, ro, NULL) < 0)
		jail_fail(c, src);
}

/* pivot_root, and the old root detached. The initramfs root (rootfs) cannot
 * be pivoted away (EINVAL): there the tmpfs is moved over "/" and chrooted
 * into, like switch_root; rootfs stays beneath, unreachable without
 * CAP_SYS_CHROOT/CAP_SYS_ADMIN, which the VMM never has. */
static void jail_enter_root(struct jail_child *c)
{
	if (chdir(c->s->root) < 0)
		jail_fail(c, "chdir into the jail");
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
			jail_fail(c, "detach the old root");
		return;
	}
	if (errno != EINVAL)
		jail_fail(c, "pivot_root into the jail");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		jail_fail(c, "move the jail over / and chroot");
}

static void jail_build_root(struct jail_child *c)
{
	const char *r = c->s->root;
	char p[600];
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		jail_fail(c, "make mounts private");
	if (mount("tmpfs", r, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=32,mode=0755") < 0)
		jail_fail(c, "mount the jail's tmpfs");
	snprintf(p, sizeof p, "%s/dev", r);
	if (mkdir(p, 0755) < 0)
		jail_fail(c, "mkdir dev");
	snprintf(p, sizeof p, "%s/boot", r);
	if (mkdir(p, 0755) < 0)
		jail_fail(c, "mkdir boot");
	jail_mknod(c, "/dev/kvm", "kvm", 1);
	jail_mknod(c, "/dev/urandom", "urandom", 1);
	jail_mknod(c, "/dev/vhost-net", "vhost-net", 0);
	jail_bind_file(c, c->s->kernel, "kernel");
	jail_bind_file(c, c->s->initrd, "initrd");
	jail_enter_root(c);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
		jail_fail(c, "remount the jail read-only");
}

/* Passed fds to 3, 4, ...; then the exe and status fds (close-on-exec);
 * /dev/null on 0, the log on 1 and 2; everything else closed. */
static void jail_arrange_fds(struct jail_child *c)
{
	const struct jail_spec *s = c->s;
	int src[JAIL_MAX_FDS + 4], n = 0, hi = 3 + s->nfds + 3;
	for (int i = 0; i < s->nfds; i++)
		src[n++] = s->fds[i];
	src[n++] = c->exe_fd;
	src[n++] = c->status_fd;
	src[n++] = c->null_fd;
	src[n++] = s->log_fd >= 0 ? s->log_fd : c->null_fd;
	for (int i = 0; i < n; i++)
		if (src[i] >= hi)
			hi = src[i] + 1;
	for (int i = 0; i < n; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, hi)) < 0)
			jail_fail(c, "dup a passed descriptor");
	int k = 0;
	for (; k < s->nfds; k++)
		if (dup2(src[k], 3 + k) < 0)
			jail_fail(c, "dup2 a passed descriptor");
	int exe = 3 + k, st = 4 + k;
	if (dup3(src[k], exe, O_CLOEXEC) < 0 || dup3(src[k + 1], st, O_CLOEXEC) < 0 ||
	    dup2(src[k + 2], 0) < 0 || dup2(src[k + 3], 1) < 0 || dup2(src[k + 3], 2) < 0)
		jail_fail(c, "dup2 standard descriptors");
	c->exe_fd = exe;
	c->status_fd = st;
	if (syscall(SYS_close_range, (unsigned)st + 1, ~0u, 0) < 0)
		for (int fd = st + 1; fd < 4096; fd++)
			close(fd);
}

static void jail_drop(struct jail_child *c)
{
	const struct jail_spec *s = c->s;
	struct rlimit nofile = { JAIL_NOFILE, JAIL_NOFILE }, core = { 0, 0 };
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0)
		jail_fail(c, "setrlimit");
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			jail_fail(c, "drop the capability bounding set");
	gid_t img = JAIL_IMAGE_GID;
	if (setgroups(1, &img) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
	    setresuid(s->uid, s->uid, s->uid) < 0)
		jail_fail(c, "switch to the VM's uid/gid");
	if (getuid() != s->uid || geteuid() != s->uid || setuid(0) == 0) {
		errno = EPERM;
		jail_fail(c, "uid switch did not stick");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		jail_fail(c, "PR_SET_NO_NEW_PRIVS");
}

static int jail_child_main(void *arg)
{
	struct jail_child *c = arg;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	jail_join_cgroup(c);
	jail_build_root(c);
	if (sethostname(c->s->id, strlen(c->s->id)) < 0)
		jail_fail(c, "sethostname");
	jail_arrange_fds(c);
	jail_drop(c);
	static char *const envp[] = { "PATH=/nonexistent", NULL };
	fexecve(c->exe_fd, c->s->argv, envp);
	jail_fail(c, "execute the VMM");
	return 126;
}

pid_t jail_spawn(const struct jail_spec *s, char *err, size_t errlen)
{
	struct jail_child c = { s, -1, -1, -1 };
	int sp[2] = { -1, -1 };
	pid_t pid = -1;
	char *stack = NULL;
	if (s->nfds > JAIL_MAX_FDS) {
		snprintf(err, errlen, "jail: %d descriptors to pass, at most %d", s->nfds, JAIL_MAX_FDS);
		return -1;
	}
	if (mkdir(s->root, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "jail: mkdir %s: %s", s->root, strerror(errno));
		return -1;
	}
	c.exe_fd = open(s->vmm, O_RDONLY | O_CLOEXEC);
	c.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	stack = malloc(JAIL_STACK);
	if (c.exe_fd < 0 || c.null_fd < 0 || !stack || pipe2(sp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "jail: %s: %s", c.exe_fd < 0 ? s->vmm : "setup", strerror(errno));
		goto out;
	}
	c.status_fd = sp[1];
	pid = clone(jail_child_main, stack + JAIL_STACK, JAIL_NS | SIGCHLD, &c);
	if (pid < 0) {
		snprintf(err, errlen, "jail: clone with new namespaces: %s", strerror(errno));
		goto out;
	}
	close(sp[1]);
	sp[1] = -1;
	char msg[300];
	ssize_t n;
	while ((n = read(sp[0], msg, sizeof msg - 1)) < 0 && errno == EINTR)
		;
	if (n > 0) {
		msg[n] = '\0';
		snprintf(err, errlen, "jail: %s", msg);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	}
out:
	free(stack);
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]);
	if (c.exe_fd >= 0)
		close(c.exe_fd);
	if (c.null_fd >= 0)
		close(c.null_fd);
	return pid;
}

void jail_cleanup(const char *root)
{
	static const char *const parts[] = { "boot/kernel", "boot/initrd", "dev/kvm", "dev/urandom",
					     "dev/vhost-net", "boot", "dev", NULL };
	char p[600];
	for (const char *const *x = parts; *x; x++) {
		snprintf(p, sizeof p, "%s/%s", root, *x);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(root);
}
