/* ctl_snapshot.c: `waferctl snapshot list VM | create VM NAME | revert VM
 * NAME | rm VM NAME | clone VM NAME NEW` over /api/v1/vms/{id}/snapshots and
 * POST /api/v1/vms with clone_of (docs/agent.md, "Snapshots"). */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static long long num(const struct json_node *o, const char *k)
{
	const struct json_node *n = json_get(o, k);
	return n && n->is_int ? (long long)n->ival : 0;
}

static void when(long long ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, n, "-");
}

static int snap_list(const char *path)
{
	struct json_doc d;
	if (ctl_call_ok("GET", path, NULL, &d) < 0)
		return 1;
	static const char *const hdr[] = { "NAME", "TAKEN (UTC)", "VM WAS", "MEMORY", "SIZE", "PAUSED" };
	struct ctl_table *t = ctl_table_new(6, hdr);
	const struct json_node *a = json_get(json_root(&d), "snapshots");
	for (const struct json_node *s = a ? a->child : NULL; s; s = s->next) {
		char at[32], size[32], paused[32];
		const struct json_node *m = json_get(s, "memory");
		when(num(s, "created_ms"), at, sizeof at);
		snprintf(size, sizeof size, "%.1f MiB", (double)num(s, "size_bytes") / (1 << 20));
		snprintf(paused, sizeof paused, "%lld ms", num(s, "pause_ms"));
		const char *row[] = { ctl_str(s, "name"), at, ctl_str(s, "vm_state"), m && m->bval ? "yes" : "no",
				      size, paused };
		ctl_table_row(t, row);
	}
	ctl_table_print(t);
	json_doc_free(&d);
	return 0;
}

int ctl_cmd_snapshot(int argc, char **argv)
{
	char path[320], body[128];
	const char *sub = argc > 1 ? argv[1] : "";
	bool one = !strcmp(sub, "list") || !strcmp(sub, "names"), clone = !strcmp(sub, "clone");
	if (argc != (one ? 3 : clone ? 5 : 4) ||
	    (!one && !clone && strcmp(sub, "create") && strcmp(sub, "revert") && strcmp(sub, "rm"))) {
		fprintf(stderr, "usage: waferctl snapshot list VM | create VM NAME | revert VM NAME | rm VM NAME | "
				"clone VM NAME NEW_VM\n");
		return 2;
	}
	const char *vm = argv[2], *name = one ? NULL : argv[3];
	if (!ctl_name_ok("VM", vm) || (name && !ctl_name_ok("snapshot", name)) || (clone && !ctl_name_ok("VM", argv[4])))
		return 2;
	if (clone) {   /* a new VM of the snapshot's definition and disks */
		char cbody[320];
		struct json_doc d;
		snprintf(cbody, sizeof cbody, "{\"name\":\"%s\",\"clone_of\":{\"vm\":\"%s\",\"snapshot\":\"%s\"}}",
			 argv[4], vm, name);
		if (!ctl.timeout_set)
			ctl.timeout_ms = 1800000;
		if (ctl.json)
			return ctl_cmd_raw(3, (char *[]){ "post", "/api/v1/vms", cbody, NULL });
		if (ctl_call_ok("POST", "/api/v1/vms", cbody, &d) < 0)
			return 1;
		printf("%s (%s) created from snapshot %s of %s: %s\n", argv[4], ctl_str(json_root(&d), "id"), name, vm,
		       ctl_str(json_root(&d), "state"));
		json_doc_free(&d);
		return 0;
	}
	snprintf(path, sizeof path, "/api/v1/vms/%s/snapshots", vm);
	if (!strcmp(sub, "names"))
		return ctl_print_names(path, "snapshots", false);
	if (one)
		return ctl.json ? ctl_cmd_raw(2, (char *[]){ "get", path, NULL }) : snap_list(path);
	/* a snapshot or a revert copies disks and memory: minutes for large ones */
	if (strcmp(sub, "rm") && !ctl.timeout_set)
		ctl.timeout_ms = 1800000;
	struct json_doc d;
	int st;
	if (!strcmp(sub, "create")) {
		snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
		if (ctl.json)
			return ctl_cmd_raw(3, (char *[]){ "post", path, body, NULL });
		if ((st = ctl_call_ok("POST", path, body, &d)) < 0)
			return 1;
		const struct json_node *s = json_root(&d);
		const struct json_node *m = json_get(s, "memory");
		printf("snapshot %s of %s taken: %s, %.1f MiB on the datastore", name, vm,
		       m && m->bval ? "memory included" : "disks only", (double)num(s, "size_bytes") / (1 << 20));
		if (num(s, "pause_ms"))
			printf(", guest paused %lld ms", num(s, "pause_ms"));
		printf("\n");
		json_doc_free(&d);
		return 0;
	}
	snprintf(path + strlen(path), sizeof path - strlen(path), "/%s%s", name, strcmp(sub, "rm") ? "/revert" : "");
	if (ctl.json)
		return ctl_cmd_raw(3, (char *[]){ strcmp(sub, "rm") ? "post" : "delete", path, "{}", NULL });
	if ((st = ctl_call_ok(strcmp(sub, "rm") ? "POST" : "DELETE", path, strcmp(sub, "rm") ? "{}" : NULL, &d)) < 0)
		return 1;
	if (!strcmp(sub, "rm"))
		printf("snapshot %s of %s deleted\n", name, vm);
	else
		printf("%s reverted to snapshot %s: %s\n", vm, name, ctl_str(json_root(&d), "state"));
	json_doc_free(&d);
	return 0;
}
