/* fsutil.h: crash-safe file helpers: atomic replace (write a temporary file,
 * fsync, rename over the target, fsync the directory), bounded whole-file read,
 * and mkdir -p. Functions return 0 or a negative errno. */
#ifndef WAFER_FSUTIL_H
#define WAFER_FSUTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
/* Copy the file open on in into the empty file open on out, sparse: holes
 * of in (SEEK_DATA/SEEK_HOLE) and blocks of zeros stay holes in out, which
 * ends with in's size; fsync'd. A file system that shares blocks (FICLONE:
 * btrfs, XFS) clones instead of copying. progress (may be NULL) is called
 * with the bytes of in gone through so far. *written (may be NULL): the
 * bytes written to out (0 for a clone). 0 or a negative errno. */
/* The data of the file open on fd, in order: fn gets each piece read (at
 * most 1 MiB, within one data extent: holes of SEEK_DATA/SEEK_HOLE are
 * skipped) with zero set when it is all zeros; a non-zero return from fn
 * stops and is returned. 0 or a negative errno. */
int fs_read_data(int fd, int (*fn)(void *arg, uint64_t off, const void *buf, size_t len, bool zero), void *arg);
/* Remove path and, if it is a folder, everything in it (up to 8 levels
 * deep; symbolic links are removed, never followed). A missing path is 0. */
int fs_remove_tree(const char *path);
int fs_copy_sparse(int in, int out, void (*progress)(void *arg, uint64_t done), void *arg,
		   uint64_t *written);
#endif
