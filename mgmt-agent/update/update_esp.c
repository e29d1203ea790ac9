/* update_esp.c: the boot partition (ESP, GPT name WAFERBOOT) of the medium
 * wafer-init booted from. It is not mounted in steady state (flash
 * friendliness, docs/updates.md): the agent mounts it on <run_dir>/esp only
 * to read the A/B state at start (read-only), for an update or a commit
 * (noatime), and unmounts it right after. Before each read-write mount
 * fsck.fat checks it and repairs what a power cut during an earlier write
 * left (lib/fatcheck; docs/updates.md, "Power cuts"). */
#include "agent.h"
#include "errbuf.h"
#include "fatcheck.h"
#include "fsutil.h"
#include "initctl.h"
#include "update.h"
#include "wlog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* fsck.fat on the ESP before a read-write mount. A volume that stays in use
 * (init's brief read-only look during a trial holds it for milliseconds;
 * fatcheck waits up to 3 s) is mounted unchecked, with a warning, as before
 * this check existed; a repair that fails refuses the write. */
static int esp_check(const char *dev, char *err, size_t errlen)
{
	struct fatcheck r;
	switch (fatcheck_run(dev, NULL, &r)) {
	case FATCHECK_CLEAN:
		wlog(WLOG_INFO, "update", "boot partition checked in %ld ms: %s", r.ms, r.msg);
		return 0;
	case FATCHECK_REPAIRED:
		wlog(WLOG_WARN, "update", "boot partition was inconsistent (a power cut during an earlier write?), "
		     "repaired in %ld ms: %s", r.ms, r.msg);
		return 0;
	case FATCHECK_BUSY:
		wlog(WLOG_WARN, "update", "boot partition %s; mounting it unchecked", r.msg);
		return 0;
	case FATCHECK_FAILED:
		break;
	}
	wlog(WLOG_ERR, "update", "boot partition check failed after %ld ms: %s", r.ms, r.msg);
	seterr(err, errlen, "the boot partition is inconsistent and could not be repaired: %s", r.msg);
	return -1;
}

/* fsck.fat -a keeps lost cluster chains as FSCKnnnn.REC in the root folder:
 * on the ESP they are pieces of slot files a power cut interrupted, and they
 * would take the space the next update needs. */
static void esp_drop_recovered(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		const char *n = e->d_name;
		char p[600];
		struct stat st;
		if (strlen(n) != 12 || strncasecmp(n, "FSCK", 4) || strcasecmp(n + 8, ".REC") ||
		    !isdigit((unsigned char)n[4]) || !isdigit((unsigned char)n[5]) || !isdigit((unsigned char)n[6]) ||
		    !isdigit((unsigned char)n[7]))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, n);
		if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlink(p) == 0)
			wlog(WLOG_WARN, "update", "boot partition: removed %s (%lld bytes of lost clusters a repair kept)",
			     n, (long long)st.st_size);
		else
			wlog(WLOG_WARN, "update", "boot partition: cannot remove %s: %s", n, strerror(errno));
	}
	if (d)
		closedir(d);
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
	if (initctl_status(agent_init_sock(sock, sizeof sock), status, sizeof status) == 0)
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
	if (rw && esp_check(dev, err, errlen))
		return -1;
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
	if (rw)
		esp_drop_recovered(dir);
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
