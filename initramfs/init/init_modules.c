/* init_modules.c: loads kernel modules with finit_module(2) (the kernel
 * decompresses .ko.xz itself), resolving dependencies from modules.dep and
 * devices from modules.alias; listens for uevents to load modules for
 * devices that appear later. */
#include "init_modules.h"
#include "init_log.h"
#include "init_modalias.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define LOADED_MAX 512
static struct modtables g_mt;
static char g_moddir[128];
static char g_loaded[LOADED_MAX][64]; /* names tried, loaded or failed */
static int g_nloaded;
static int g_new_loads;

static char *slurp(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(max + 1);
	size_t len = 0;
	ssize_t n;
	while (buf && len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int modules_init(void)
{
	struct utsname u;
	uname(&u);
	snprintf(g_moddir, sizeof g_moddir, "/lib/modules/%s", u.release);
	char p1[192], p2[192];
	snprintf(p1, sizeof p1, "%s/modules.alias", g_moddir);
	snprintf(p2, sizeof p2, "%s/modules.dep", g_moddir);
	char *alias = slurp(p1, 8 << 20), *dep = slurp(p2, 4 << 20);
	if (!alias || !dep) {
		ilog(LOG_ERR, "modules: cannot read %s or %s: %s", p1, p2, strerror(errno));
		free(alias);
		free(dep);
		return -1;
	}
	if (modtables_load(&g_mt, alias, dep) != 0)
		return -1;
	ilog(LOG_INFO, "modules: %zu aliases, %zu modules in %s", g_mt.nalias, g_mt.ndep, g_moddir);
	return 0;
}

static int already_tried(const char *norm)
{
	for (int i = 0; i < g_nloaded; i++)
		if (strcmp(g_loaded[i], norm) == 0)
			return 1;
	if (g_nloaded < LOADED_MAX)
		snprintf(g_loaded[g_nloaded++], sizeof g_loaded[0], "%s", norm);
	return 0;
}

static int load_path(const char *rel, size_t len)
{
	char path[320], norm[64];
	modname_normalise(rel, len, norm, sizeof norm);
	snprintf(path, sizeof path, "%s/%.*s", g_moddir, (int)len, rel);
	if (already_tried(norm))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ilog(LOG_ERR, "modules: %s: %s", path, strerror(errno));
		return -1;
	}
	int flags = len > 3 && memcmp(rel + len - 3, ".ko", 3) == 0 ? 0 : MODULE_INIT_COMPRESSED_FILE;
	long rc = syscall(SYS_finit_module, fd, "", flags);
	int err = errno;
	close(fd);
	if (rc != 0 && err != EEXIST) {
		ilog(LOG_WARNING, "modules: loading %s: %s", norm, strerror(err));
		return -1;
	}
	if (rc == 0) {
		g_new_loads++;
		ilog(LOG_INFO, "modules: loaded %s", norm);
	}
	return 0;
}

int modules_load(const char *name)
{
	const char *paths[64];
	size_t lens[64];
	int n = modtables_load_order(&g_mt, name, paths, lens, 64);
	if (n < 0)
		return -1;
	int rc = 0;
	for (int i = 0; i < n; i++)
		rc |= load_path(paths[i], lens[i]);
	return rc;
}

static void load_cb(const char *module, void *ctx)
{
	int *rc = ctx;
	if (modules_load(module) != 0 && rc)
		*rc = -1;
}

int modules_load_any(const char *name_or_alias)
{
	if (modtables_dep(&g_mt, name_or_alias))
		return modules_load(name_or_alias);
	int rc = 0;
	if (modtables_match(&g_mt, name_or_alias, load_cb, &rc) == 0)
		return -1;
	return rc;
}

/* The kernel's request_module() runs "modprobe -q -- NAME" (crypto-crc32c,
 * rtnl-link-bridge, fs-vfat...): resolve NAME as a module or an alias. */
int modprobe_main(int argc, char **argv)
{
	const char *name = NULL;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			name = argv[i];
	if (!name || modules_init() != 0)
		return 1;
	return modules_load_any(name) == 0 ? 0 : 1;
}

static void coldplug_bus(const char *bus)
{
	char dpath[128];
	snprintf(dpath, sizeof dpath, "/sys/bus/%s/devices", bus);
	DIR *d = opendir(dpath);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char mp[400], alias[512];
		snprintf(mp, sizeof mp, "%s/%s/modalias", dpath, e->d_name);
		int fd = open(mp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, alias, sizeof alias - 1);
		close(fd);
		if (n <= 0)
			continue;
		alias[n] = '\0';
		alias[strcspn(alias, "\n")] = '\0';
		modtables_match(&g_mt, alias, load_cb, NULL);
	}
	if (d)
		closedir(d);
}

