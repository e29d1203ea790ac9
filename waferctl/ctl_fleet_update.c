/* ctl_fleet_update.c: `waferctl fleet update BUNDLE [--stop-vms |
 * --suspend-vms] [--force] [--wait SECONDS]`: a rolling update of every
 * context's host, one at a time, in the order of the settings file. For each
 * host: skip it when it already runs the bundle's version committed; refuse
 * it while VMs run (until live migration lands), unless --stop-vms shuts
 * them down (ACPI, the agent stops a guest that ignores it after its grace
 * period) or --suspend-vms suspends them to the datastore (the guests go on
 * where they were after the update, without a reboot); send the bundle with
 * reboot=1; wait until the host answers again on the new slot with the
 * bundle's version committed (its health check passed), or report the
 * rollback; start (resume) the VMs it stopped; then the next host. The
 * first failure stops the run: it says which host, why, which hosts were
 * updated and which were not tried, and exits 1. */
#include "ctl.h"
#include "update_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FU_POLL_S 3
#define FU_VMS_MAX 256

struct fu_run {
	const char *bundle, *version;
	bool stop_vms, suspend_vms, force;
	int wait_s;
	char why[400];                 /* why the current host failed */
	char *stopped[FU_VMS_MAX];     /* VMs stopped on the current host */
	int nstopped;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One API call: the 2xx status with *d to free, or -1 with run->why set. */
static int api(struct fu_run *run, const char *method, const char *path, struct json_doc *d)
{
	char why[300];
	int st = ctl_call_quiet(method, path, NULL, d, why, sizeof why);
	if (st >= 200 && st < 300 && !why[0])
		return st;
	if (st < 0 || why[0]) {
		snprintf(run->why, sizeof run->why, "%s %s: %s", method, path, why);
	} else {
		const struct json_node *e = json_get(json_root(d), "error");
		snprintf(run->why, sizeof run->why, "%s %s: %d %s", method, path, st,
			 json_get_str(e, "message") ? json_get_str(e, "message") : "(no message)");
	}
	json_doc_free(d);
	return -1;
}

/* The bundle's version from its header (the host checks the signature). */
static int bundle_version(const char *file, char version[UPD_STR_MAX])
{
	uint8_t hdr[UPD_HEADER_SIZE];
	struct upd_info info;
	char err[160];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "waferctl: %s: %s\n", file, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, hdr, sizeof hdr);
	close(fd);
	if (n != (ssize_t)sizeof hdr || upd_header_decode(hdr, &info, err, sizeof err) < 0) {
		fprintf(stderr, "waferctl: %s is not an update bundle: %s\n", file,
			n != (ssize_t)sizeof hdr ? "too short" : err);
		return -1;
	}
	snprintf(version, UPD_STR_MAX, "%s", info.version);
	return 0;
}

/* POST /api/v1/vms/VM/ACTION, answered once done (timeout_ms): 0, or -1
 * with run->why set. */
static int vm_post(struct fu_run *run, const char *vm, const char *action, int timeout_ms)
{
	char path[160];
	struct json_doc d;
	int saved = ctl.timeout_ms;
	snprintf(path, sizeof path, "/api/v1/vms/%s/%s", vm, action);
	ctl.timeout_ms = timeout_ms;
	int st = api(run, "POST", path, &d);
	ctl.timeout_ms = saved;
	if (st < 0)
		return -1;
	json_doc_free(&d);
	return 0;
}

static bool vm_on(const char *state)
{
	return !strcmp(state, "running") || !strcmp(state, "paused") || !strcmp(state, "starting") ||
	       !strcmp(state, "shutting-down");
}

/* 1 when the host runs run->version committed (nothing to do), 0 when it can
 * be updated, -1 (why set) when not. */
