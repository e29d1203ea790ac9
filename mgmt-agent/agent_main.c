/* agent_main.c: wafer-agent entry point: options, identity and trust store,
 * dropping the capabilities it does not use, VM registry recovery (re-attach to running VMMs, autostart),
 * the update state (report a rollback, commit a healthy trying boot), then the HTTPS accept loop until SIGTERM. */
#include "agent.h"
#include "agent_privs.h"
#include "vms/cgroup.h"
#include "server/api.h"
#include "server/enroll.h"
#include "server/events.h"
#include "server/server.h"
#include "server/tls_server.h"
#include "update/update.h"
#include "vms/vm.h"
#include "wlog.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wafer-agent [options]\n"
		"  --port N              HTTPS port (443)\n"
		"  --listen ADDR         listen address (all)\n"
		"  --config-dir DIR      config partition: identity/, trust/ (/config)\n"
		"  --data-dir DIR        datastore: wafer/vms, wafer/images (/data)\n"
		"  --run-dir DIR         runtime state and sockets (/run/wafer)\n"
		"  --vmm PATH            wafer-vmm binary (/usr/bin/wafer-vmm)\n"
		"  --etc-dir DIR         build identity: version, manifest.json (/etc/wafer)\n"
		"  --cmdline FILE        the kernel command line to go by (tests; /proc/cmdline)\n"
		"  --esp-dir DIR         use DIR as the boot partition for updates (tests; default: mount it)\n"
		"  --max-conns N         authenticated connections (64; admins 8 more)\n"
		"  --max-unauth N        connections before authentication, oldest evicted (64)\n"
		"  --conns-per-cert N    authenticated connections per certificate (32)\n"
		"  --streams-per-cert N  follow streams per certificate (16)\n"
		"  --handshake-ms N      TLS handshake deadline (3000)\n"
		"  --request-ms N        deadline for a request head and small body (30000)\n"
		"  --idle-ms N           keep-alive idle timeout (60000)\n"
		"  --io-ms N             inactivity limit while streaming (30000)\n"
		"  --max-header N        request line + headers, bytes (8192)\n"
		"  --no-autostart        do not start autostart VMs\n"
		"  --log-level L         err|warn|info|debug (info)\n"
		"  --log-time            timestamp log lines (when run by hand)\n"
		"  --version\n");
}

static int num_opt(const char *name, const char *v, int min, int max)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end || n < min || n > max) {
		fprintf(stderr, "wafer-agent: --%s must be a number between %d and %d, not '%s'\n",
			name, min, max, v);
		exit(1);
	}
	return (int)n;
}

static unsigned lim_set; /* which limits the command line set (bits: case numbers) */

/* The connection limits from wafer.conf (agent_max_conns ...), where the
 * command line did not set them (docs/config.md, docs/security.md). */
