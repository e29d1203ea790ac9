/* init_bootmedium.h: finds the boot medium's partitions by GPT name, mounts
 * the config partition read-only at /config and the data partition at /data
 * (grown to fill the medium on first boot), or sets up the stateless mode. */
#ifndef INIT_BOOTMEDIUM_H
#define INIT_BOOTMEDIUM_H

#define PART_BOOT "WAFERBOOT"
#define PART_CONFIG "WAFERCFG"
#define PART_DATA "WAFERDATA"

/* Find the medium and mount /config (or set up the stateless RAM /config
 * and /data). Sets g_st.medium or g_st.stateless; problems go to the status
 * screen. The medium is the disk whose boot partition has the unique GUID
 * the bootloader put on the command line (wafer.medium=GUID), waited for up
 * to 60 s (wafer.medium_wait=SECONDS), or without it the first disk with a
 * WAFERCFG partition once enumeration has settled. ufd: the uevent socket
 * (or -1), whose events are handled meanwhile so that drivers load. */
void bootmedium_config(int ufd);
/* Grow and mount /data (may run in a child process: it only mounts, writes
 * the medium and reports problems). */
void bootmedium_data(void);
/* Mount the boot partition (ESP, WAFERBOOT) on dir, read-only unless rw,
 * always noatime; 0 or -1 (stateless, or the mount failed: logged, e.g.
 * EBUSY while the agent has it mounted read-write). Unmount it again right
 * after use: the ESP is not mounted in steady state. */
int bootmedium_mount_boot(const char *dir, int rw);
void bootmedium_umount_boot(const char *dir);
#endif
