/* test_mediuminfo.c: the boot medium's bus, model and size from a fake
 * sysfs tree laid out as Linux 6.12 lays out each bus. */
#include "../init_mediuminfo.h"
#include "wtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/wafer-mediuminfo-XXXXXX";

static void mkdirs(const char *path)
{
	char p[512];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A disk at devpath (under root/devices) with optional attributes. */
static void disk(const char *name, const char *devpath, const char *vendor, const char *model, const char *mmcname)
{
	char dir[512], dev[600], link[512];
	snprintf(dir, sizeof dir, "%s/devices/%s/block/%s", root, devpath, name);
	snprintf(dev, sizeof dev, "%s/device", dir);
	mkdirs(dev);
	if (vendor)
		put(dev, "vendor", vendor);
	if (model)
		put(dev, "model", model);
	if (mmcname)
		put(dev, "name", mmcname);
	snprintf(link, sizeof link, "%s/class/block", root);
	mkdirs(link);
	snprintf(link, sizeof link, "%s/class/block/%s", root, name);
	WT_EQ_INT(symlink(dir, link), 0);
}

static void t_buses(void)
{
	WT_CHECK(mkdtemp(root) != NULL);
	disk("sda", "pci0000:00/0000:00:02.0/usb3/3-1/3-1:1.0/host0/target0:0:0/0:0:0:0", "SanDisk ",
	     "Cruzer Blade    \n", NULL);
	disk("sdb", "pci0000:00/0000:00:1f.2/ata1/host1/target1:0:0/1:0:0:0", "ATA     ", "Samsung SSD 870\n", NULL);
	disk("sdc", "pci0000:00/0000:00:03.0/host2/target2:2:0/2:2:0:0", "LSI", "MR9361-8i\n", NULL);
	disk("nvme0n1", "pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1", NULL, "Micron 7450\n", NULL);
	disk("mmcblk0", "pci0000:00/0000:00:05.0/mmc_host/mmc0/mmc0:4567", NULL, NULL, "QEMU!\n");
	disk("vda", "pci0000:00/0000:00:06.0/virtio2", "0x1af4\n", NULL, NULL);
	disk("sdd", "pci0000:00/0000:00:07.0/usb2/2-1/2-1:1.0/host4/target4:0:0/4:0:0:0", "QEMU", "QEMU HARDDISK",
	     NULL);
	char cb[300];
	snprintf(cb, sizeof cb, "%s/class/block", root);
	struct medium_info mi;
	medium_info_read(cb, "sda", 16008609792ull, &mi);
	WT_EQ_STR(mi.bus, "usb");
	WT_EQ_STR(mi.model, "SanDisk Cruzer Blade");
	WT_EQ_STR(mi.text, "USB SanDisk Cruzer Blade 16 GB");
	medium_info_read(cb, "sdb", 500107862016ull, &mi);
	WT_EQ_STR(mi.text, "SATA Samsung SSD 870 500 GB");
	medium_info_read(cb, "sdc", 1073741824ull, &mi);
	WT_EQ_STR(mi.text, "SAS/SCSI LSI MR9361-8i 1.1 GB");
	medium_info_read(cb, "nvme0n1", 960197124096ull, &mi);
	WT_EQ_STR(mi.text, "NVMe Micron 7450 960 GB");
	medium_info_read(cb, "mmcblk0", 268435456ull, &mi);
	WT_EQ_STR(mi.bus, "mmc");
	WT_EQ_STR(mi.text, "SD/MMC QEMU! 268 MB");
	medium_info_read(cb, "vda", 68719476736ull, &mi);
	WT_EQ_STR(mi.text, "virtio 69 GB");
	medium_info_read(cb, "sdd", 4294967296ull, &mi);
	WT_EQ_STR(mi.text, "USB QEMU HARDDISK 4.3 GB"); /* the model repeats the vendor */
	medium_info_read(cb, "nosuch", 0, &mi);
	WT_EQ_STR(mi.bus, "other");
	WT_EQ_STR(mi.text, "disk 0 MB");
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	WT_EQ_INT(system(cmd), 0);
}

static void t_sizes(void)
{
	char s[24];
	medium_size_str(999999999ull, s, sizeof s);
	WT_EQ_STR(s, "1000 MB");
	medium_size_str(1000000000ull, s, sizeof s);
	WT_EQ_STR(s, "1.0 GB");
	medium_size_str(9960000000ull, s, sizeof s);
	WT_EQ_STR(s, "10.0 GB");
	medium_size_str(31914983424ull, s, sizeof s);
	WT_EQ_STR(s, "32 GB");
	WT_EQ_STR(medium_bus_of_path("../../devices/pci0000:00/0000:00:01.1/ata2/host1/target1:0:0/1:0:0:0/block/sda"),
		  "sata");
}

WTEST_MAIN("init_mediuminfo", WT_CASE(t_buses), WT_CASE(t_sizes))
