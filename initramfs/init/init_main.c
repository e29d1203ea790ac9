/* init_main.c: wafer-init's entry point. As PID 1 it runs the boot sequence
 * and then the event loop; invoked as udhcpc-hook it applies a DHCP lease. */
#include "init_bgjob.h"
#include "init_bootmedium.h"
#include "init_console.h"
#include "init_ctl.h"
#include "init_log.h"
#include "init_logsrv.h"
#include "init_loop.h"
#include "init_modules.h"
#include "init_mounts.h"
#include "init_net.h"
#include "init_services.h"
#include "init_shutdown.h"
#include "init_state.h"
#include "init_status.h"
#include "init_syslog.h"
#include "init_trialwatch.h"
#include "init_watchdog.h"
#include "fsutil.h"
#include "wafer-version.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

struct init_state g_st;

static void write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		ilog(LOG_WARNING, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void read_cmdline(void)
{
	char buf[CMDLINE_MAX];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	if (cmdline_set(&g_st.cmdline, buf, n > 0 ? (size_t)n : 0) < 0)
		ilog(LOG_WARNING, "kernel command line longer than %d bytes: cut", CMDLINE_MAX);
	if (cmdline_get(&g_st.cmdline, "wafer.slot", g_st.slot, sizeof g_st.slot) != 1 || !g_st.slot[0])
		snprintf(g_st.slot, sizeof g_st.slot, "?");
	if (cmdline_get(&g_st.cmdline, "wafer.boot", g_st.boot_path, sizeof g_st.boot_path) != 1)
		g_st.boot_path[0] = '\0';
}

/* The running system's version: /etc/wafer/version (an update's initramfs
 * carries its own), else the one init was compiled with. */
static void read_version(void)
{
	char *v = NULL;
	size_t len = 0;
	snprintf(g_st.version, sizeof g_st.version, "%s", WAFER_VERSION);
	if (fs_read_file("/etc/wafer/version", sizeof g_st.version - 1, &v, &len) != 0)
		return;
	len = strcspn(v, "\r\n");
	int ok = len > 0;
	for (size_t i = 0; i < len; i++)
		ok &= (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      strchr("._+~-", v[i]) != NULL;
	if (ok)
		snprintf(g_st.version, sizeof g_st.version, "%.*s", (int)len, v);
	free(v);
}

/* No SysRq, Ctrl-Alt-Del as a signal to init, a panic reboots the host, and
 * only serious kernel messages reach the consoles over the status screen. */
static void lock_down(void)
{
	write_proc("/proc/sys/kernel/sysrq", "0\n");
	write_proc("/proc/sys/kernel/panic", "10\n");
	reboot(RB_DISABLE_CAD);
}

static void load_config(void)
{
	char *text = NULL;
	size_t len = 0;
	const char *path = "/config/wafer.conf";
	config_defaults(&g_st.cfg);
	int rc = fs_read_file(path, CONFIG_MAX_BYTES, &text, &len);
	if (rc == 0)
		config_parse(&g_st.cfg, path, text, len, &g_st.cfg_errs);
	else if (rc == -EFBIG)
		config_error(&g_st.cfg_errs, "%s: larger than %d bytes: ignored", path, CONFIG_MAX_BYTES);
	else if (rc != -ENOENT)
		config_error(&g_st.cfg_errs, "%s: %s", path, strerror(-rc));
	free(text);
	config_apply_cmdline(&g_st.cfg, g_st.cmdline.buf, &g_st.cfg_errs);
	config_check(&g_st.cfg, &g_st.cfg_errs);
	for (int i = 0; i < g_st.cfg_errs.n; i++) {
		char key[16];
		snprintf(key, sizeof key, "cfg%d", i);
		status_problem(key, "%s", g_st.cfg_errs.msg[i]);
	}
	if (g_st.cfg_errs.dropped)
		status_problem("cfgmore", "... and %d more configuration errors", g_st.cfg_errs.dropped);
}

/* The kernel asks for modules by alias (crypto-crc32c, fs-vfat...) through
 * its modprobe helper: that is wafer-init itself under another name. */
static void modprobe_helper(void)
{
	fs_mkdir_p("/usr/libexec/wafer", 0755);
	if (symlink("/init", MODPROBE_PATH) != 0 && errno != EEXIST)
		ilog(LOG_WARNING, "%s: %s", MODPROBE_PATH, strerror(errno));
	write_proc("/proc/sys/kernel/modprobe", MODPROBE_PATH "\n");
}

static void drivers(void)
{
	modprobe_helper();
	if (modules_init() != 0) {
		status_problem("modules", "kernel modules unavailable: drivers may be missing");
		return;
	}
	int n = modules_coldplug();
	ilog(LOG_INFO, "modules: coldplug loaded %d modules", n);
}

/* KVM for this CPU and what the agent needs for VMs (tap devices, vhost),
 * loaded by a boot job while init brings the network up. */
static void vmdrv_work(void)
{
	static const char *const vm_mods[] = { "tun", "vhost_net", "vhost_vsock" };
	const char *kvm = modules_kvm_module(g_st.kvm_why, sizeof g_st.kvm_why);
	if (kvm)
		modules_load(kvm);
	for (size_t i = 0; i < sizeof vm_mods / sizeof vm_mods[0]; i++)
		modules_load(vm_mods[i]);
}

static void vmdrv_done(void)
{
	g_st.kvm_ok = modules_kvm_check(g_st.kvm_why, sizeof g_st.kvm_why);
	if (!g_st.kvm_ok)
		status_problem("kvm", "%s", g_st.kvm_why);
	ilog(LOG_NOTICE, "timing: VM drivers loaded %lld ms after kernel start (KVM %s)",
	     (long long)mono_ms(), g_st.kvm_ok ? "ready" : "unavailable");
	services_kick();
}

/* /data: ext4 driver, growth on first boot, mount; also a boot job. */
static void data_done(void)
{
	g_st.data_ready = 1;
	ilog(LOG_NOTICE, "timing: /data ready %lld ms after kernel start", (long long)mono_ms());
	services_kick();
}

static void on_orphan(pid_t pid, int status)
{
	bgjob_reaped(pid, status);
}

static void on_signal(int fd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: services_reap(); break;
		case SIGTERM: shutdown_request(SHUTDOWN_REBOOT, "SIGTERM"); break;
		case SIGUSR1:
		case SIGUSR2:
		case SIGPWR: shutdown_request(SHUTDOWN_POWEROFF, strsignal((int)si.ssi_signo)); break;
		case SIGINT:
			if (g_st.cfg.ctrl_alt_del == CFG_CAD_REBOOT)
				shutdown_request(SHUTDOWN_REBOOT, "Ctrl-Alt-Del");
			else
				status_problem("cad", "Ctrl-Alt-Del pressed at uptime %lld s: ignored (ctrl_alt_del = ignore)",
					       (long long)(mono_ms() / 1000));
			break;
		default: break;
		}
	}
}

