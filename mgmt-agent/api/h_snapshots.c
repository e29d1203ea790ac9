/* h_snapshots.c: /api/v1/vms/{id}/snapshots handlers: list, take, get,
 * revert, delete (the VM service's vm_snapshot.c does the work). Take and
 * revert with Prefer: respond-async answer 202 with a task. */
#include "handlers.h"
#include "server/api.h"
#include "vms/vm_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h_snapshots_list(struct api_ctx *x)
{
	struct json_w w;
	struct vm_result r;
	json_w_init(&w);
	int rc = vm_svc_snapshot_list(route_param(x->m, "id"), NULL, &w, &r);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_snapshot_get(struct api_ctx *x)
{
	struct json_w w;
	struct vm_result r;
	json_w_init(&w);
	int rc = vm_svc_snapshot_list(route_param(x->m, "id"), route_param(x->m, "name"), &w, &r);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_snapshot_create(struct api_ctx *x)
{
	static const char *const keys[] = { "name", NULL };
	struct json_doc d;
	struct json_w w;
	struct vm_result r;
	char err[160], name[WAFER_NAME_SIZE + 1];
	if (api_body_json(x, &d))
		return;
	const struct json_node *o = json_root(&d);
	if (!json_is(o, JSON_OBJECT) || json_check_keys(o, keys, err, sizeof err)) {
		api_error(x, 400, "bad_request", "%s", json_is(o, JSON_OBJECT) ? err : "the body must be a JSON object");
		json_doc_free(&d);
		return;
	}
	const char *n = json_get_str(o, "name");
	if (!n) {
		api_error(x, 400, "bad_request", "'name' is required (a string): the snapshot's name");
		json_doc_free(&d);
		return;
	}
	snprintf(name, sizeof name, "%s", n);
	bool too_long = strlen(n) > WAFER_NAME_MAX;
	json_doc_free(&d);
	if (too_long) {
		api_error(x, 400, "bad_request", "snapshot name is longer than %d characters", WAFER_NAME_MAX);
		return;
	}
	const char *id = route_param(x->m, "id");
	if (h_prefers_async(x)) {
		unsigned task;
		if (vm_svc_snapshot_task(id, name, false, &task, &r))
			h_vms_reply(x, -1, 0, NULL, &r);
		else
			h_task_accepted(x, task);
		return;
	}
	json_w_init(&w);
	int rc = vm_svc_snapshot_create(id, name, &w, &r);
	h_vms_reply(x, rc, 201, &w, &r);
}

void h_snapshot_revert(struct api_ctx *x)
{
	struct json_w w;
	struct vm_result r;
	const char *id = route_param(x->m, "id"), *name = route_param(x->m, "name");
	if (h_prefers_async(x)) {
		unsigned task;
		if (vm_svc_snapshot_task(id, name, true, &task, &r))
			h_vms_reply(x, -1, 0, NULL, &r);
		else
			h_task_accepted(x, task);
		return;
	}
	json_w_init(&w);
	int rc = vm_svc_snapshot_revert(id, name, &w, &r);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_snapshot_delete(struct api_ctx *x)
{
	struct vm_result r;
	if (vm_svc_snapshot_delete(route_param(x->m, "id"), route_param(x->m, "name"), &r)) {
		h_vms_reply(x, -1, 0, NULL, &r);
		return;
	}
	api_reply(x, 204, "application/json", "", 0, NULL);
}
