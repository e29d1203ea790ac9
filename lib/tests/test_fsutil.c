/* test_fsutil.c: atomic write/replace, bounded read limits, mkdir -p, sparse
 * copies, and cfgstore on a directory that is not a mount point (path checks). */
#include "cfgstore.h"
#include "fsutil.h"
#include "wtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	int n = 0;
	struct dirent *e;
	while (dp && (e = readdir(dp)))
		n += e->d_name[0] != '.';
	if (dp)
		closedir(dp);
	return n;
}

static void t_atomic(void)
{
	char p[128], *data;
	size_t len;
	snprintf(p, sizeof p, "%s/f.json", dir);
	WT_EQ_INT(fs_write_atomic(p, "one", 3, 0600), 0);
	WT_EQ_INT(fs_write_atomic(p, "second", 6, 0600), 0);
	WT_EQ_INT(fs_read_file(p, 100, &data, &len), 0);
	WT_EQ_STR(data, "second");
	WT_EQ_INT(len, 6);
	free(data);
	struct stat st;
	WT_EQ_INT(stat(p, &st), 0);
	WT_EQ_INT(st.st_mode & 0777, 0600);
	WT_EQ_INT(count_entries(dir), 1); /* no temporary left behind */
	WT_EQ_INT(fs_read_file(p, 5, &data, &len), -EFBIG);
	WT_CHECK(data == NULL);
	WT_EQ_INT(fs_read_file(p, 6, &data, &len), 0);
	free(data);
	snprintf(p, sizeof p, "%s/missing/f", dir);
	WT_EQ_INT(fs_write_atomic(p, "x", 1, 0600), -ENOENT);
	WT_EQ_INT(fs_read_file(p, 10, &data, &len), -ENOENT);
	/* large file beyond the initial buffer */
	char *big = malloc(100000);
	memset(big, 'z', 100000);
	snprintf(p, sizeof p, "%s/big", dir);
	WT_EQ_INT(fs_write_atomic(p, big, 100000, 0644), 0);
	WT_EQ_INT(fs_read_file(p, 100000, &data, &len), 0);
	WT_EQ_INT(len, 100000);
	free(data);
	WT_EQ_INT(fs_read_file(p, 99999, &data, &len), -EFBIG);
	free(big);
	unlink(p);
}

static void t_mkdir(void)
{
	char p[128];
	snprintf(p, sizeof p, "%s/a/b/c", dir);
	WT_EQ_INT(fs_mkdir_p(p, 0700), 0);
	WT_EQ_INT(fs_mkdir_p(p, 0700), 0);
	snprintf(p, sizeof p, "%s/f.json/x", dir);
	WT_CHECK(fs_mkdir_p(p, 0700) < 0);
}

static void t_cfgstore(void)
{
	char root[128], p[160], *data;
	snprintf(root, sizeof root, "%s/cfg", dir);
	WT_EQ_INT(fs_mkdir_p(root, 0700), 0);
	WT_EQ_INT(cfgstore_is_mountpoint(root), 0);
	WT_EQ_INT(cfgstore_is_mountpoint("/"), 1);
	WT_EQ_INT(cfgstore_write(root, "identity/host.pem", "PEM", 3, 0644), 0);
	snprintf(p, sizeof p, "%s/identity/host.pem", root);
	WT_EQ_INT(fs_read_file(p, 10, &data, NULL), 0);
	WT_EQ_STR(data, "PEM");
	free(data);
	WT_EQ_INT(cfgstore_write(root, "../escape", "x", 1, 0644), -EINVAL);
	WT_EQ_INT(cfgstore_write(root, "a/../../escape", "x", 1, 0644), -EINVAL);
	WT_EQ_INT(cfgstore_write(root, "/abs", "x", 1, 0644), -EINVAL);
	WT_EQ_INT(cfgstore_write(root, "a//b", "x", 1, 0644), -EINVAL);
	WT_EQ_INT(cfgstore_remove(root, "identity/host.pem"), 0);
	WT_EQ_INT(access(p, F_OK), -1);
	WT_EQ_INT(cfgstore_remove(root, "identity/host.pem"), 0);
}

