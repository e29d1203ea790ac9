/* ctl_update.c: waferctl host update FILE [--force] [--reboot] (stream a
 * signed bundle to POST /api/v1/host/update with a progress bar on a
 * terminal, plain percentage lines otherwise) and waferctl host
 * update-status (GET /api/v1/host/update). */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int status_print(void)
{
	struct json_doc d;
	if (ctl_call_ok("GET", "/api/v1/host/update", NULL, &d) < 0)
		return 1;
	const struct json_node *r = json_root(&d), *sl = json_get(r, "slots"), *l = json_get(r, "last_update");
	const struct json_node *h = json_get(r, "health"), *stl = json_get(r, "stateless");
	printf("running      slot %s, version %s (boot %s)\n", ctl_str(r, "running_slot"),
	       ctl_str(r, "running_version"), ctl_str(r, "boot"));
	if (stl && stl->bval) {
		printf("state        stateless (no boot medium): no slots to update\n");
	} else {
		const struct json_node *tl = json_get(r, "tries_left");
		printf("state        %s; committed %s, trying %s (%lld tries left)\n", ctl_str(r, "outcome"),
		       ctl_str(r, "committed"), ctl_str(r, "trying"), tl ? (long long)tl->ival : 0);
		for (const char *k = "A\0B\0"; *k; k += 2)
			printf("slot %s       %s\n", k, ctl_str(json_get(sl, k), "version"));
	}
	if (json_is(l, JSON_OBJECT))
		printf("last update  %s: slot %s, version %s: %s\n", ctl_str(l, "result"), ctl_str(l, "slot"),
		       ctl_str(l, "version"), ctl_str(l, "message"));
	else
		printf("last update  none\n");
	const struct json_node *g = json_get(h, "grace_s"), *c = json_get(h, "committed_after_s");
	if (json_is(c, JSON_NUMBER))
		printf("health       committed %.1f s after the agent started (grace %lld s)\n", c->num,
		       g ? (long long)g->ival : 0);
	else
		printf("health       grace %lld s\n", g ? (long long)g->ival : 0);
	json_doc_free(&d);
	return 0;
}

static int upload(const char *file, bool force, bool reboot)
{
	struct stat st;
	char path[96];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "waferctl: %s: %s\n", file, fd < 0 || errno ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return 1;
	}
	snprintf(path, sizeof path, "/api/v1/host/update%s%s%s", force || reboot ? "?" : "",
		 force ? "force=1" : "", reboot ? (force ? "&reboot=1" : "reboot=1") : "");
	/* after the last byte the host still writes, reads back and stores the
	 * try state before it answers */
	if (ctl.timeout_ms && ctl.timeout_ms < 300000)
		ctl.timeout_ms = 300000;
	struct json_doc d;
	char *resp;
	size_t len;
	int rc = 0, status = ctl_upload("POST", path, fd, (uint64_t)st.st_size,
					"sent; the host writes the slot and reads it back...", &d, &resp, &len);
	close(fd);
	if (status < 0)
		return 1;
	const struct json_node *r = json_root(&d), *b = json_get(r, "bytes"), *ms = json_get(r, "written_ms");
	if (status >= 300) {
		rc = ctl_print_error(status, &d);
	} else if (ctl.json) {
		fwrite(resp, 1, len, stdout);
	} else {
		printf("slot %s now holds version %s (was %s): %lld bytes verified and written in %.1f s\n",
		       ctl_str(r, "slot"), ctl_str(r, "version"), ctl_str(r, "previous_version"),
		       b ? (long long)b->ival : 0,
		       ms ? (double)ms->ival / 1000.0 : 0.0);
		printf(reboot ? "the host reboots into it now; it is committed once healthy "
				"(waferctl host update-status)\n"
			      : "the next reboot tries it (waferctl host reboot); it is committed once healthy\n");
	}
	json_doc_free(&d);
	free(resp);
	return rc;
}

int ctl_cmd_update(int argc, char **argv)
{
	if (!strcmp(argv[0], "update-status")) {
		if (argc != 1) {
			fprintf(stderr, "usage: waferctl host update-status\n");
			return 2;
		}
		if (ctl.json)
			return ctl_call_print("GET", "/api/v1/host/update", NULL);
		return status_print();
	}
	const char *file = NULL;
	bool force = false, reboot = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = true;
		else if (!strcmp(argv[i], "--reboot"))
			reboot = true;
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			file = NULL, argc = 0;
	}
	if (!file) {
		fprintf(stderr, "usage: waferctl host update FILE [--force] [--reboot]\n");
		return 2;
	}
	return upload(file, force, reboot);
}
