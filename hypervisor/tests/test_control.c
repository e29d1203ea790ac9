/* test_control.c: the control protocol against a VM without KVM (requests,
 * malformed input, state changes, console mode) and command-line parsing
 * (required options, ranges, disk/net items, MAC addresses). */
#include "wtest.h"
#include "config.h"
#include "control.h"
#include "vm.h"

#include <stdlib.h>
#include <string.h>

static struct vm vm;
static struct control ctl;
static struct ctl_client cl;
static struct vmm_config cfg;

static void noirq(void *o, int l) { (void)o; (void)l; }
static void noev(void *o, enum pm_event e) { (void)o; (void)e; }

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(&cfg, 0, sizeof(cfg));
	cfg.id = "unit";
	cfg.memory_mib = 256;
	cfg.vcpus = 1;
	vm.cfg = &cfg;
	vm.vm_fd = -1;
	vm.event_fd = -1;
	vm.boot_ms = -1;
	vm.start_ns = vm_now_ns();
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.cond, NULL);
	console_init(&vm.console, 4096);
	uart_init(&vm.uart, NULL, NULL, NULL);
	pm_init(&vm.arch.pm, noev, noirq, NULL);
	memset(&ctl, 0, sizeof(ctl));
	ctl.vm = &vm;
	memset(&cl, 0, sizeof(cl));
}

static void teardown(void) { console_free(&vm.console); }

/* Returns the response; checks it is one line ending in '\n'. */
static char *req(const char *line)
{
	char *r = control_request(&ctl, &cl, line, strlen(line));
	WT_CHECK(r != NULL);
	if (r) {
		size_t n = strlen(r);
		WT_CHECK(n > 0 && r[n - 1] == '\n' && memchr(r, '\n', n) == r + n - 1);
	}
	return r;
}

static int has(const char *line, const char *want)
{
	char *r = req(line);
	int ok = r && strstr(r, want) != NULL;
	if (!ok)
		fprintf(stderr, "  request %s -> %s", line, r ? r : "(null)\n");
	free(r);
	return ok;
}

static void t_status(void)
{
	setup();
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"ok\":true"));
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"state\":\"running\""));
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"id\":\"unit\""));
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"boot_ms\":null"));
	WT_CHECK(has("{\"cmd\":\"status\"}\r", "\"ok\":true"));        /* CRLF tolerated */
	vm.exit_reason = VMEXIT_POWEROFF;
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"exit_reason\":\"poweroff\""));
	WT_CHECK(has("{\"cmd\":\"stats\"}", "\"disks\":[]"));
	teardown();
}

static void t_malformed(void)
{
	setup();
	WT_CHECK(has("", "bad JSON"));
	WT_CHECK(has("{", "bad JSON"));
	WT_CHECK(has("{\"cmd\":\"status\",}", "bad JSON"));
	WT_CHECK(has("[1,2,3]", "must be a JSON object"));
	WT_CHECK(has("{\"cmd\":7}", "missing string member 'cmd'"));
	WT_CHECK(has("{\"cmd\":\"format-disk\"}", "unknown cmd"));
	WT_CHECK(has("{\"cmd\":\"status\",\"extra\":1}", "extra"));
	WT_CHECK(has("{\"cmd\":\"status\",\"cmd\":\"stop\"}", "\"ok\":false"));   /* duplicate key */
	char deep[200];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	WT_CHECK(has(deep, "\"ok\":false"));
	WT_CHECK(has("{\"cmd\":\"status\"}\x00garbage", "\"ok\":true"));   /* strlen stops at NUL */
	WT_CHECK(!ctl.stop_requested);
	teardown();
}

static void t_pause_resume_stop(void)
{
	setup();
	WT_CHECK(has("{\"cmd\":\"pause\"}", "\"state\":\"paused\""));
	WT_CHECK(has("{\"cmd\":\"status\"}", "\"state\":\"paused\""));
	WT_CHECK(has("{\"cmd\":\"resume\"}", "\"state\":\"running\""));
	WT_CHECK(has("{\"cmd\":\"shutdown\",\"timeout_s\":0}", "\"ok\":false"));
	WT_CHECK(has("{\"cmd\":\"shutdown\",\"timeout_s\":\"soon\"}", "\"ok\":false"));
	WT_CHECK(has("{\"cmd\":\"shutdown\",\"timeout_s\":5}", "shutting-down"));
	WT_CHECK(vm.shutdown_deadline_ns > vm_now_ns());
	WT_CHECK(vm.arch.pm.pm1_sts & 0x100);            /* power button pressed (x86: ACPI) */
	WT_CHECK(has("{\"cmd\":\"stop\"}", "\"state\":\"stopped\""));
	WT_CHECK(ctl.stop_requested);
	teardown();
}

