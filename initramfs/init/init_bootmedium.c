/* init_bootmedium.c: looks at every whole disk's GPT for the Wafer
 * partitions, checks the FAT ones with fsck.fat (lib/fatcheck: a power cut
 * during a write can leave them inconsistent; a failed check is reported
 * and boot goes on), mounts them (config read-only, data noatime), grows the data
 * partition (GPT, BLKPG, then online ext4 resize) and falls back to RAM
 * filesystems when there is no medium (PXE). */
#include "init_bootmedium.h"
#include "init_console.h"
#include "init_gpt.h"
#include "init_log.h"
#include "init_loop.h"
#include "init_modules.h"
#include "init_state.h"
#include "init_status.h"
#include "fatcheck.h"
#include "fsutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, unsigned long long)
#endif

struct medium {
	char disk[32];
	unsigned sector;
	uint64_t bytes;
	struct gpt g;
};

static int disk_open(const char *disk, int flags, unsigned *sector, uint64_t *bytes)
{
	char dev[48];
	snprintf(dev, sizeof dev, "/dev/%s", disk);
	int fd = open(dev, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ss = 512;
	if (ioctl(fd, BLKSSZGET, &ss) != 0 || ioctl(fd, BLKGETSIZE64, bytes) != 0) {
		close(fd);
		return -1;
	}
	*sector = (unsigned)ss;
	return fd;
}

/* Is /sys/class/block/name a whole disk worth probing? */
static int whole_disk(const char *name)
{
	char p[128];
	if (!strncmp(name, "loop", 4) || !strncmp(name, "ram", 3) || !strncmp(name, "zram", 4) ||
	    !strncmp(name, "dm-", 3) || !strncmp(name, "sr", 2))
		return 0;
	snprintf(p, sizeof p, "/sys/class/block/%.64s/partition", name);
	return access(p, F_OK) != 0;
}

#define CAND_MAX 8
/* What one scan of the disks found: every whole disk carrying a WAFERCFG
 * partition, and whether it is the one the bootloader named. */
struct scan {
	int n, named;
	struct {
		char disk[32];
		int named;
	} c[CAND_MAX];
};

/* Scan every whole disk; m gets the best candidate: the lowest-named disk
 * among those the bootloader named (hint: its boot partition's unique GUID),
 * or among all candidates when there is no hint. Returns 1 if m was set. */
static int find_medium(struct medium *m, const char *hint, struct scan *sc)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int found = 0;
	char why[128];
	memset(sc, 0, sizeof *sc);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !whole_disk(e->d_name) || strlen(e->d_name) >= sizeof m->disk)
			continue;
		unsigned ss;
		uint64_t bytes;
		int fd = disk_open(e->d_name, O_RDONLY, &ss, &bytes);
		if (fd < 0)
			continue;
		struct gpt *g = malloc(sizeof *g);
		if (g && gpt_read(fd, ss, bytes, g, why, sizeof why) == 0 && gpt_find(g, PART_CONFIG)) {
			const struct gpt_part *bp = hint[0] ? gpt_find_uuid(g, hint) : NULL;
			int named = bp && !strcmp(bp->name, PART_BOOT);
			if (sc->n < CAND_MAX) {
				snprintf(sc->c[sc->n].disk, sizeof sc->c[0].disk, "%.31s", e->d_name);
				sc->c[sc->n].named = named;
				sc->n++;
			}
			sc->named += named;
			if ((named || !hint[0]) && (!found || strcmp(e->d_name, m->disk) < 0)) {
				snprintf(m->disk, sizeof m->disk, "%.31s", e->d_name);
				m->sector = ss;
				m->bytes = bytes;
				m->g = *g;
				found = 1;
			}
		}
		free(g);
		close(fd);
	}
	if (d)
		closedir(d);
	return found;
}

/* The other disks that carry Wafer partitions are a problem on the screen:
 * a stick cloned to a second one, or an old stick left in. */