static uint64_t last_progress;
static void on_progress(void *arg, uint64_t done)
{
	(void)arg;
	WT_CHECK(done >= last_progress);
	last_progress = done;
}

/* Data at 0, a hole, a MiB of written zeros, data at 5 MiB, an odd size:
 * the copy reads back the same, keeps the holes and the zeros unwritten. */
static void t_copy_sparse(void)
{
	char a[128], b[128];
	snprintf(a, sizeof a, "%s/src.img", dir);
	snprintf(b, sizeof b, "%s/dst.img", dir);
	int in = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	WT_CHECK(in >= 0);
	static unsigned char data[4096], zeros[1 << 20];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 1);
	const uint64_t size = (8u << 20) + 12345;
	WT_EQ_INT(pwrite(in, data, sizeof data, 0), sizeof data);
	WT_EQ_INT(pwrite(in, zeros, sizeof zeros, 2 << 20), sizeof zeros);
	WT_EQ_INT(pwrite(in, data, sizeof data, 5 << 20), sizeof data);
	WT_EQ_INT(ftruncate(in, (off_t)size), 0);
	int out = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	WT_CHECK(out >= 0);
	uint64_t written = 1;
	last_progress = 0;
	WT_EQ_INT(fs_copy_sparse(in, out, on_progress, NULL, &written), 0);
	WT_EQ_INT(last_progress, size);
	struct stat st;
	WT_EQ_INT(fstat(out, &st), 0);
	WT_EQ_INT(st.st_size, size);
	if (written) {   /* 0 where the file system cloned the blocks */
		WT_EQ_INT(written, 2 * sizeof data);
		WT_CHECK(st.st_blocks * 512 < (1 << 20));
	}
	static unsigned char x[1 << 20], y[1 << 20];
	for (uint64_t off = 0; off < size; off += sizeof x) {
		ssize_t n1 = pread(in, x, sizeof x, (off_t)off), n2 = pread(out, y, sizeof y, (off_t)off);
		WT_EQ_INT(n1, n2);
		WT_CHECK(n1 > 0 && memcmp(x, y, (size_t)n1) == 0);
	}
	close(in);
	close(out);
	/* a bad descriptor is an error, not a crash */
	WT_EQ_INT(fs_copy_sparse(-1, -1, NULL, NULL, NULL), -EBADF);
}

static void t_remove_tree(void)
{
	char p[160], q[200];
	snprintf(p, sizeof p, "%s/tree", dir);
	snprintf(q, sizeof q, "%s/a/b/c", p);
	WT_EQ_INT(fs_mkdir_p(q, 0700), 0);
	snprintf(q, sizeof q, "%s/a/b/f", p);
	WT_EQ_INT(fs_write_atomic(q, "x", 1, 0600), 0);
	snprintf(q, sizeof q, "%s/a/link", p);
	WT_EQ_INT(symlink(dir, q), 0);   /* removed, never followed */
	WT_EQ_INT(fs_remove_tree(p), 0);
	WT_EQ_INT(access(p, F_OK), -1);
	WT_CHECK(access(dir, F_OK) == 0);
	WT_EQ_INT(fs_remove_tree(p), 0);  /* missing: nothing to do */
	snprintf(q, sizeof q, "%s/plain", dir);
	WT_EQ_INT(fs_write_atomic(q, "x", 1, 0600), 0);
	WT_EQ_INT(fs_remove_tree(q), 0);
	WT_EQ_INT(access(q, F_OK), -1);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/wafer-fsutil-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	static const struct wtest_case c[] = { WT_CASE(t_atomic), WT_CASE(t_mkdir), WT_CASE(t_cfgstore),
					       WT_CASE(t_copy_sparse), WT_CASE(t_remove_tree) };
	int rc = wtest_run("fsutil", c, 5);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