static int host_check(struct fu_run *run)
{
	struct json_doc d;
	if (api(run, "GET", "/api/v1/host/update", &d) < 0)
		return -1;
	const struct json_node *r = json_root(&d), *stl = json_get(r, "stateless");
	int rc = 0;
	if (stl && stl->bval) {
		snprintf(run->why, sizeof run->why, "a stateless host (PXE) has no slots: update its PXE server");
		rc = -1;
	} else if (strcmp(ctl_str(r, "trying"), "-")) {
		snprintf(run->why, sizeof run->why, "slot %s is being tried (an update is in progress)",
			 ctl_str(r, "trying"));
		rc = -1;
	} else if (!run->force && !strcmp(ctl_str(r, "running_version"), run->version) &&
		   !strcmp(ctl_str(r, "committed"), ctl_str(r, "running_slot"))) {
		rc = 1;
	}
	json_doc_free(&d);
	return rc;
}

/* Running VMs: refused without --stop-vms, else shut down (remembered). */
static int vms_stop(struct fu_run *run)
{
	struct json_doc d;
	if (api(run, "GET", "/api/v1/vms", &d) < 0)
		return -1;
	const struct json_node *a = json_get(json_root(&d), "vms");
	char names[300] = "";
	int on = 0;
	for (const struct json_node *v = a ? a->child : NULL; v; v = v->next) {
		if (!vm_on(ctl_str(v, "state")))
			continue;
		const char *name = ctl_str(json_get(v, "spec"), "name");
		on++;
		if (strlen(names) + strlen(name) + 3 < sizeof names)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", on > 1 ? ", " : "", name);
		if ((run->stop_vms || run->suspend_vms) && run->nstopped < FU_VMS_MAX)
			run->stopped[run->nstopped++] = strdup(name);
	}
	json_doc_free(&d);
	if (!on)
		return 0;
	if (!run->stop_vms && !run->suspend_vms) {
		snprintf(run->why, sizeof run->why,
			 "%d VM(s) running (%s): stop or move them first, or --stop-vms or --suspend-vms", on, names);
		return -1;
	}
	for (int i = 0; i < run->nstopped; i++) {
		char path[160];
		printf("  %s VM %s\n", run->suspend_vms ? "suspending" : "shutting down", run->stopped[i]);
		fflush(stdout);
		if (run->suspend_vms) {   /* memory to the datastore: minutes for a large guest */
			if (vm_post(run, run->stopped[i], "suspend", 1800000) < 0)
				return -1;
			continue;
		}
		/* a paused guest cannot see the power button: stop it */
		snprintf(path, sizeof path, "/api/v1/vms/%s", run->stopped[i]);
		if (api(run, "GET", path, &d) < 0)
			return -1;
		bool paused = !strcmp(ctl_str(json_root(&d), "state"), "paused");
		json_doc_free(&d);
		/* answered once off: the agent stops a guest after 60 s */
		if (vm_post(run, run->stopped[i], paused ? "stop" : "shutdown", 120000) < 0)
			return -1;
	}
	return 0;
}