static void on_console(int fd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	console_drain(fd);
}

static void on_uevent(int fd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	if ((modules_uevent_handle(fd) & UEV_NETBLOCK) && !g_st.net_ready)
		net_setup();
}

/* The DHCP lease may carry NTP servers: restart ntpd when they change. */
static void check_lease(void)
{
	char *lease = NULL, ntp[sizeof g_st.dhcp_ntp] = "";
	size_t len;
	if (fs_read_file(DHCP4_STATE, 4096, &lease, &len) == 0) {
		char *p = strstr(lease, "\nntp=");
		if (p)
			snprintf(ntp, sizeof ntp, "%.*s", (int)strcspn(p + 5, "\n"), p + 5);
		free(lease);
	}
	if (strcmp(ntp, g_st.dhcp_ntp) == 0)
		return;
	snprintf(g_st.dhcp_ntp, sizeof g_st.dhcp_ntp, "%s", ntp);
	if (g_st.cfg.ntp_n == 0)
		services_restart("ntpd");
}

/* Mix machine-specific values (DMI serials and UUID, the time) into the
 * kernel's pool. Not credited as entropy: they are not secret, but they make
 * two identical machines booting at once diverge. The kernel itself seeds
 * from RDRAND/RDSEED and CPU jitter. */
static void entropy_mix(void)
{
	static const char *const src[] = { "/sys/class/dmi/id/product_uuid", "/sys/class/dmi/id/product_serial",
					   "/sys/class/dmi/id/board_serial", "/proc/cmdline" };
	int out = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (out < 0)
		return;
	for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
		char buf[256];
		int fd = open(src[i], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && write(out, buf, (size_t)n) < 0)
			break;
	}
	int64_t t[2] = { wall_ms(), mono_ms() };
	if (write(out, t, sizeof t) < 0) { /* nothing else to do */ }
	close(out);
}