int modules_coldplug(void)
{
	int total = 0;
	for (int round = 0; round < 6; round++) {
		g_new_loads = 0;
		DIR *d = opendir("/sys/bus");
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				coldplug_bus(e->d_name);
		if (d)
			closedir(d);
		total += g_new_loads;
		if (g_new_loads == 0)
			break;
	}
	return total;
}

/* vendor: 1 Intel, 2 AMD/Hygon, 0 other; virt: CPU flag vmx/svm present */
static void cpu_identify(int *vendor, int *virt)
{
	char *info = slurp("/proc/cpuinfo", 256 << 10);
	*vendor = *virt = 0;
	if (!info)
		return;
	if (strstr(info, "GenuineIntel"))
		*vendor = 1;
	else if (strstr(info, "AuthenticAMD") || strstr(info, "HygonGenuine"))
		*vendor = 2;
	char *flags = strstr(info, "\nflags");
	if (flags) {
		char *eol = strchr(flags + 1, '\n');
		if (eol)
			*eol = '\0';
		*virt = strstr(flags, *vendor == 1 ? " vmx" : " svm") != NULL;
	}
	free(info);
}

const char *modules_kvm_module(char *why, unsigned long wl)
{
	int vendor, virt;
	cpu_identify(&vendor, &virt);
	if (vendor == 0) {
		snprintf(why, wl, "no virtualization: unknown CPU vendor");
		return NULL;
	}
	if (!virt) {
		snprintf(why, wl, "no virtualization: CPU lacks %s (or firmware disabled it)",
			 vendor == 1 ? "VT-x" : "AMD-V");
		return NULL;
	}
	return vendor == 1 ? "kvm_intel" : "kvm_amd";
}

int modules_kvm_check(char *why, unsigned long wl)
{
	struct stat st;
	const char *mod = modules_kvm_module(why, wl);
	if (!mod)
		return 0;
	if (stat("/dev/kvm", &st) != 0) {
		snprintf(why, wl, "no virtualization: loading %s failed (see log)", mod);
		return 0;
	}
	/* "ready" means a VM can be created, not only that the node exists */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(why, wl, "KVM unusable: /dev/kvm: %s", strerror(errno));
		return 0;
	}
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0), ok = 0;
	if (api != KVM_API_VERSION) {
		snprintf(why, wl, "KVM unusable: API version %d (wafer-vmm needs %d)", api, KVM_API_VERSION);
	} else {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0)
			snprintf(why, wl, "KVM unusable: creating a VM failed: %s", strerror(errno));
		else
			close(vm);
		ok = vm >= 0;
	}
	close(kvm);
	return ok;
}

int modules_uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -1;
	int sz = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		ilog(LOG_ERR, "uevent socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int modules_uevent_handle(int fd)
{
	char buf[8192];
	int changed = 0;
	ssize_t n;
	while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		const char *action = "", *alias = NULL, *subsys = "";
		for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
			if (strncmp(p, "ACTION=", 7) == 0)
				action = p + 7;
			else if (strncmp(p, "MODALIAS=", 9) == 0)
				alias = p + 9;
			else if (strncmp(p, "SUBSYSTEM=", 10) == 0)
				subsys = p + 10;
		}
		int add = strcmp(action, "add") == 0;
		if (add && alias)
			modtables_match(&g_mt, alias, load_cb, NULL);
		if ((strcmp(subsys, "net") == 0 || strcmp(subsys, "block") == 0) &&
		    (add || strcmp(action, "remove") == 0))
			changed |= UEV_NETBLOCK;
		static const char *const storage[] = { "usb", "scsi", "scsi_host", "scsi_disk", "block",
						       "pci", "mmc", "mmc_host", "nvme", "ata_port" };
		for (size_t i = 0; add && i < sizeof storage / sizeof storage[0]; i++)
			if (strcmp(subsys, storage[i]) == 0)
				changed |= UEV_STORAGE;
	}
	return changed;
}