static void t_balloon_console(void)
{
	setup();
	WT_CHECK(has("{\"cmd\":\"balloon\",\"target_mib\":10}", "no balloon device"));
	WT_CHECK(has("{\"cmd\":\"console-write\",\"data\":\"ls\\n\"}", "\"written\":3"));
	WT_EQ_INT(vm.uart.rx_len, 3);
	WT_CHECK(has("{\"cmd\":\"console-write\",\"data\":5}", "must be a string"));
	char big[5000 + 64];
	snprintf(big, sizeof(big), "{\"cmd\":\"console-write\",\"data\":\"%0*d\"}", 4500, 0);
	WT_CHECK(has(big, "at most 4096"));
	console_put(&vm.console, (const uint8_t *)"hello", 5);
	WT_CHECK(has("{\"cmd\":\"console\",\"from\":-1}", "\"ok\":false"));
	WT_CHECK(has("{\"cmd\":\"console\",\"follow\":\"yes\"}", "\"ok\":false"));
	WT_CHECK(!cl.console);
	WT_CHECK(has("{\"cmd\":\"console\",\"from\":2,\"follow\":true}", "\"offset\":2"));
	WT_CHECK(cl.console && cl.follow && cl.pos == 2);
	WT_EQ_INT(ctl.followers, 1);
	memset(&cl, 0, sizeof(cl));
	WT_CHECK(has("{\"cmd\":\"console\",\"from\":\"end\"}", "\"offset\":5"));
	teardown();
}

static char err[256];
static int parse(const char *line)
{
	static char buf[1024];
	static char *argv[64];
	snprintf(buf, sizeof(buf), "wafer-vmm %s", line);
	int argc = 0;
	for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	err[0] = 0;
	return config_parse(&cfg, argc, argv, err, sizeof(err));
}

#define BASE "--id vm1 --vcpus 2 --memory-mib 256 --kernel /k --control /run/c.sock"

static void t_config(void)
{
	WT_EQ_INT(parse(BASE " --initrd /i --disk path=/d.img,readonly,id=root --disk fd=5"
			" --net tap=tap0,mac=52:54:00:12:34:56 --net fd=7,vhost=off --rng --balloon"), 0);
	WT_EQ_INT(cfg.vcpus, 2);
	WT_EQ_INT(cfg.ndisks, 2);
	WT_CHECK(cfg.disks[0].readonly);
	WT_EQ_STR(cfg.disks[0].id, "root");
	WT_EQ_STR(cfg.disks[1].id, "disk1");
	WT_EQ_INT(cfg.disks[1].fd, 5);
	WT_EQ_INT(cfg.nets[0].mac[5], 0x56);
	WT_CHECK(!cfg.nets[1].vhost);
	WT_EQ_INT(cfg.nets[1].mac[0], 0x52);              /* default: locally administered */
	WT_CHECK(cfg.rng && cfg.balloon);
	WT_EQ_STR(cfg.boot.cmdline, "console=ttyS0");
	WT_EQ_INT(cfg.boot.kind, BOOT_KERNEL);
	WT_EQ_INT(parse("--help"), 1);
}

static void t_config_errors(void)
{
	WT_EQ_INT(parse("--vcpus 2 --memory-mib 256 --kernel /k --control /c"), -1);
	WT_CHECK(strstr(err, "--id") != NULL);
	WT_EQ_INT(parse("--id vm1 --vcpus 2 --memory-mib 256 --kernel /k"), -1);
	WT_CHECK(strstr(err, "--control") != NULL);
	WT_EQ_INT(parse(BASE " --vcpus 0"), -1);
	WT_EQ_INT(parse(BASE " --vcpus 65"), -1);
	WT_EQ_INT(parse(BASE " --vcpus 2x"), -1);
	WT_CHECK(strstr(err, "'2x'") != NULL);
	WT_EQ_INT(parse(BASE " --vcpus -1"), -1);
	WT_EQ_INT(parse(BASE " --memory-mib 8"), -1);
	WT_EQ_INT(parse(BASE " --memory-mib 99999999999999999999"), -1);
	WT_EQ_INT(parse("--id bad/id --vcpus 1 --memory-mib 64 --kernel /k --control /c"), -1);
	WT_EQ_INT(parse(BASE " --disk readonly"), -1);
	WT_CHECK(strstr(err, "exactly one") != NULL);
	WT_EQ_INT(parse(BASE " --disk path=/a,fd=3"), -1);
	WT_EQ_INT(parse(BASE " --disk path=/a,bogus=1"), -1);
	WT_CHECK(strstr(err, "bogus") != NULL);
	WT_EQ_INT(parse(BASE " --net tap=t0,mac=01:00:5e:00:00:01"), -1);   /* multicast */
	WT_EQ_INT(parse(BASE " --net tap=t0,mac=52:54:00:12:34"), -1);
	WT_EQ_INT(parse(BASE " --net tap=averyveryverylongname0"), -1);
	WT_EQ_INT(parse(BASE " --frobnicate 1"), -1);
	WT_CHECK(strstr(err, "frobnicate") != NULL);
	WT_EQ_INT(parse(BASE " --kernel"), -1);
	WT_EQ_INT(parse(BASE " --console-ring 10"), -1);
	char many[1024] = BASE;
	for (int i = 0; i < 9; i++)
		strcat(many, " --disk path=/x");
	WT_EQ_INT(parse(many), -1);
	WT_CHECK(strstr(err, "at most") != NULL);
}

WTEST_MAIN("vmm_control", WT_CASE(t_status), WT_CASE(t_malformed), WT_CASE(t_pause_resume_stop),
	   WT_CASE(t_balloon_console), WT_CASE(t_config), WT_CASE(t_config_errors))
