/* ctl_main.c: waferctl entry point: connection settings from flags, the
 * environment (WAFER_HOST, WAFER_CERT, WAFER_KEY, WAFER_CA,
 * WAFER_FINGERPRINT) or a config file (--config, $WAFERCTL_CONFIG or
 * ~/.config/waferctl.conf: key=value lines host, cert, key, ca,
 * fingerprint), then the command. */
#include "ctl.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctl_opts ctl = { .timeout_ms = 30000 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: waferctl [options] COMMAND ...\n"
		"options (also WAFER_HOST, WAFER_CERT, WAFER_KEY, WAFER_CA, WAFER_FINGERPRINT or a config file):\n"
		"  -H, --host HOST[:PORT]   the Wafer host (port 443)\n"
		"  --cert FILE --key FILE   client certificate and key\n"
		"  --fingerprint SHA256     pin the host certificate (AB:CD:.. from the status screen)\n"
		"  --ca FILE                or verify the host certificate with this CA/certificate\n"
		"  --insecure               accept any host certificate (only sensible for enroll)\n"
		"  --config FILE            settings file (key=value: host, cert, key, ca, fingerprint;\n"
		"                           [NAME] sections are contexts, current=NAME the default one)\n"
		"  --context NAME           use this context of the settings file (or WAFER_CONTEXT)\n"
		"  --json                   print raw JSON\n"
		"  --timeout SECONDS        network timeout (30)\n"
		"commands:\n"
		"  host [stats|reboot|shutdown]  (reboot/shutdown --suspend-vms: VMs suspended first)\n"
		"  host update FILE [--force] [--reboot]   install a signed update bundle\n"
		"  host update-status   slots, versions, try state, last update\n"
		"  vm list | show VM | start|stop|shutdown|reboot|pause|resume|suspend VM\n"
		"  vm create NAME [--vcpus N] [--memory MIB] --kernel FILE|IMAGE [--initrd FILE|IMAGE]\n"
		"     [--cmdline TEXT] [--disk SIZE_MIB|FILE|IMAGE]... [--nic BRIDGE]...\n"
		"     [--restart never|on-failure|always] [--autostart] [--start]\n"
		"  vm create --spec FILE.json [--start]\n"
		"  vm rm VM | vm console VM [--follow | --interactive (WebSocket; Ctrl-] quits)]\n"
		"  vm move VM --to CONTEXT   suspended (if running), copied, resumed there, removed here\n"
		"  snapshot list VM | create VM NAME | revert VM NAME | rm VM NAME | clone VM NAME NEW_VM\n"
		"                       (a running VM's memory too; revert resumes it from there)\n"
		"  image list | upload NAME FILE | rm NAME\n"
		"  logs [--follow]      events [--follow] [--since SEQ]      tasks\n"
		"  enroll TOKEN CA.pem  (the host's trust store must be empty)\n"
		"  get PATH | delete PATH | post PATH [JSON]   (raw API calls)\n"
		"  pki dev DIR          create a development PKI (no host needed)\n"
		"  completion bash      a bash completion script (commands, VM and image names)\n"
		"  context list | use NAME | rm NAME\n"
		"  context add NAME -H HOST[:PORT] --cert F --key F --fingerprint FP|--ca F\n"
		"  fleet status | vms   every context's host at once, a row each (5 s timeout)\n"
		"  fleet place NAME [vm create flags] | fleet place --spec FILE.json\n"
		"  fleet update BUNDLE [--stop-vms|--suspend-vms] [--force] [--wait S]   rolling, a host at a time\n"
		"  vm names | image names   one name a line (scripts, completion)\n");
}

static char **cfg_vals = ctl_cfg.top;
const char *ctl_context_name;

static const char *pick(const char *flag, const char *env, int idx)
{
	if (flag)
		return flag;
	if (getenv(env) && *getenv(env))
		return getenv(env);
	return cfg_vals[idx];
}

