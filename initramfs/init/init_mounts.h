/* init_mounts.h: the RAM filesystems init mounts at boot and unmounts at the end. */
#ifndef INIT_MOUNTS_H
#define INIT_MOUNTS_H
/* Mount /dev, /proc, /sys (needed for everything else); returns 0 or -1. */
int mounts_early(void);
/* Mount /run, /tmp, /dev/pts, /dev/shm, cgroup2 with controllers delegated. */
int mounts_rest(void);
/* Unmount the disk filesystems (/data, /config) before reboot. */
void mounts_teardown(void);
#endif
