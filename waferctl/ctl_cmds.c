/* ctl_cmds.c: waferctl commands for the host, logs, events, enrollment,
 * images (upload with progress and SHA-256) and raw API calls. */
#include "ctl.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int call_print(const char *method, const char *path, const char *body)
{
	struct ctl_conn c;
	char *resp = NULL;
	size_t len;
	if (ctl_connect(&c) || ctl_send(&c, method, path, body ? "application/json" : NULL, body,
					 body ? strlen(body) : 0, "Connection: close\r\n") ||
	    ctl_response(&c) < 0 || ctl_body_all(&c, &resp, &len)) {
		fprintf(stderr, "waferctl: %s\n", c.err);
		ctl_close(&c);
		return 1;
	}
	int st = c.status;
	ctl_close(&c);
	if (st >= 300) {
		struct json_doc e;
		if (json_parse(&e, resp, len, NULL, NULL) == 0) {
			ctl_print_error(st, &e);
			json_doc_free(&e);
		} else {
			fprintf(stderr, "waferctl: HTTP %d\n", st);
		}
		free(resp);
		return 1;
	}
	fwrite(resp, 1, len, stdout);
	if (len && resp[len - 1] != '\n')
		putchar('\n');
	free(resp);
	return 0;
}

int ctl_call_print(const char *method, const char *path, const char *body)
{
	return call_print(method, path, body);
}

int ctl_cmd_raw(int argc, char **argv)
{
	if (!strcmp(argv[0], "tasks"))
		return call_print("GET", "/api/v1/tasks", NULL);
	if (argc < 2) {
		fprintf(stderr, "usage: waferctl %s PATH%s\n", argv[0], !strcmp(argv[0], "post") ? " [JSON]" : "");
		return 2;
	}
	if (!strcmp(argv[0], "get"))
		return call_print("GET", argv[1], NULL);
	if (!strcmp(argv[0], "delete"))
		return call_print("DELETE", argv[1], NULL);
	return call_print("POST", argv[1], argc > 2 ? argv[2] : "{}");
}

int ctl_cmd_host(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "stats"))
		return call_print("GET", "/api/v1/host/stats", NULL);
	if (argc > 1 && (!strcmp(argv[1], "reboot") || !strcmp(argv[1], "shutdown"))) {
		/* --suspend-vms: the host suspends its VMs to the datastore first */
		bool sus = argc == 3 && !strcmp(argv[2], "--suspend-vms");
		if (argc > 3 || (argc == 3 && !sus)) {
			fprintf(stderr, "usage: waferctl host %s [--suspend-vms]\n", argv[1]);
			return 2;
		}
		char path[64];
		snprintf(path, sizeof path, "/api/v1/host/%s%s", argv[1], sus ? "?vms=suspend" : "");
		if (sus && !ctl.timeout_set)
			ctl.timeout_ms = 1800000;
		return call_print("POST", path, "{}");
	}
	if (argc > 1 && (!strcmp(argv[1], "update") || !strcmp(argv[1], "update-status")))
		return ctl_cmd_update(argc - 1, argv + 1);
	if (argc > 1) {
		fprintf(stderr, "usage: waferctl host [stats|reboot [--suspend-vms]|shutdown [--suspend-vms]|update FILE [--force] [--reboot]|update-status]\n");
		return 2;
	}
	if (ctl.json)
		return call_print("GET", "/api/v1/host", NULL);
	struct json_doc d;
	if (ctl_call_ok("GET", "/api/v1/host", NULL, &d) < 0)
		return 1;
	const struct json_node *r = json_root(&d), *cpu = json_get(r, "cpu"), *mem = json_get(r, "memory");
	const struct json_node *up = json_get(r, "uptime_s"), *th = json_get(cpu, "threads");
	const struct json_node *mt = json_get(mem, "total_mib"), *kvm = json_get(r, "kvm");
	const struct json_node *nv = json_get(r, "vms"), *nr = json_get(r, "vms_running");
	printf("hostname     %s\nversion      %s (%s), slot %s\n", ctl_str(r, "hostname"), ctl_str(r, "version"),
	       ctl_str(r, "board"), ctl_str(r, "slot"));
	printf("uptime       %.0f s\ncpu          %s, %lld threads\nmemory       %lld MiB\n",
	       up ? up->num : 0.0, ctl_str(cpu, "model"), th ? (long long)th->ival : 0,
	       mt ? (long long)mt->ival : 0);
	printf("kvm          %s\nvms          %lld (%lld running)\n", kvm && kvm->bval ? "yes" : "no",
	       nv ? (long long)nv->ival : 0, nr ? (long long)nr->ival : 0);
	/* SHA-256 AA:BB:... is 95 characters: two lines of 16 bytes on a terminal */
	const char *fp = ctl_str(r, "fingerprint");
	int cols = ctl_columns();
	if (cols && cols < 13 + (int)strlen(fp) && strlen(fp) == 95)
		printf("fingerprint  %.48s\n             %s\n", fp, fp + 48);
	else
		printf("fingerprint  %s\n", fp);
	printf("enrollment   %s\n", ctl_str(r, "enrollment"));
	const struct json_node *crt = json_get(r, "certificate");
	if (crt)
		printf("certificate  valid until %s\n", ctl_str(crt, "not_after"));
	const struct json_node *md = json_get(r, "medium"), *sl = json_get(md, "stateless");
	if (sl && sl->bval)
		printf("medium       none (stateless)\n");
	else if (json_get(md, "disk"))
		printf("medium       %s: %s\n", ctl_str(md, "disk"), ctl_str(md, "description"));
	json_doc_free(&d);
	return 0;
}

