/* ctl_move.c: `waferctl vm move VM --to CONTEXT`: moves a VM from this host
 * (the current context or -H ...) to the host of CONTEXT, relayed through
 * waferctl as the manager, so the hosts need no trust in each other: a
 * running or paused VM is suspended first; GET /api/v1/vms/{id}/export on
 * the source is streamed into POST /api/v1/vms/import on the target
 * (chunked, never held whole); then the VM is resumed on the target and
 * deleted on the source. Any failure before the VM runs on the target
 * leaves it on the source only (resumed if it was running) and says why. */
#include "ctl.h"
#include "wafer_contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One call on the host opts points at; the status, or -1 (said why). */
static int call_on(const struct ctl_opts *opts, const char *method, const char *path, struct json_doc *d)
{
	struct ctl_opts keep = ctl;
	ctl = *opts;
	int st = ctl_call_ok(method, path, method[0] == 'P' ? "{}" : NULL, d);
	ctl = keep;
	return st;
}

static int write_chunk(struct ctl_conn *c, const void *buf, size_t len)
{
	char h[24];
	int n = snprintf(h, sizeof h, "%zx\r\n", len);
	return ctl_write(c, h, (size_t)n) || (len && ctl_write(c, buf, len)) || ctl_write(c, "\r\n", 2) ? -1 : 0;
}

/* The export stream of vm from src into an import on dst: 0 with the new
 * VM's JSON in *d, or -1 (said why). */
static int relay(const struct ctl_opts *src, const struct ctl_opts *dst, const char *vm, struct json_doc *d,
		 uint64_t *bytes)
{
	static char buf[65536];
	char path[160];
	struct ctl_conn a, b;
	struct ctl_opts keep = ctl;
	int rc = -1;
	snprintf(path, sizeof path, "/api/v1/vms/%s/export", vm);
	ctl = *src;
	if (ctl_connect(&a) || ctl_send(&a, "GET", path, NULL, NULL, 0, "Connection: close\r\n") ||
	    ctl_response(&a) < 0) {
		fprintf(stderr, "waferctl: export from the source: %s\n", a.err);
		ctl_close(&a);
		ctl = keep;
		return -1;
	}
	if (a.status != 200) {
		ctl_answer_error(&a, "export: ");
		ctl = keep;
		return -1;
	}
	ctl = *dst;
	if (ctl_connect(&b) || ctl_send(&b, "POST", "/api/v1/vms/import", "application/octet-stream", NULL, 0,
					 "Transfer-Encoding: chunked\r\nConnection: close\r\n")) {
		fprintf(stderr, "waferctl: import on the target: %s\n", b.err);
		ctl_close(&a);
		ctl_close(&b);
		ctl = keep;
		return -1;
	}
	time_t start = time(NULL), last = 0;
	int tty = isatty(2), n;
	*bytes = 0;
	while ((n = ctl_body_read(&a, buf, sizeof buf)) > 0) {
		if (write_chunk(&b, buf, (size_t)n))
			break;   /* the target refused early: its answer says why */
		*bytes += (uint64_t)n;
		if (tty && time(NULL) != last) {
			last = time(NULL);
			fprintf(stderr, "\rwaferctl: %llu MiB moved ", (unsigned long long)(*bytes >> 20));
		}
	}
	if (tty)
		fprintf(stderr, "\rwaferctl: %llu MiB moved in %.0f s\n", (unsigned long long)(*bytes >> 20),
			difftime(time(NULL), start));
	if (n < 0)   /* the source's stream broke: the target sees no end and refuses it */
		fprintf(stderr, "waferctl: the export stream broke after %llu bytes: %s\n", (unsigned long long)*bytes,
			a.err);
	else
		write_chunk(&b, "", 0);
	ctl_close(&a);
	char *resp = NULL;
	size_t len;
	if (ctl_response(&b) < 0 || ctl_body_all(&b, &resp, &len)) {
		fprintf(stderr, "waferctl: import on the target: %s\n", b.err);
	} else if (json_parse(d, resp, len, NULL, NULL)) {
		fprintf(stderr, "waferctl: import on the target: HTTP %d (the answer is not JSON)\n", b.status);
	} else if (b.status != 201) {
		ctl_print_error(b.status, d);
		json_doc_free(d);
	} else {
		rc = n < 0 ? -1 : 0;
		if (rc)
			json_doc_free(d);
	}
	free(resp);
	ctl_close(&b);
	ctl = keep;
	return rc;
}