static void report_others(const struct medium *m, const char *hint, const struct scan *sc)
{
	char others[128] = "";
	size_t o = 0;
	for (int i = 0; i < sc->n; i++)
		if (strcmp(sc->c[i].disk, m->disk) != 0 && o < sizeof others)
			o += (size_t)snprintf(others + o, sizeof others - o, "%s%s", o ? ", " : "", sc->c[i].disk);
	if (!others[0])
		return;
	if (hint[0] && sc->named > 1)
		status_problem("media", "%s and %s both carry the boot partition the bootloader named (%s): a cloned "
			       "stick? using %s; remove the other", m->disk, others, hint, m->disk);
	else if (hint[0])
		status_problem("media", "%s also carry Wafer partitions; using %s, the disk the bootloader booted from",
			       others, m->disk);
	else
		status_problem("media", "%s also carry Wafer partitions and the bootloader named none; using %s "
			       "(first by name)", others, m->disk);
}

/* The block device name of partition number n on disk (vda3, nvme0n1p3). */
static int part_name(const char *disk, int n, char *out, size_t len)
{
	char dir[96];
	snprintf(dir, sizeof dir, "/sys/class/block/%s", disk);
	DIR *d = opendir(dir);
	struct dirent *e;
	int ok = 0;
	while (d && !ok && (e = readdir(d))) {
		char p[384], v[16];
		if (strncmp(e->d_name, disk, strlen(disk)) != 0)
			continue;
		snprintf(p, sizeof p, "%s/%s/partition", dir, e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, v, sizeof v - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (r > 0 && (v[r] = '\0', atoi(v) == n) && strlen(e->d_name) < len) {
			memcpy(out, e->d_name, strlen(e->d_name) + 1);
			ok = 1;
		}
	}
	if (d)
		closedir(d);
	return ok ? 0 : -1;
}

/* The device of partition label of the medium (/dev/vda3). */
static int part_dev(const struct medium *m, const char *label, char *dev, size_t n)
{
	const struct gpt_part *p = gpt_find(&m->g, label);
	char name[48];
	if (!p)
		return -1;
	/* the kernel may still be scanning the partitions of a fresh disk */
	for (int i = 0; i < 50 && part_name(m->disk, p->index, name, sizeof name) != 0; i++)
		usleep(100000);
	if (part_name(m->disk, p->index, name, sizeof name) != 0) {
		status_problem(label, "partition %s (%s #%d) has no device", label, m->disk, p->index);
		return -1;
	}
	snprintf(dev, n, "/dev/%s", name);
	return 0;
}

/* fsck.fat on partition label before it is mounted. Whatever it finds, boot
 * goes on: a repair is a warning in the log, a failure a problem on the
 * status screen (the partition is then mounted as it is, read-only as ever). */
static void check_part(const struct medium *m, const char *label)
{
	char dev[64];
	struct fatcheck r;
	if (part_dev(m, label, dev, sizeof dev) != 0)
		return;
	switch (fatcheck_run(dev, NULL, &r)) {
	case FATCHECK_CLEAN:
		ilog(LOG_INFO, "medium: %s checked in %ld ms: %s", label, r.ms, r.msg);
		break;
	case FATCHECK_REPAIRED:
		ilog(LOG_WARNING, "medium: %s was inconsistent (power cut during a write?), repaired in %ld ms: %s",
		     label, r.ms, r.msg);
		break;
	case FATCHECK_BUSY:
	case FATCHECK_FAILED:
		status_problem("fsck", "%s check failed after %ld ms: %s", label, r.ms, r.msg);
		break;
	}
}

/* Mount partition label of the medium on dir. A failure is a problem on the
 * status screen, unless brief (the trial watchdog's short mounts of the ESP,
 * which may meet the agent's own mount: logged, tried again later). */
static int mount_part(const struct medium *m, const char *label, const char *dir, const char *type,
		      unsigned long flags, const char *opts, int brief)
{
	char dev[64];
	if (part_dev(m, label, dev, sizeof dev) != 0)
		return -1;
	fs_mkdir_p(dir, 0755);
	if (mount(dev, dir, type, flags, opts) != 0) {
		if (brief)
			ilog(LOG_WARNING, "medium: cannot mount %s (%s) on %s: %s", label, dev, dir, strerror(errno));
		else
			status_problem(label, "cannot mount %s (%s) on %s: %s", label, dev, dir, strerror(errno));
		return -1;
	}
	ilog(brief ? LOG_DEBUG : LOG_INFO, "medium: %s (%s) mounted on %s%s", label, dev, dir,
	     flags & MS_RDONLY ? " (read-only)" : "");
	return 0;
}

/* Tell the kernel the data partition grew (BLKPG), on the whole disk. */
static int kernel_resize_part(int fd, const struct medium *m, int index, uint64_t first, uint64_t last)
{
	struct blkpg_partition bp = { .start = (long long)(first * m->sector),
				      .length = (long long)((last - first + 1) * m->sector), .pno = index };
	struct blkpg_ioctl_arg a = { .op = BLKPG_RESIZE_PARTITION, .datalen = sizeof bp, .data = &bp };
	if (ioctl(fd, BLKPG, &a) == 0)
		return 0;
	ilog(LOG_WARNING, "medium: BLKPG resize of %s #%d: %s", m->disk, index, strerror(errno));
	return -1;
}

/* Step 1 (before mounting): the GPT and the kernel's idea of the partition. */
static void grow_partition(struct medium *m)
{
	char why[160];
	uint64_t last;
	unsigned ss;
	uint64_t bytes;
	int fd = disk_open(m->disk, O_RDWR, &ss, &bytes);
	if (fd < 0) {
		status_problem("grow", "cannot open %s to grow the data partition: %s", m->disk, strerror(errno));
		return;
	}
	int rc = gpt_grow(fd, ss, bytes, PART_DATA, &last, why, sizeof why);
	if (rc < 0)
		status_problem("grow", "data partition not grown: %s", why);
	const struct gpt_part *p = gpt_find(&m->g, PART_DATA);
	if (rc == 1 && p) {
		ilog(LOG_NOTICE, "medium: data partition grown to %llu MiB in the GPT",
		     (unsigned long long)((last - p->first_lba + 1) * ss >> 20));
		kernel_resize_part(fd, m, p->index, p->first_lba, last);
		gpt_read(fd, ss, bytes, &m->g, why, sizeof why);
	}
	close(fd);
}

/* Step 2 (mounted): grow ext4 online to fill the partition. */
static void grow_filesystem(const struct medium *m)
{
	const struct gpt_part *p = gpt_find(&m->g, PART_DATA);
	char name[48], dev[64];
	uint8_t sb[1024];
	uint64_t blocks, part_bytes = 0;
	uint32_t bs;
	if (!p || part_name(m->disk, p->index, name, sizeof name) != 0)
		return;
	snprintf(dev, sizeof dev, "/dev/%s", name);
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, sb, sizeof sb, 1024) != (ssize_t)sizeof sb || ext4_sb_size(sb, &blocks, &bs) != 0 ||
	    ioctl(fd, BLKGETSIZE64, &part_bytes) != 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	unsigned long long want = part_bytes / bs;
	if (want <= blocks + 256) /* less than 256 blocks is not worth a resize */
		return;
	int dfd = open("/data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t t0 = mono_ms();
	if (dfd < 0 || ioctl(dfd, EXT4_IOC_RESIZE_FS, &want) != 0)
		status_problem("grow", "ext4 online resize of %s to %llu blocks: %s", dev, want, strerror(errno));
	else
		ilog(LOG_NOTICE, "medium: /data grown from %llu to %llu MiB in %lld ms",
		     (unsigned long long)(blocks * bs >> 20), (unsigned long long)(want * bs >> 20),
		     (long long)(mono_ms() - t0));
	if (dfd >= 0)
		close(dfd);
}

/* Copy /etc/wafer/{wafer.conf,trust/} into the /config tmpfs. */
static void stateless_fill(void)
{
	char *data;
	size_t len;
	if (fs_read_file("/etc/wafer/wafer.conf", 1 << 20, &data, &len) == 0) {
		fs_write_atomic("/config/wafer.conf", data, len, 0600);
		free(data);
	}
	DIR *d = opendir("/etc/wafer/trust");
	struct dirent *e;
	fs_mkdir_p("/config/trust", 0700);
	while (d && (e = readdir(d))) {
		char src[300], dst[300];
		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof src, "/etc/wafer/trust/%s", e->d_name);
		snprintf(dst, sizeof dst, "/config/trust/%s", e->d_name);
		if (fs_read_file(src, 1 << 20, &data, &len) == 0) {
			fs_write_atomic(dst, data, len, 0644);
			free(data);
		}
	}
	if (d)
		closedir(d);
}

