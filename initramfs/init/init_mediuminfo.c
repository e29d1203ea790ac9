/* init_mediuminfo.c: the boot medium's bus, model and size from sysfs. */
#include "init_mediuminfo.h"
#include "fsutil.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *medium_bus_of_path(const char *path)
{
	/* USB first: a UAS or usb-storage disk also sits under a SCSI host */
	if (strstr(path, "/usb"))
		return "usb";
	if (strstr(path, "/nvme"))
		return "nvme";
	if (strstr(path, "/mmc_host/") || strstr(path, "/mmc"))
		return "mmc";
	if (strstr(path, "/virtio"))
		return "virtio";
	if (strstr(path, "/ata"))
		return "sata";
	if (strstr(path, "/host") && strstr(path, "/target"))
		return "scsi";
	return "other";
}

static const char *bus_label(const char *bus)
{
	static const char *const map[][2] = { { "usb", "USB" },   { "nvme", "NVMe" },     { "sata", "SATA" },
					      { "scsi", "SAS/SCSI" }, { "mmc", "SD/MMC" }, { "virtio", "virtio" } };
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(bus, map[i][0]))
			return map[i][1];
	return "disk";
}

void medium_size_str(uint64_t bytes, char *out, size_t n)
{
	uint64_t mb = (bytes + 500000) / 1000000;
	if (bytes < 1000000000ull)
		snprintf(out, n, "%llu MB", (unsigned long long)mb);
	else if (bytes < 10000000000ull)
		snprintf(out, n, "%llu.%llu GB", (unsigned long long)(mb + 50) / 1000,
			 (unsigned long long)((mb + 50) % 1000) / 100);
	else
		snprintf(out, n, "%llu GB", (unsigned long long)(bytes + 500000000ull) / 1000000000ull);
}

/* One sysfs attribute, spaces collapsed and trimmed; "" if absent. */
static void attr(const char *sysblock, const char *disk, const char *name, char *out, size_t n)
{
	char p[256], *raw;
	size_t r, o = 0;
	out[0] = '\0';
	snprintf(p, sizeof p, "%s/%s/device/%s", sysblock, disk, name);
	if (fs_read_file(p, 4096, &raw, &r) != 0)
		return;
	for (size_t i = 0; i < r && o + 1 < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (isspace(c)) {
			if (o && out[o - 1] != ' ')
				out[o++] = ' ';
		} else if (isprint(c)) {
			out[o++] = (char)c;
		}
	}
	free(raw);
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void medium_info_read(const char *sysblock, const char *disk, uint64_t bytes, struct medium_info *mi)
{
	char link[256], path[512] = "", vendor[64], model[64];
	memset(mi, 0, sizeof *mi);
	mi->bytes = bytes;
	snprintf(link, sizeof link, "%s/%s", sysblock, disk);
	ssize_t r = readlink(link, path, sizeof path - 1);
	path[r > 0 ? r : 0] = '\0';
	snprintf(mi->bus, sizeof mi->bus, "%s", medium_bus_of_path(path));
	attr(sysblock, disk, "vendor", vendor, sizeof vendor);
	attr(sysblock, disk, "model", model, sizeof model);
	if (!model[0])
		attr(sysblock, disk, "name", model, sizeof model); /* SD/MMC cards */
	/* SATA disks report the vendor "ATA", virtio ones a PCI vendor number
	 * (0x1af4): neither says anything */
	if (!strcmp(vendor, "ATA") || !strncmp(vendor, "0x", 2) || (vendor[0] && !strncmp(model, vendor, strlen(vendor))))
		vendor[0] = '\0';
	snprintf(mi->model, sizeof mi->model, "%.30s%s%.32s", vendor, vendor[0] && model[0] ? " " : "", model);
	char size[24];
	medium_size_str(bytes, size, sizeof size);
	snprintf(mi->text, sizeof mi->text, "%s%s%s %s", bus_label(mi->bus), mi->model[0] ? " " : "", mi->model, size);
}
