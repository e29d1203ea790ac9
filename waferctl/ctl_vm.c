/* ctl_vm.c: `waferctl vm ...`: list (table), show, create from a JSON spec
 * file, power actions, rm, console (output so far, --follow, or
 * --interactive: ctl_console.c). */
#include "ctl.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_vm_line(const struct json_node *v)
{
	const struct json_node *s = json_get(v, "spec");
	const struct json_node *c = json_get(s, "vcpus"), *m = json_get(s, "memory_mib");
	printf("%-12s %-20s %-14s %2lld vCPU %6lld MiB%s%s\n", json_get_str(v, "id"),
	       json_get_str(s, "name"), json_get_str(v, "state"), c ? (long long)c->ival : 0,
	       m ? (long long)m->ival : 0, json_get_str(v, "exit_reason") ? "  " : "",
	       json_get_str(v, "exit_reason") ? json_get_str(v, "exit_reason") : "");
}

static int vm_list(void)
{
	struct json_doc d;
	if (ctl_call_ok("GET", "/api/v1/vms", NULL, &d) < 0)
		return 1;
	static const char *const hdr[] = { "ID", "NAME", "STATE", "VCPUS", "MEMORY", "AUTOSTART", "REASON" };
	struct ctl_table *t = ctl_table_new(7, hdr);
	const struct json_node *a = json_get(json_root(&d), "vms");
	for (const struct json_node *v = a ? a->child : NULL; v; v = v->next) {
		const struct json_node *s = json_get(v, "spec");
		const struct json_node *c = json_get(s, "vcpus"), *m = json_get(s, "memory_mib");
		const struct json_node *au = json_get(s, "autostart");
		char cs[16], ms[24];
		snprintf(cs, sizeof cs, "%lld", c ? (long long)c->ival : 0);
		snprintf(ms, sizeof ms, "%lld MiB", m ? (long long)m->ival : 0);
		const char *row[] = { json_get_str(v, "id"), json_get_str(s, "name"), json_get_str(v, "state"),
				      cs, ms, au && au->bval ? "yes" : "no", json_get_str(v, "exit_reason") };
		ctl_table_row(t, row);
	}
	ctl_table_print(t);
	json_doc_free(&d);
	return 0;
}

static int vm_call(const char *method, const char *path, const char *body)
{
	struct json_doc d;
	int st = ctl_call_ok(method, path, body, &d);
	if (st < 0)
		return 1;
	if (st == 204) {
		json_doc_free(&d);
		return 0;
	}
	if (json_get(json_root(&d), "spec"))
		print_vm_line(json_root(&d));
	json_doc_free(&d);
	return 0;
}

int ctl_cmd_vm(int argc, char **argv)
{
	char path[256];
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "list") && argc == 2)
		return ctl.json ? ctl_cmd_raw(2, (char *[]){ "get", "/api/v1/vms", NULL }) : vm_list();
	if (!strcmp(sub, "create") && argc == 3) {
		char *spec;
		int rc = fs_read_file(argv[2], 65536, &spec, NULL);
		if (rc) {
			fprintf(stderr, "waferctl: %s: %s\n", argv[2], strerror(-rc));
			return 1;
		}
		rc = ctl.json ? ctl_cmd_raw(3, (char *[]){ "post", "/api/v1/vms", spec, NULL })
			      : vm_call("POST", "/api/v1/vms", spec);
		free(spec);
		return rc;
	}
	if (argc != 3 && !(argc == 4 && !strcmp(sub, "console"))) {
		fprintf(stderr, "usage: waferctl vm list | show VM | create SPEC.json | "
				"start|stop|shutdown|reboot|pause|resume VM | rm VM | console VM [--follow|--interactive]\n");
		return 2;
	}
	const char *vm = argv[2];
	if (!ctl_name_ok("VM", vm))
		return 2;
	if (!strcmp(sub, "show")) {
		snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
		return ctl_cmd_raw(2, (char *[]){ "get", path, NULL });
	}
	if (!strcmp(sub, "rm")) {
		snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
		return vm_call("DELETE", path, NULL);
	}
	if (!strcmp(sub, "console")) {
		if (argc == 4 && (!strcmp(argv[3], "-i") || !strcmp(argv[3], "--interactive")))
			return ctl_console_interactive(vm);
		bool follow = argc == 4 && (!strcmp(argv[3], "-f") || !strcmp(argv[3], "--follow"));
		if (follow)
			ctl.timeout_ms = 0;
		snprintf(path, sizeof path, "/api/v1/vms/%s/console%s", vm, follow ? "?follow=1" : "");
		return ctl_stream(path);
	}
	static const char *const actions[] = { "start", "stop", "shutdown", "reboot", "pause", "resume", NULL };
	for (const char *const *a = actions; *a; a++)
		if (!strcmp(sub, *a)) {
			snprintf(path, sizeof path, "/api/v1/vms/%s/%s", vm, *a);
			return ctl.json ? ctl_cmd_raw(3, (char *[]){ "post", path, "{}", NULL })
					: vm_call("POST", path, "{}");
		}
	fprintf(stderr, "waferctl: unknown vm command '%s'\n", sub);
	return 2;
}