static void go_stateless(const char *why)
{
	g_st.stateless = 1;
	snprintf(g_st.stateless_why, sizeof g_st.stateless_why, "%s", why);
	snprintf(g_st.medium, sizeof g_st.medium, "stateless");
	fs_mkdir_p("/config", 0755);
	fs_mkdir_p("/data", 0755);
	if (mount("tmpfs", "/config", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=16m") != 0 ||
	    mount("tmpfs", "/data", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=50%") != 0)
		status_problem("stateless", "cannot mount the RAM /config or /data: %s", strerror(errno));
	stateless_fill();
	ilog(LOG_NOTICE, "medium: %s; running stateless (RAM /config and /data)", why);
}

static struct medium g_medium;
static int g_have_medium;

/* How long to wait for the medium: with the bootloader's hint, until that
 * disk appears (a slow USB hub, a BMC's virtual media, a SAS expander), at
 * most MEDIUM_WAIT_HINT_MS (wafer.medium_wait=SECONDS overrides); without
 * one, at least MEDIUM_WAIT_MIN_MS and then until USB, SCSI and block
 * enumeration has been quiet for MEDIUM_SETTLE_MS, at most as long. */
#define MEDIUM_WAIT_HINT_MS 60000
#define MEDIUM_WAIT_MIN_MS 10000
#define MEDIUM_SETTLE_MS 3000
#define MEDIUM_SLOW_MS 5000 /* found later than this: a warning with the time */

static int64_t wait_limit_ms(void)
{
	char v[16];
	if (cmdline_get(&g_st.cmdline, "wafer.medium_wait", v, sizeof v) == 1) {
		char *end;
		long s = strtol(v, &end, 10);
		if (*end == '\0' && s >= 1 && s <= 600)
			return s * 1000;
		status_problem("medium-wait-cfg", "wafer.medium_wait=%s is not 1-600 seconds: using %d", v,
			       MEDIUM_WAIT_HINT_MS / 1000);
	}
	return MEDIUM_WAIT_HINT_MS;
}

/* One step of the wait: handle uevents (drivers for devices that appear,
 * e.g. usb-storage, sd_mod) for up to 250 ms; returns 1 if a device was
 * added on a bus that leads to disks. */
static int wait_step(int ufd)
{
	if (ufd < 0) {
		usleep(250000);
		return 0;
	}
	struct pollfd p = { .fd = ufd, .events = POLLIN };
	if (poll(&p, 1, 250) <= 0)
		return 0;
	return (modules_uevent_handle(ufd) & UEV_STORAGE) != 0;
}

void bootmedium_config(int ufd)
{
	struct medium *m = &g_medium;
	struct scan sc;
	char hint[40] = "";
	int pxe = strcmp(g_st.slot, "pxe") == 0;
	if (cmdline_get(&g_st.cmdline, "wafer.medium", hint, sizeof hint) != 1)
		hint[0] = '\0';
	int64_t limit = wait_limit_ms(), t0 = mono_ms(), quiet_since = t0, next_note = t0 + 2000;
	if (hint[0])
		ilog(LOG_INFO, "medium: waiting for the disk the bootloader read (boot partition %s), up to %lld s",
		     hint, (long long)limit / 1000);
	for (;;) {
		g_have_medium = find_medium(m, hint, &sc);
		int64_t now = mono_ms();
		if (g_have_medium || pxe || now - t0 >= limit)
			break;
		if (!hint[0] && now - t0 >= MEDIUM_WAIT_MIN_MS && now - quiet_since >= MEDIUM_SETTLE_MS)
			break;
		if (now >= next_note) {
			status_problem("medium-wait", "waiting for the boot medium %s%s (%lld s of at most %lld s)",
				       hint[0] ? "with boot partition " : "", hint[0] ? hint : "(any disk with WAFERCFG)",
				       (long long)(now - t0) / 1000, (long long)limit / 1000);
			status_refresh(1);
			next_note = now + 5000;
		}
		if (wait_step(ufd))
			quiet_since = mono_ms();
	}
	status_clear("medium-wait");
	int64_t waited = mono_ms() - t0;
	if (!g_have_medium && hint[0] && sc.n > 0) {
		/* the named disk never came; another one carries Wafer partitions */
		g_have_medium = find_medium(m, "", &sc);
		status_problem("medium", "the disk the bootloader read (boot partition %s) did not appear in %lld s; "
			       "using %s", hint, (long long)waited / 1000, m->disk);
	}
	if (!g_have_medium) {
		if (!pxe)
			status_problem("medium", "no boot medium found in %lld s (no %s partition%s%s): running stateless",
				       (long long)waited / 1000, PART_CONFIG, hint[0] ? " on a disk with boot partition " : "",
				       hint);
		go_stateless(pxe ? "network boot" : "no boot medium");
		return;
	}
	report_others(m, hint, &sc);
	g_st.medium_wait_ms = waited;
	snprintf(g_st.medium, sizeof g_st.medium, "%.31s", m->disk);
	medium_info_read("/sys/class/block", m->disk, m->bytes, &g_st.medium_info);
	/* on the console too: the boot log of a slow medium says how slow */
	if (waited > MEDIUM_SLOW_MS) {
		ilog(LOG_WARNING, "medium: %s (%s) appeared only after %lld ms", m->disk, g_st.medium_info.text,
		     (long long)waited);
		console_printf("Boot medium %s (%s) appeared only after %lld ms\n", m->disk, g_st.medium_info.text,
			       (long long)waited);
	} else {
		ilog(LOG_INFO, "medium: %s (%s) found after %lld ms", m->disk, g_st.medium_info.text, (long long)waited);
		console_printf("Boot medium %s (%s) found after %lld ms\n", m->disk, g_st.medium_info.text,
			       (long long)waited);
	}
	modules_load("vfat");
	modules_load("nls_cp437");
	modules_load("nls_iso8859_1");
	/* a power cut during an atomic config write or an update leaves these
	 * dirty; both checks together took 0.5 s under QEMU TCG, 20 ms on the
	 * build machine's CPU (docs/init.md) */
	check_part(m, PART_CONFIG);
	check_part(m, PART_BOOT);
	if (mount_part(m, PART_CONFIG, "/config", "vfat", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME,
		       "umask=077,codepage=437,iocharset=iso8859-1,shortname=mixed", 0) != 0) {
		/* damaged beyond repair: nothing of this medium is used (its
		 * data partition and slots are left as they are for a person to
		 * look at); the host runs as if PXE-booted and says why */
		status_problem("medium", "config partition %s on %s is damaged beyond repair (above): running "
			       "stateless; reflash the medium", PART_CONFIG, m->disk);
		g_have_medium = 0;
		go_stateless("config partition damaged");
	}
}

int bootmedium_mount_boot(const char *dir, int rw)
{
	if (!g_have_medium)
		return -1;
	return mount_part(&g_medium, PART_BOOT, dir, "vfat",
			  (rw ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME,
			  "umask=077,codepage=437,iocharset=iso8859-1,shortname=mixed", 1);
}

void bootmedium_umount_boot(const char *dir)
{
	if (umount2(dir, 0) == 0)
		return;
	ilog(LOG_WARNING, "medium: umount %s: %s; detaching it", dir, strerror(errno));
	umount2(dir, MNT_DETACH);
}

void bootmedium_data(void)
{
	struct medium *m = &g_medium;
	if (!g_have_medium)
		return; /* stateless: /data is already a tmpfs */
	if (!gpt_find(&m->g, PART_DATA)) {
		status_problem("data", "boot medium %s has no %s partition: /data is in RAM", m->disk, PART_DATA);
		mount("tmpfs", "/data", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=50%");
		return;
	}
	modules_load("ext4");
	grow_partition(m);
	/* noinit_itable: no background zeroing of inode tables, which would keep
	 * writing to the medium for minutes after the first boot */
	if (mount_part(m, PART_DATA, "/data", "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME, "noinit_itable", 0) == 0)
		grow_filesystem(m);
}
