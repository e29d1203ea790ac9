/* update_esp.c: the boot partition (ESP, GPT name WAFERBOOT) of the medium
 * wafer-init booted from. It is not mounted in steady state (flash
 * friendliness, docs/updates.md): the agent mounts it on <run_dir>/esp only
 * to read the A/B state at start (read-only), for an update or a commit
 * (noatime), and unmounts it right after. */
#include "agent.h"
#include "errbuf.h"
#include "fsutil.h"
#include "initctl.h"
#include "update.h"
#include "wlog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define ESP_NAME "WAFERBOOT"

static char esp_mounted[512];

int esp_find(const char *sysfs_block, const char *disk, char *dev, size_t n, char *err, size_t errlen)
{
	DIR *d = opendir(sysfs_block);
	struct dirent *e;
	int found = 0;
	char first[64] = "";
	if (!d) {
		seterr(err, errlen, "%s: %s", sysfs_block, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char p[600], *b;
		if (e->d_name[0] == '.' || (disk[0] && strncmp(e->d_name, disk, strlen(disk)) != 0) ||
		    strlen(e->d_name) >= sizeof first)
			continue;
		snprintf(p, sizeof p, "%s/%s/partition", sysfs_block, e->d_name);
		if (access(p, F_OK) != 0)
			continue;
		snprintf(p, sizeof p, "%s/%s/uevent", sysfs_block, e->d_name);
		if (fs_read_file(p, 4096, &b, NULL) != 0)
			continue;
		bool match = strstr(b, "\nPARTNAME=" ESP_NAME "\n") || !strncmp(b, "PARTNAME=" ESP_NAME "\n", 18);
		free(b);
		if (!match)
			continue;
		if (found++ == 0)
			snprintf(first, sizeof first, "%.63s", e->d_name);
	}
	closedir(d);
	if (found != 1) {
		if (found)
			seterr(err, errlen, "%d partitions named " ESP_NAME "%s%s: which one booted is unclear",
			       found, disk[0] ? " on " : "", disk);
		else
			seterr(err, errlen, "no partition named " ESP_NAME "%s%s", disk[0] ? " on " : "", disk);
		return -1;
	}
	seterr(dev, n, "/dev/%s", first);
	return 0;
}

static const char *init_sock(char *buf, size_t n)
{
	if (agent_cfg.init_sock)
		return agent_cfg.init_sock;
	agent_path(buf, n, agent_cfg.run_dir, "init.sock");
	return buf;
}

int esp_mount(bool rw, char *dir, size_t n, char *err, size_t errlen)
{
	char status[4096], medium[64] = "", dev[96], sock[512];
	if (agent_cfg.esp_dir) {
		snprintf(dir, n, "%s", agent_cfg.esp_dir);
		return 0;
	}
	if (esp_mounted[0]) {
		seterr(err, errlen, "the boot partition is already mounted on %s", esp_mounted);
		return -1;
	}
	/* the medium init booted from; any disk when init cannot tell */
	if (initctl_status(init_sock(sock, sizeof sock), status, sizeof status) == 0)
		initctl_kv(status, "medium", medium, sizeof medium);
	if (!strcmp(medium, "none") || !strcmp(medium, "-"))
		medium[0] = '\0';
	if (esp_find("/sys/class/block", medium, dev, sizeof dev, err, errlen))
		return -1;
	agent_path(dir, n, agent_cfg.run_dir, "esp");
	int rc = fs_mkdir_p(dir, 0700);
	if (rc) {
		seterr(err, errlen, "%s: %s", dir, strerror(-rc));
		return -1;
	}
	unsigned long fl = MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC | (rw ? 0 : MS_RDONLY);
	/* init loads vfat and these code pages and mounts the config partition
	 * with the same options (init_bootmedium.c); the kernel's default
	 * iocharset (utf8) is not there */
	if (mount(dev, dir, "vfat", fl, "umask=077,codepage=437,iocharset=iso8859-1,shortname=mixed") != 0) {
		seterr(err, errlen, "cannot mount the boot partition %s on %s: %s", dev, dir, strerror(errno));
		return -1;
	}
	snprintf(esp_mounted, sizeof esp_mounted, "%s", dir);
	wlog(WLOG_DEBUG, "update", "boot partition %s mounted on %s (%s)", dev, dir, rw ? "rw" : "ro");
	return 0;
}

void esp_umount(void)
{
	if (!esp_mounted[0])
		return;
	sync();
	if (umount(esp_mounted) != 0) {
		wlog(WLOG_WARN, "update", "umount %s: %s; detaching it", esp_mounted, strerror(errno));
		umount2(esp_mounted, MNT_DETACH);
	}
	esp_mounted[0] = '\0';
}