int ctl_vm_move(int argc, char **argv)
{
	const char *vm = NULL, *to = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i];
		else if (argv[i][0] != '-' && !vm)
			vm = argv[i];
		else
			vm = to = NULL, i = argc;
	}
	if (!vm || !to) {
		fprintf(stderr, "usage: waferctl vm move VM --to CONTEXT\n");
		return 2;
	}
	if (!ctl_name_ok("VM", vm))
		return 2;
	const struct ctl_ctx *tc = ctl_context_find(to);
	if (!tc) {
		fprintf(stderr, "waferctl: no context '%s' in %s (waferctl context list)\n", to,
			ctl_cfg.path ? ctl_cfg.path : "the settings");
		return 2;
	}
	if (!ctl.timeout_set)
		ctl.timeout_ms = 600000;   /* a suspend or a resume of a large guest */
	struct ctl_opts src = ctl, dst = ctl;
	ctl_fleet_use(tc);
	dst = ctl;
	dst.timeout_ms = src.timeout_ms;
	ctl = src;
	if (dst.host && src.host && !strcmp(dst.host, src.host)) {
		fprintf(stderr, "waferctl: '%s' is the host the VM is on (%s)\n", to, src.host);
		return 2;
	}
	char path[160], name[WAFER_NAME_SIZE];
	struct json_doc d;
	snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
	if (call_on(&src, "GET", path, &d) < 0)
		return 1;
	const char *state = ctl_str(json_root(&d), "state");
	const char *nm = json_get_str(json_get(json_root(&d), "spec"), "name");
	snprintf(name, sizeof name, "%s", nm ? nm : vm);
	bool running = !strcmp(state, "running") || !strcmp(state, "paused");
	bool ok_state = running || !strcmp(state, "stopped") || !strcmp(state, "crashed") || !strcmp(state, "suspended");
	if (!ok_state) {
		fprintf(stderr, "waferctl: VM %s is %s: try again once it runs or has stopped\n", name, state);
		json_doc_free(&d);
		return 1;
	}
	json_doc_free(&d);
	double t0 = now_s(), down0 = t0;
	if (running) {
		printf("suspending %s on the source\n", name);
		fflush(stdout);
		snprintf(path, sizeof path, "/api/v1/vms/%s/suspend", vm);
		if (call_on(&src, "POST", path, &d) < 0)
			return 1;
		json_doc_free(&d);
	}
	uint64_t bytes = 0;
	struct json_doc nd;
	if (relay(&src, &dst, vm, &nd, &bytes)) {
		if (running) {   /* back as it was: on the source only */
			snprintf(path, sizeof path, "/api/v1/vms/%s/start", vm);
			if (call_on(&src, "POST", path, &d) >= 0) {
				json_doc_free(&d);
				fprintf(stderr, "waferctl: %s was not moved; it runs on the source again\n", name);
			}
		} else {
			fprintf(stderr, "waferctl: %s was not moved; it is still on the source\n", name);
		}
		return 1;
	}
	char id[32];
	snprintf(id, sizeof id, "%s", ctl_str(json_root(&nd), "id"));
	json_doc_free(&nd);
	printf("%s imported on %s (%s): %llu bytes\n", name, to, id, (unsigned long long)bytes);
	fflush(stdout);
	if (running) {
		snprintf(path, sizeof path, "/api/v1/vms/%s/start", id);
		if (call_on(&dst, "POST", path, &d) < 0) {
			/* not running there: removed there, resumed here */
			snprintf(path, sizeof path, "/api/v1/vms/%s", id);
			if (call_on(&dst, "DELETE", path, &d) >= 0)
				json_doc_free(&d);
			snprintf(path, sizeof path, "/api/v1/vms/%s/start", vm);
			if (call_on(&src, "POST", path, &d) >= 0)
				json_doc_free(&d);
			fprintf(stderr, "waferctl: %s did not resume on %s; it runs on the source again\n", name, to);
			return 1;
		}
		json_doc_free(&d);
	}
	double down = now_s() - down0;
	snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
	if (call_on(&src, "DELETE", path, &d) < 0) {
		fprintf(stderr, "waferctl: %s runs on %s, but its copy on the source could not be removed\n", name, to);
		return 1;
	}
	json_doc_free(&d);
	printf("moved %s to %s in %.1f s%s", name, to, now_s() - t0, running ? "" : "\n");
	if (running)
		printf(" (the guest was suspended for %.1f s)\n", down);
	return 0;
}
