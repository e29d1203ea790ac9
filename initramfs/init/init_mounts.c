/* init_mounts.c: mounts the RAM-backed filesystems (devtmpfs, proc, sysfs,
 * tmpfs for /run and /tmp, devpts, cgroup2) and tears disk mounts down. */
#include "init_mounts.h"
#include "init_log.h"
#include "fsutil.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int mount_one(const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *opts)
{
	fs_mkdir_p(dst, 0755);
	if (mount(src, dst, type, flags, opts) == 0 || errno == EBUSY)
		return 0;
	ilog(LOG_ERR, "mount %s on %s (%s): %s", src, dst, type, strerror(errno));
	return -1;
}

int mounts_early(void)
{
	int rc = 0;
	const unsigned long nse = MS_NOSUID | MS_NOEXEC;
	rc |= mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	rc |= mount_one("proc", "/proc", "proc", nse | MS_NODEV, NULL);
	rc |= mount_one("sysfs", "/sys", "sysfs", nse | MS_NODEV, NULL);
	return rc ? -1 : 0;
}

/* Enable every available controller for the children of the root cgroup, so
 * the agent can put each VMM into its own cgroup with cpu/memory/io limits. */
static void cgroup_delegate(void)
{
	char ctl[256];
	int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, ctl, sizeof ctl - 1);
	close(fd);
	if (n <= 0)
		return;
	ctl[n] = '\0';
	char *save = NULL;
	for (char *t = strtok_r(ctl, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char w[64];
		int l = snprintf(w, sizeof w, "+%s", t);
		fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		if (l > 0 && write(fd, w, (size_t)l) < 0)
			ilog(LOG_WARNING, "cgroup: cannot delegate %s: %s", t, strerror(errno));
		close(fd);
	}
}

int mounts_rest(void)
{
	int rc = 0;
	const unsigned long nsd = MS_NOSUID | MS_NODEV;
	rc |= mount_one("tmpfs", "/run", "tmpfs", nsd, "mode=0755,size=64m");
	rc |= mount_one("tmpfs", "/tmp", "tmpfs", nsd, "mode=1777,size=256m");
	rc |= mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
	rc |= mount_one("tmpfs", "/dev/shm", "tmpfs", nsd, "mode=1777");
	rc |= mount_one("cgroup2", "/sys/fs/cgroup", "cgroup2", nsd | MS_NOEXEC, "nsdelegate");
	if (rc == 0)
		cgroup_delegate();
	fs_mkdir_p("/run/wafer/status", 0755);
	return rc ? -1 : 0;
}

void mounts_teardown(void)
{
	static const char *const disks[] = { "/data", "/config" };
	for (size_t i = 0; i < sizeof disks / sizeof disks[0]; i++) {
		if (umount2(disks[i], 0) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			continue; /* not mounted */
		ilog(LOG_WARNING, "umount %s: %s; remounting read-only", disks[i], strerror(errno));
		mount(NULL, disks[i], NULL, MS_REMOUNT | MS_RDONLY, NULL);
	}
}
