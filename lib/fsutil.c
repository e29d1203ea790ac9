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

int fs_read_data(int fd, int (*fn)(void *arg, uint64_t off, const void *buf, size_t len, bool zero), void *arg)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	unsigned char *buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	uint64_t off = 0, size = (uint64_t)st.st_size;
	while (rc == 0 && off < size) {
		off_t d = lseek(fd, (off_t)off, SEEK_DATA);
		if (d < 0) {
			if (errno == ENXIO)       /* only a hole is left */
				break;
			if (errno != EINVAL) {    /* EINVAL: SEEK_DATA not supported: all data */
				rc = -errno;
				break;
			}
			d = (off_t)off;
		}
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > size)
			h = (off_t)size;
		for (uint64_t p = (uint64_t)d; rc == 0 && p < (uint64_t)h;) {
			size_t want = (uint64_t)h - p < COPY_CHUNK ? (size_t)((uint64_t)h - p) : COPY_CHUNK;
			ssize_t n = pread(fd, buf, want, (off_t)p);
			if (n < 0) {
				if (errno != EINTR)
					rc = -errno;
				continue;
			}
			if (n == 0)
				break;              /* the file shrank meanwhile */
			rc = fn(arg, p, buf, (size_t)n, all_zero(buf, (size_t)n));
			p += (uint64_t)n;
		}
		off = (uint64_t)h;
	}
	free(buf);
	return rc;
}

struct copy_to {
	int out;
	uint64_t wrote;
	void (*progress)(void *arg, uint64_t done);
	void *arg;
};

static int copy_piece(void *arg, uint64_t off, const void *buf, size_t len, bool zero)
{
	struct copy_to *c = arg;
	const char *b = buf;
	for (size_t k = 0; !zero && k < len;) {
		ssize_t w = pwrite(c->out, b + k, len - k, (off_t)(off + k));
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w > 0)
			k += (size_t)w;
	}
	if (!zero)
		c->wrote += len;
	if (c->progress)
		c->progress(c->arg, off + len);
	return 0;
}

int fs_copy_sparse(int in, int out, void (*progress)(void *arg, uint64_t done), void *arg,
		   uint64_t *written)
{
	struct stat st;
	if (written)
		*written = 0;
	if (fstat(in, &st) < 0)
		return -errno;
	uint64_t size = (uint64_t)st.st_size;
	if (ioctl(out, FICLONE, in) == 0) {
		if (progress)
			progress(arg, size);
		return fsync(out) < 0 ? -errno : 0;
	}
	struct copy_to c = { out, 0, progress, arg };
	int rc = fs_read_data(in, copy_piece, &c);
	if (rc == 0 && ftruncate(out, (off_t)size) < 0)
		rc = -errno;
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	if (rc == 0 && progress)
		progress(arg, size);
	if (written)
		*written = c.wrote;
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
