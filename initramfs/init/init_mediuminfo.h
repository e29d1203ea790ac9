/* init_mediuminfo.h: what the boot medium is, for the status screen and the
 * API: its bus (from the device's sysfs path), vendor/model and size, e.g.
 * "USB SanDisk Cruzer 16 GB". Pure code over a sysfs folder, so unit tests
 * run it on a fake tree. */
#ifndef INIT_MEDIUMINFO_H
#define INIT_MEDIUMINFO_H
#include <stddef.h>
#include <stdint.h>

struct medium_info {
	char bus[8];      /* usb, nvme, sata, scsi, mmc, virtio, other */
	char model[64];   /* vendor and model as the device reports them, or "" */
	uint64_t bytes;
	char text[112];   /* "USB SanDisk Cruzer 16 GB" */
};

/* Describe disk (a name under sysblock, normally /sys/class/block) of size
 * bytes. Always fills mi (bus "other" when the path says nothing). */
void medium_info_read(const char *sysblock, const char *disk, uint64_t bytes, struct medium_info *mi);
/* The bus of a device path (the target of /sys/class/block/DISK). */
const char *medium_bus_of_path(const char *path);
/* Size as vendors print it on the label: "16 GB", "1.1 GB", "512 MB". */
void medium_size_str(uint64_t bytes, char *out, size_t n);
#endif
