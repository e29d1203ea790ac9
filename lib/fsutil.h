/* fsutil.h: crash-safe file helpers: atomic replace (write a temporary file,
 * fsync, rename over the target, fsync the directory), bounded whole-file read,
 * and mkdir -p. Functions return 0 or a negative errno. */
#ifndef WAFER_FSUTIL_H
#define WAFER_FSUTIL_H
#include <stddef.h>
#include <sys/types.h>

/* Replace path with data[0..len) atomically; mode for the new file. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read the whole file into a malloc'd NUL-terminated buffer; -EFBIG when it is
 * larger than max bytes. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);
/* Create dir and its parents (like mkdir -p). */
int fs_mkdir_p(const char *dir, mode_t mode);
/* fsync the directory containing path. */
int fs_fsync_parent(const char *path);
/* write(2) the whole buffer, retrying on EINTR/short writes. */
int fs_write_all(int fd, const void *data, size_t len);
#endif