/* Wait until the host runs the bundle's version on slot, committed. */
static int wait_committed(struct fu_run *run, const char *slot, const char *name)
{
	double t0 = now_s(), said = 0;
	int saved = ctl.timeout_ms;
	ctl.timeout_ms = 10000;   /* a host that reboots answers nothing for a while */
	char last[360] = "no answer yet";
	int rc = -1;
	bool went_down = false;   /* a rollback report counts only after the reboot */
	while (now_s() - t0 < run->wait_s) {
		struct json_doc d;
		char why[300];
		int st = ctl_call_quiet("GET", "/api/v1/host/update", NULL, &d, why, sizeof why);
		if (st == 200 && !why[0]) {
			const struct json_node *r = json_root(&d), *l = json_get(r, "last_update");
			const char *ver = ctl_str(r, "running_version"), *run_slot = ctl_str(r, "running_slot");
			if (went_down && !strcmp(ctl_str(l, "result"), "rolled-back") &&
			    !strcmp(ctl_str(l, "version"), run->version)) {
				snprintf(run->why, sizeof run->why, "rolled back to version %s on slot %s: %s", ver,
					 run_slot, ctl_str(l, "message"));
				json_doc_free(&d);
				break;
			}
			if (!strcmp(run_slot, slot) && !strcmp(ver, run->version) &&
			    !strcmp(ctl_str(r, "committed"), slot) && !strcmp(ctl_str(r, "trying"), "-")) {
				json_doc_free(&d);
				rc = 0;
				break;
			}
			snprintf(last, sizeof last, "slot %s, version %s, %s", run_slot, ver, ctl_str(r, "outcome"));
			json_doc_free(&d);
		} else {
			went_down |= st < 0;
			snprintf(last, sizeof last, "%s%s", st < 0 ? "not answering (rebooting?): " : "",
				 why[0] ? why : "an error answer");
			json_doc_free(&d);
		}
		if (now_s() - said >= 30) {
			printf("  %s: waiting for the commit (%.0f s): %s\n", name, now_s() - t0, last);
			fflush(stdout);
			said = now_s();
		}
		sleep(FU_POLL_S);
	}
	if (rc && !run->why[0])
		snprintf(run->why, sizeof run->why, "not committed on slot %s after %d s (last seen: %.300s)", slot,
			 run->wait_s, last);
	ctl.timeout_ms = saved;
	return rc;
}

/* Start again the VMs --stop-vms stopped (or resume those --suspend-vms
 * suspended) that are not running by now (autostart VMs start by
 * themselves). */
static int vms_restart(struct fu_run *run)
{
	for (int i = 0; i < run->nstopped; i++) {
		struct json_doc d;
		char path[160];
		snprintf(path, sizeof path, "/api/v1/vms/%s", run->stopped[i]);
		if (api(run, "GET", path, &d) < 0)
			return -1;
		bool on = vm_on(ctl_str(json_root(&d), "state"));
		json_doc_free(&d);
		if (on)
			continue;
		printf(run->suspend_vms ? "  resuming VM %s\n" : "  starting VM %s again\n", run->stopped[i]);
		fflush(stdout);
		/* a resume reads the guest's memory back */
		if (vm_post(run, run->stopped[i], "start", 600000) < 0)
			return -1;
	}
	return 0;
}