static void limits_from_conf(void)
{
	static const struct { int bit; const char *key; int *v; int min, max; } k[] = {
		{ 1, "agent_max_conns", &agent_cfg.lim.max_conns, 1, 4096 },
		{ 2, "agent_max_unauth", &agent_cfg.lim.max_unauth, 1, 4096 },
		{ 3, "agent_handshake_ms", &agent_cfg.lim.handshake_ms, 100, 600000 },
		{ 14, "agent_conns_per_cert", &agent_cfg.lim.conns_per_cert, 1, 4096 },
		{ 15, "agent_streams_per_cert", &agent_cfg.lim.streams_per_cert, 1, 4096 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (!(lim_set & (1u << k[i].bit)))
			*k[i].v = agent_conf_int(k[i].key, *k[i].v, k[i].min, k[i].max);
}

static void parse_args(int argc, char **argv)
{
	static const struct option o[] = {
		{ "port", 1, 0, 'p' }, { "listen", 1, 0, 'l' }, { "config-dir", 1, 0, 'c' },
		{ "data-dir", 1, 0, 'd' }, { "run-dir", 1, 0, 'r' }, { "vmm", 1, 0, 'v' },
		{ "etc-dir", 1, 0, 'e' }, { "max-conns", 1, 0, 1 }, { "max-unauth", 1, 0, 2 },
		{ "handshake-ms", 1, 0, 3 }, { "request-ms", 1, 0, 4 }, { "idle-ms", 1, 0, 5 },
		{ "io-ms", 1, 0, 6 }, { "max-header", 1, 0, 7 }, { "no-autostart", 0, 0, 8 },
		{ "log-level", 1, 0, 9 }, { "log-time", 0, 0, 10 }, { "version", 0, 0, 11 }, { "esp-dir", 1, 0, 12 }, { "cmdline", 1, 0, 13 },
		{ "conns-per-cert", 1, 0, 14 }, { "streams-per-cert", 1, 0, 15 },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c, lvl;
	unsigned wflags = 0;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		if (c >= 1 && c <= 15)
			lim_set |= 1u << c;
		switch (c) {
		case 'p': agent_cfg.port = num_opt("port", optarg, 1, 65535); break;
		case 'l': agent_cfg.listen_addr = optarg; break;
		case 'c': agent_cfg.config_dir = optarg; break;
		case 'd': agent_cfg.data_dir = optarg; break;
		case 'r': agent_cfg.run_dir = optarg; break;
		case 'v': agent_cfg.vmm_path = optarg; break;
		case 'e': agent_cfg.etc_dir = optarg; break;
		case 1: agent_cfg.lim.max_conns = num_opt("max-conns", optarg, 1, 4096); break;
		case 2: agent_cfg.lim.max_unauth = num_opt("max-unauth", optarg, 1, 4096); break;
		case 14: agent_cfg.lim.conns_per_cert = num_opt("conns-per-cert", optarg, 1, 4096); break;
		case 15: agent_cfg.lim.streams_per_cert = num_opt("streams-per-cert", optarg, 1, 4096); break;
		case 3: agent_cfg.lim.handshake_ms = num_opt("handshake-ms", optarg, 100, 600000); break;
		case 4: agent_cfg.lim.request_ms = num_opt("request-ms", optarg, 100, 600000); break;
		case 5: agent_cfg.lim.idle_ms = num_opt("idle-ms", optarg, 100, 3600000); break;
		case 6: agent_cfg.lim.io_ms = num_opt("io-ms", optarg, 100, 600000); break;
		case 7: agent_cfg.lim.max_head = num_opt("max-header", optarg, 1024, CONN_BUF); break;
		case 8: agent_cfg.no_autostart = true; break;
		case 9:
			if ((lvl = wlog_parse_level(optarg)) < 0) {
				fprintf(stderr, "wafer-agent: unknown --log-level '%s'\n", optarg);
				exit(1);
			}
			wlog_set_level((enum wlog_level)lvl);
			break;
		case 10: wflags |= WLOG_TIMESTAMP; break;
		case 12: agent_cfg.esp_dir = optarg; break;
		case 13: agent_cfg.cmdline = optarg; break;
		case 11: printf("wafer-agent %s\n", agent_version()); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wafer-agent: unexpected argument '%s'\n", argv[optind]);
		exit(1);
	}
	wlog_init("wafer-agent", -1, wflags);
}

int main(int argc, char **argv)
{
	char err[256];
	parse_args(argc, argv);
	limits_from_conf();
	agent_start_ms = wlog_now_ms();
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (tls_server_init(err, sizeof err)) {
		wlog(WLOG_ERR, "tls", "%s", err);
		return 2;
	}
	int lfd = server_listen(err, sizeof err);
	if (lfd < 0) {
		wlog(WLOG_ERR, "server", "%s", err);
		return 2;
	}
	/* Port 443 is bound: from here on only the capabilities the agent uses
	 * (docs/isolation.md), before any thread exists. */
	char warn[128];
	if (cg_prepare(CG_ROOT, err, sizeof err))
		wlog(WLOG_WARN, "vm", "%s (VM starts will fail)", err);
	if (agent_privs_drop(warn, sizeof warn, err, sizeof err)) {
		wlog(WLOG_ERR, "privs", "%s", err);
		return 2;
	}
	if (warn[0])
		wlog(WLOG_WARN, "privs", "%s", warn);
	enroll_init();
	events_init();
	if (vm_registry_init(err, sizeof err))
		wlog(WLOG_ERR, "vm", "%s (VM management degraded)", err);
	wlog(WLOG_INFO, "server", "wafer-agent %s listening on port %d, host certificate %s",
	     agent_version(), agent_cfg.port, tls_host_fingerprint());
	update_boot();
	server_run(lfd, &stop_flag);
	/* a reboot's answer first (agent.h), then a moment for its connection to close */
	for (int i = 0; i < 50 && __atomic_load_n(&agent_replies_pending, __ATOMIC_ACQUIRE) > 0; i++)
		usleep(100000);
	usleep(300000);
	wlog(WLOG_INFO, "server", "stopping (VMs keep running)");
	close(lfd);
	vm_registry_shutdown();
	return 0;
}
