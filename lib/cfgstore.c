/* cfgstore.c: atomic writes into the read-only config partition (see cfgstore.h). */
#include "cfgstore.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;

int cfgstore_is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;
	if (snprintf(parent, sizeof parent, "%s/..", dir) >= (int)sizeof parent)
		return -ENAMETOOLONG;
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return -errno;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static int check_rel(const char *rel)
{
	if (!*rel || rel[0] == '/')
		return -EINVAL;
	for (const char *p = rel; *p; ) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* Remount rw if it is a read-only mount point; *was_ro tells the caller to
 * remount ro afterwards. */
static int begin_write(const char *root, int *was_ro)
{
	struct statvfs sv;
	*was_ro = 0;
	if (cfgstore_is_mountpoint(root) != 1)
		return 0;
	if (statvfs(root, &sv) < 0)
		return -errno;
	if (!(sv.f_flag & ST_RDONLY))
		return 0;
	if (mount(NULL, root, NULL, MS_REMOUNT, NULL) < 0)
		return -errno;
	*was_ro = 1;
	return 0;
}

static int end_write(const char *root, int was_ro)
{
	if (!was_ro)
		return 0;
	sync();
	if (mount(NULL, root, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return -errno;
	return 0;
}

typedef int (*cfg_op)(const char *path, const void *data, size_t len, mode_t mode);

static int op_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int rc = fs_mkdir_p(dir, 0700);
		if (rc)
			return rc;
	}
	return fs_write_atomic(path, data, len, mode);
}

static int op_remove(const char *path, const void *data, size_t len, mode_t mode)
{
	(void)data; (void)len; (void)mode;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	return fs_fsync_parent(path);
}

static int cfg_do(const char *root, const char *rel, cfg_op op, const void *data,
		  size_t len, mode_t mode)
{
	char path[PATH_MAX];
	int rc = check_rel(rel);
	if (rc)
		return rc;
	if (snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&cfg_lock);
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		goto out;
	}
	if (flock(dfd, LOCK_EX) < 0) {
		rc = -errno;
		goto out_close;
	}
	int was_ro;
	rc = begin_write(root, &was_ro);
	if (rc == 0) {
		rc = op(path, data, len, mode);
		int rc2 = end_write(root, was_ro);
		if (rc == 0)
			rc = rc2;
	}
	flock(dfd, LOCK_UN);
out_close:
	close(dfd);
out:
	pthread_mutex_unlock(&cfg_lock);
	return rc;
}

int cfgstore_write(const char *root, const char *relpath, const void *data,
		   size_t len, mode_t mode)
{
	return cfg_do(root, relpath, op_write, data, len, mode);
}

int cfgstore_remove(const char *root, const char *relpath)
{
	return cfg_do(root, relpath, op_remove, NULL, 0, 0);
}