/* Linux 6.x seeds its generator from RDRAND/RDSEED and CPU jitter early; a
 * host whose pool is still not ready says so (TLS keys would have to wait). */
static void check_entropy(void)
{
	static int ready;
	unsigned char b;
	if (ready)
		return;
	if (getrandom(&b, 1, GRND_NONBLOCK) == 1) {
		ready = 1;
		status_clear("entropy");
	} else {
		status_problem("entropy", "kernel random number generator not initialised yet");
	}
}

static void boot(void)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	umask(022);
	/* the environment every service inherits */
	setenv("PATH", "/usr/bin:/bin:/usr/sbin:/sbin", 1);
	setenv("HOME", "/", 1);
	setenv("TZ", "UTC", 1);
	g_st.boot_ms = mono_ms();
	g_st.kvm_ok = -1; /* not probed yet */
	if (mounts_early() != 0)
		init_fatal("cannot mount /dev, /proc or /sys");
	ilog_open();
	console_open_all();
	read_cmdline();
	read_version();
	console_printf("Wafer %s (%s) slot %s booting\n", g_st.version, WAFER_BOARD, g_st.slot);
	ilog(LOG_INFO, "Wafer %s (%s) slot %s booting; consoles: %s", g_st.version, WAFER_BOARD,
	     g_st.slot, console_names());
	lock_down();
	entropy_mix();
	if (mounts_rest() != 0)
		status_problem("mounts", "some RAM filesystems could not be mounted (see log)");
	/* uevents from before the coldplug on: a USB stick or SAS disk that
	 * appears while init waits for its medium needs its drivers loaded */
	int ufd = modules_uevent_open();
	drivers();
	services_on_orphan = on_orphan;
	bgjob_start("vm-drivers", vmdrv_work, vmdrv_done);
	bootmedium_config(ufd);
	bgjob_start("data", bootmedium_data, data_done);
	load_config();
	trialwatch_boot();
	if (logsrv_start(g_st.cfg.log_ring_kib) != 0)
		status_problem("log", "log sockets unavailable (see kernel log)");
	syslog_start(g_st.cfg.syslog);
	int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || loop_add(sfd, POLLIN, on_signal, NULL) != 0)
		init_fatal("cannot receive signals: %s", strerror(errno));
	int cfd[CONSOLE_MAX], nc = console_fds(cfd, CONSOLE_MAX);
	for (int i = 0; i < nc; i++)
		loop_add(cfd[i], POLLIN, on_console, NULL);
	if (ufd >= 0)
		loop_add(ufd, POLLIN, on_uevent, NULL);
	if (ctl_start() != 0)
		status_problem("ctl", "control socket unavailable: the agent cannot reboot the host");
	if (g_st.cfg.watchdog)
		watchdog_open(g_st.cfg.watchdog_timeout);
	status_refresh(1);
	net_setup();
	write_proc("/proc/sys/kernel/printk", "3\n");
	ilog(LOG_NOTICE, "timing: init started %lld ms after kernel start; boot sequence (drivers, medium, br0) done at %lld ms",
	     (long long)g_st.boot_ms, (long long)mono_ms());
}

static void run(void)
{
	int64_t next_slow = 0;
	for (;;) {
		int timeout = services_tick();
		if (timeout > 500)
			timeout = 500;
		loop_once(timeout);
		services_reap();
		if (shutdown_pending() != SHUTDOWN_NONE)
			shutdown_now(shutdown_pending());
		int64_t now = mono_ms();
		if (now >= next_slow) {
			next_slow = now + 1000;
			watchdog_pet();
			check_entropy();
			check_lease();
			syslog_tick();
			trialwatch_tick();
		}
		status_refresh(0);
	}
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "udhcpc-hook") == 0)
		return dhcphook_main(argc, argv);
	if (strcmp(base, "modprobe") == 0)
		return modprobe_main(argc, argv);
	if (getpid() != 1) {
		fprintf(stderr, "wafer-init: must run as PID 1 (or as udhcpc-hook)\n");
		return 2;
	}
	boot();
	run();
	return 0;
}
