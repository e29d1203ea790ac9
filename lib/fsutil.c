/* fsutil.c: atomic file replacement, bounded reads, mkdir -p, sparse copies
 * (see fsutil.h). */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	if (strlen(path) >= sizeof dir)
		return -ENAMETOOLONG;
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
	close(fd);
	return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = fs_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return fs_fsync_parent(path);
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
	*data = NULL;
	if (len)
		*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (n == cap) {
			if (cap > max) {
				rc = -EFBIG;
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno != EINTR)
				rc = -errno;
			continue;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			rc = -EFBIG;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

int fs_mkdir_p(const char *dir, mode_t mode)
{
	char p[PATH_MAX];
	if (strlen(dir) >= sizeof p || !*dir)
		return -ENAMETOOLONG;
	strcpy(p, dir);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int)
#endif
#define COPY_CHUNK (1u << 20)

static bool all_zero(const unsigned char *p, size_t n)
{
	/* first byte zero and every byte equal to the one before it */
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int fs_copy_sparse(int in, int out, void (*progress)(void *arg, uint64_t done), void *arg,
		   uint64_t *written)
{
	struct stat st;
	if (written)
		*written = 0;
	if (fstat(in, &st) < 0)
		return -errno;
	uint64_t size = (uint64_t)st.st_size, wrote = 0;
	if (ioctl(out, FICLONE, in) == 0) {
		if (progress)
			progress(arg, size);
		return fsync(out) < 0 ? -errno : 0;
	}
	unsigned char *buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	uint64_t off = 0;
	while (rc == 0 && off < size) {
		off_t d = lseek(in, (off_t)off, SEEK_DATA);
		if (d < 0) {
			if (errno == ENXIO)       /* only a hole is left */
				break;
			if (errno != EINVAL) {    /* EINVAL: SEEK_DATA not supported: all data */
				rc = -errno;
				break;
			}
			d = (off_t)off;
		}
		off_t h = lseek(in, d, SEEK_HOLE);
		if (h < 0)
			h = (off_t)size;
		for (uint64_t p = (uint64_t)d; rc == 0 && p < (uint64_t)h; ) {
			size_t want = (uint64_t)h - p < COPY_CHUNK ? (size_t)((uint64_t)h - p) : COPY_CHUNK;
			ssize_t n = pread(in, buf, want, (off_t)p);
			if (n < 0) {
				if (errno != EINTR)
					rc = -errno;
				continue;
			}
			if (n == 0)
				break;              /* the file shrank meanwhile */
			if (!all_zero(buf, (size_t)n)) {
				for (size_t k = 0; rc == 0 && k < (size_t)n; ) {
					ssize_t w = pwrite(out, buf + k, (size_t)n - k, (off_t)(p + k));
					if (w < 0 && errno != EINTR)
						rc = -errno;
					else if (w > 0)
						k += (size_t)w;
				}
				wrote += (uint64_t)n;
			}
			p += (uint64_t)n;
			if (progress)
				progress(arg, p);
		}
		off = (uint64_t)h;
	}
	free(buf);
	if (rc == 0 && ftruncate(out, (off_t)size) < 0)
		rc = -errno;
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	if (rc == 0 && progress)
		progress(arg, size);
	if (written)
		*written = wrote;
	return rc;
}

/* Everything inside the folder open on fd (closed here). */
static int remove_inside(int fd, int depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	int rc = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = rc ? rc : -errno;
			continue;
		}
		int sub = depth < 8 ? openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		int r = sub < 0 ? (depth < 8 ? -errno : -ELOOP) : remove_inside(sub, depth + 1);
		if (r == 0 && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
			r = -errno;
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}

int fs_remove_tree(const char *path)
{
	if (unlink(path) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = remove_inside(fd, 1);
	if (rc == 0 && rmdir(path) < 0)
		rc = -errno;
	return rc;
}