int ctl_cmd_logs(int argc, char **argv)
{
	bool follow = argc > 1 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "--follow"));
	if (follow)
		ctl.timeout_ms = 0;
	return ctl_stream(follow ? "/api/v1/host/logs?follow=1" : "/api/v1/host/logs");
}


static char *json_quote(const char *s)
{
	size_t n = json_escape(NULL, 0, s, strlen(s));
	char *q = malloc(n + 1);
	if (q)
		json_escape(q, n + 1, s, strlen(s));
	return q;
}

/* After an enrollment: the host as a context of the settings file (named by
 * --context, else by the host's address), pinned by the fingerprint the host
 * gave, with this command's certificate and key, made current if none is. */
static int enroll_context(const char *fp)
{
	char name[65], cb[PATH_MAX], kb[PATH_MAX];
	if (!ctl_cfg.path || !ctl.host || !ctl.cert || !ctl.key || strlen(fp) < 32)
		return 0;
	if (ctl_context_name) {
		snprintf(name, sizeof name, "%s", ctl_context_name);
	} else {
		snprintf(name, sizeof name, "%s", ctl.host);
		char *colon = strrchr(name, ':');
		if (colon && !strchr(name, ']') && strchr(name, ':') == colon)
			*colon = '\0';   /* host:port -> host (IPv6 literals keep theirs) */
		for (char *p = name; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
				*p = '-';
	}
	const char *v[CTL_KEYS] = { ctl.host, ctl.cert[0] == '/' || !realpath(ctl.cert, cb) ? ctl.cert : cb,
				    ctl.key[0] == '/' || !realpath(ctl.key, kb) ? ctl.key : kb, NULL, fp };
	if (ctl_context_save(name, v, false))
		return 1;
	printf("context '%s' saved in %s (waferctl --context %s ...)\n", name, ctl_cfg.path, name);
	return 0;
}

int ctl_cmd_enroll(int argc, char **argv)
{
	char *pem;
	if (argc != 3) {
		fprintf(stderr, "usage: waferctl enroll TOKEN CA.pem\n");
		return 2;
	}
	int rc = fs_read_file(argv[2], 65536, &pem, NULL);
	if (rc) {
		fprintf(stderr, "waferctl: %s: %s\n", argv[2], strerror(-rc));
		return 1;
	}
	char *qt = json_quote(argv[1]), *qp = json_quote(pem);
	size_t bl = strlen(qt) + strlen(qp) + 32;
	char *body = malloc(bl);
	snprintf(body, bl, "{\"token\":%s,\"ca_pem\":%s}", qt, qp);
	struct json_doc d;
	int st = ctl_call_ok("POST", "/api/v1/enroll", body, &d);
	free(qt);
	free(qp);
	free(pem);
	free(body);
	if (st < 0)
		return 1;
	char fp[128];
	snprintf(fp, sizeof fp, "%s", ctl_str(json_root(&d), "fingerprint"));
	json_doc_free(&d);
	/* the host's answer as it was ({"enrolled":true,"fingerprint":...}), then the context */
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kbool(&w, "enrolled", true);
	json_w_kstr(&w, "fingerprint", fp);
	json_w_obj_end(&w);
	char *out = json_w_finish(&w, NULL);
	printf("%s\n", out ? out : "");
	free(out);
	return enroll_context(fp);
}

static int image_upload(const char *name, const char *file)
{
	char hex[65];
	uint64_t size;
	int rc = ctl_image_upload(name, file, hex, &size);
	if (rc == 0 && !ctl.json)
		printf("uploaded %s: %llu bytes, sha256 %s (verified by the host)\n", name,
		       (unsigned long long)size, hex);
	return rc;
}

int ctl_cmd_image(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "names"))
		return ctl_print_names("/api/v1/images", "images", false);
	if ((argc == 4 && !strcmp(argv[1], "upload")) || (argc == 3 && !strcmp(argv[1], "rm")))
		if (!ctl_name_ok("image", argv[2]))
			return 2;
	if (argc == 4 && !strcmp(argv[1], "upload"))
		return image_upload(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "rm")) {
		char p[256];
		snprintf(p, sizeof p, "/api/v1/images/%s", argv[2]);
		return call_print("DELETE", p, NULL);
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		struct json_doc d;
		if (ctl.json)
			return call_print("GET", "/api/v1/images", NULL);
		if (ctl_call_ok("GET", "/api/v1/images", NULL, &d) < 0)
			return 1;
		static const char *const hdr[] = { "NAME", "SIZE" };
		struct ctl_table *t = ctl_table_new(2, hdr);
		for (const struct json_node *i = json_get(json_root(&d), "images") ?
			     json_get(json_root(&d), "images")->child : NULL; i; i = i->next) {
			char sz[32];
			const struct json_node *s = json_get(i, "size");
			snprintf(sz, sizeof sz, "%lld", s ? (long long)s->ival : 0);
			const char *row[] = { json_get_str(i, "name"), sz };
			ctl_table_row(t, row);
		}
		ctl_table_print(t);
		json_doc_free(&d);
		return 0;
	}
	fprintf(stderr, "usage: waferctl image list | upload NAME FILE | rm NAME\n");
	return 2;
}