int main(int argc, char **argv)
{
	const char *fh = NULL, *fc = NULL, *fk = NULL, *fca = NULL, *ffp = NULL, *cfg = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (!strcmp(a, "-H") || !strcmp(a, "--host")) fh = v;
		else if (!strcmp(a, "--cert")) fc = v;
		else if (!strcmp(a, "--key")) fk = v;
		else if (!strcmp(a, "--ca")) fca = v;
		else if (!strcmp(a, "--fingerprint")) ffp = v;
		else if (!strcmp(a, "--config")) cfg = v;
		else if (!strcmp(a, "--context")) ctl_context_name = v;
		else if (!strcmp(a, "--timeout")) {
			char *end = NULL;
			long t = v ? strtol(v, &end, 10) : 0;
			if (v && (end == v || *end || t < 1 || t > 86400)) {
				fprintf(stderr, "waferctl: --timeout wants whole seconds from 1 to 86400, not '%s'\n", v);
				return 2;
			}
			ctl.timeout_ms = (int)t * 1000;
			ctl.timeout_set = true;
		}
		else {
			takes = false;
			if (!strcmp(a, "--json")) ctl.json = true;
			else if (!strcmp(a, "--insecure")) ctl.insecure = true;
			else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
			else { fprintf(stderr, "waferctl: unknown option '%s'\n", a); usage(stderr); return 2; }
		}
		if (takes) {
			if (!v) {
				fprintf(stderr, "waferctl: %s needs a value\n", a);
				return 2;
			}
			i++;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i];
	bool cfg_flag = cfg != NULL;   /* --config must exist; WAFERCTL_CONFIG may not yet */
	if (!cfg)
		cfg = getenv("WAFERCTL_CONFIG");
	char defpath[1024];
	if (!cfg && getenv("HOME")) {
		snprintf(defpath, sizeof defpath, "%s/.config/waferctl.conf", getenv("HOME"));
		cfg = defpath;
	}
	/* --config must name a readable file, except for the commands that write it */
	bool writes = !strcmp(cmd, "context") || !strcmp(cmd, "enroll");
	if (cfg && ctl_config_load(cfg, cfg_flag && !writes) < 0)
		return 2;
	if (!ctl_context_name && getenv("WAFER_CONTEXT") && *getenv("WAFER_CONTEXT"))
		ctl_context_name = getenv("WAFER_CONTEXT");
	const char *use = ctl_context_name ? ctl_context_name : ctl_cfg.current;
	if (use && *use && strcmp(cmd, "context")) {
		struct ctl_ctx *c = ctl_context_find(use);
		if (c)
			cfg_vals = c->v;
		else if (ctl_context_name && strcmp(cmd, "enroll")) {
			fprintf(stderr, "waferctl: no context '%s' in %s\n", use, cfg ? cfg : "(no settings file)");
			return 2;
		} else if (!ctl_context_name) {
			fprintf(stderr, "waferctl: current context '%s' is not in %s; using the settings outside contexts\n",
				use, cfg);
		}
	}
	ctl.host = pick(fh, "WAFER_HOST", 0);
	ctl.cert = pick(fc, "WAFER_CERT", 1);
	ctl.key = pick(fk, "WAFER_KEY", 2);
	ctl.ca = pick(fca, "WAFER_CA", 3);
	ctl.fingerprint = pick(ffp, "WAFER_FINGERPRINT", 4);
	if (ctl.timeout_ms <= 0)
		ctl.timeout_ms = 30000;
	int ac = argc - i;
	char **av = argv + i;
	if (!strcmp(cmd, "host")) return ctl_cmd_host(ac, av);
	if (!strcmp(cmd, "vm")) return ctl_cmd_vm(ac, av);
	if (!strcmp(cmd, "image")) return ctl_cmd_image(ac, av);
	if (!strcmp(cmd, "logs")) return ctl_cmd_logs(ac, av);
	if (!strcmp(cmd, "events")) return ctl_cmd_events(ac, av);
	if (!strcmp(cmd, "tasks") || !strcmp(cmd, "get") || !strcmp(cmd, "post") || !strcmp(cmd, "delete"))
		return ctl_cmd_raw(ac, av);
	if (!strcmp(cmd, "enroll")) return ctl_cmd_enroll(ac, av);
	if (!strcmp(cmd, "pki")) return ctl_cmd_pki(ac, av);
	if (!strcmp(cmd, "completion")) return ctl_cmd_completion(ac, av);
	if (!strcmp(cmd, "context")) return ctl_cmd_context(ac, av);
	if (!strcmp(cmd, "fleet")) return ctl_cmd_fleet(ac, av);
	if (!strcmp(cmd, "snapshot")) return ctl_cmd_snapshot(ac, av);
	fprintf(stderr, "waferctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