/* One host: 0 updated, 1 already there, -1 failed (run->why). */
static int update_host(struct fu_run *run, const char *name)
{
	int c = host_check(run);
	if (c)
		return c;
	if (vms_stop(run) < 0)
		return -1;
	struct stat st;
	int fd = open(run->bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(run->why, sizeof run->why, "%s: %s", run->bundle, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int saved = ctl.timeout_ms;
	ctl.timeout_ms = 300000;   /* the host writes and reads the slot back before it answers */
	struct json_doc d;
	char *resp = NULL;
	size_t len;
	double t0 = now_s();
	int s = ctl_upload("POST", run->force ? "/api/v1/host/update?force=1&reboot=1" : "/api/v1/host/update?reboot=1",
			   fd, (uint64_t)st.st_size, NULL, &d, &resp, &len);
	close(fd);
	ctl.timeout_ms = saved;
	free(resp);
	if (s < 0) {
		snprintf(run->why, sizeof run->why, "the upload got no answer");
		return -1;
	}
	const struct json_node *r = json_root(&d);
	if (s >= 300) {
		const struct json_node *e = json_get(r, "error");
		snprintf(run->why, sizeof run->why, "update refused: %d %s", s,
			 json_get_str(e, "message") ? json_get_str(e, "message") : "(no message)");
		json_doc_free(&d);
		return -1;
	}
	char slot[8];
	snprintf(slot, sizeof slot, "%s", ctl_str(r, "slot"));
	printf("  %s: slot %s written (%s -> %s), rebooting\n", name, slot, ctl_str(r, "previous_version"),
	       ctl_str(r, "version"));
	fflush(stdout);
	json_doc_free(&d);
	if (wait_committed(run, slot, name) < 0)
		return -1;
	printf("  %s: version %s committed on slot %s, %.0f s after the upload\n", name, run->version, slot,
	       now_s() - t0);
	return vms_restart(run);
}

static int usage(void)
{
	fprintf(stderr, "usage: waferctl fleet update BUNDLE [--stop-vms | --suspend-vms] [--force] [--wait SECONDS]\n"
			"       every context's host in turn; stops at the first failure\n");
	return 2;
}

int ctl_fleet_update(int argc, char **argv)
{
	struct fu_run run = { .wait_s = 900 };
	char version[UPD_STR_MAX];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--stop-vms"))
			run.stop_vms = true;
		else if (!strcmp(argv[i], "--suspend-vms"))
			run.suspend_vms = true;
		else if (!strcmp(argv[i], "--force"))
			run.force = true;
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc) {
			char *end;
			long w = strtol(argv[++i], &end, 10);
			if (*end || w < 10 || w > 86400) {
				fprintf(stderr, "waferctl: fleet update: --wait: '%s' is not 10..86400 seconds\n", argv[i]);
				return 2;
			}
			run.wait_s = (int)w;
		} else if (argv[i][0] != '-' && !run.bundle)
			run.bundle = argv[i];
		else {
			fprintf(stderr, "waferctl: fleet update: unknown or incomplete flag '%s'\n", argv[i]);
			return usage();
		}
	}
	if (!run.bundle)
		return usage();
	if (run.stop_vms && run.suspend_vms) {
		fprintf(stderr, "waferctl: fleet update: --stop-vms and --suspend-vms exclude each other\n");
		return 2;
	}
	if (bundle_version(run.bundle, version) < 0)
		return 1;
	run.version = version;
	int n = 0;
	for (int i = 0; i < ctl_cfg.n; i++)
		n += ctl_cfg.ctx[i].name != NULL;
	if (!n) {
		fprintf(stderr, "waferctl: no contexts in %s (waferctl context add)\n",
			ctl_cfg.path ? ctl_cfg.path : "the settings file");
		return 1;
	}
	printf("fleet update to version %s: %d host(s), one at a time\n", version, n);
	char done[1024] = "", skipped[1024] = "";
	int rc = 0;
	for (int i = 0; i < ctl_cfg.n; i++) {
		const struct ctl_ctx *c = &ctl_cfg.ctx[i];
		if (!c->name)
			continue;
		ctl_fleet_use(c);
		printf("%s (%s):\n", c->name, c->v[0] ? c->v[0] : "-");
		fflush(stdout);
		run.why[0] = '\0';
		int r = update_host(&run, c->name);
		for (int k = 0; k < run.nstopped; k++)
			free(run.stopped[k]);
		run.nstopped = 0;
		if (r < 0) {
			char rest[1024] = "";
			for (int k = i + 1; k < ctl_cfg.n; k++)
				if (ctl_cfg.ctx[k].name)
					snprintf(rest + strlen(rest), sizeof rest - strlen(rest), " %s", ctl_cfg.ctx[k].name);
			printf("fleet update: stopped at %s: %s\n", c->name, run.why);
			printf("  updated:%s\n  already at %s:%s\n  not tried:%s\n", done[0] ? done : " none", version,
			       skipped[0] ? skipped : " none", rest[0] ? rest : " none");
			rc = 1;
			break;
		}
		char *list = r ? skipped : done;
		snprintf(list + strlen(list), sizeof done - strlen(list), " %s", c->name);
		if (r)
			printf("  %s: already runs version %s, committed: nothing to do\n", c->name, version);
	}
	if (!rc)
		printf("fleet update: done: updated:%s; already at %s:%s\n", done[0] ? done : " none", version,
		       skipped[0] ? skipped : " none");
	return rc;
}
