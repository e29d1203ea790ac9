/* cfgstore.h: writes into the config partition (/config), which is mounted
 * read-only. A write remounts it read-write, replaces the file atomically
 * (lib/fsutil), and remounts it read-only. When the root is not a mount point
 * (stateless host: a tmpfs or a plain directory) it just writes atomically.
 * Writers in one process are serialised; across processes an flock on the
 * root directory serialises them. */
#ifndef WAFER_CFGSTORE_H
#define WAFER_CFGSTORE_H
#include <stddef.h>
#include <sys/types.h>

/* Write root/relpath (relpath may contain one or more directories, created as
 * needed; ".." is refused). Returns 0 or a negative errno. */
int cfgstore_write(const char *root, const char *relpath, const void *data,
		   size_t len, mode_t mode);
/* Remove root/relpath the same way (missing file is not an error). */
int cfgstore_remove(const char *root, const char *relpath);
/* 1 if dir is a mount point, 0 if not, negative errno on error. */
int cfgstore_is_mountpoint(const char *dir);
#endif
