/* h_vms.c: /api/v1/vms handlers: list, create, get, patch, delete and the
 * power actions (start, shutdown, stop, reboot, pause, resume, suspend). Each parses
 * the request, calls the VM service (vms/vm_service.h) and answers: the
 * service's outcome becomes the status and error code here, nowhere else. */
#include "handlers.h"
#include "server/api.h"
#include "tasks.h"
#include "vms/vm_service.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct { int status; const char *code; } outcome_http[] = {
	[VM_OK]           = { 200, "" },
	[VM_E_NOT_FOUND]  = { 404, "not_found" },
	[VM_E_BUSY]       = { 409, "busy" },
	[VM_E_STATE]      = { 409, "conflict" },
	[VM_E_INVALID]    = { 400, "invalid_spec" },
	[VM_E_EXISTS]     = { 409, "conflict" },
	[VM_E_FULL]       = { 507, "too_many_vms" },
	[VM_E_STORAGE]    = { 500, "storage" },
	[VM_E_START]      = { 409, "start_failed" },
	[VM_E_BOOT]       = { 500, "start_failed" },
	[VM_E_VMM]        = { 502, "vmm_error" },
	[VM_E_STOP]       = { 500, "reboot_failed" },
	[VM_E_SPACE]      = { 507, "insufficient_storage" },
	[VM_E_NOMEM]      = { 500, "internal" },
};

static void reply_error(struct api_ctx *x, const struct vm_result *r)
{
	unsigned o = r->outcome;
	if (o == VM_OK || o >= sizeof outcome_http / sizeof outcome_http[0])
		o = VM_E_NOMEM;
	api_error(x, outcome_http[o].status, outcome_http[o].code, "%s", r->msg);
}

void h_vms_reply(struct api_ctx *x, int rc, int status, struct json_w *w, const struct vm_result *r)
{
	if (rc) {
		if (w)
			json_w_free(w);
		reply_error(x, r);
		return;
	}
	api_reply_w(x, status, w);
}

void h_vms_list(struct api_ctx *x)
{
	struct json_w w;
	json_w_init(&w);
	vm_svc_list(&w);
	api_reply_w(x, 200, &w);
}

void h_vms_create(struct api_ctx *x)
{
	struct json_doc d;
	struct json_w w;
	struct vm_result r;
	if (api_body_json(x, &d))
		return;
	json_w_init(&w);
	int rc = vm_svc_create(json_root(&d), x->c->cn, &w, &r);
	json_doc_free(&d);
	h_vms_reply(x, rc, 201, &w, &r);
}

void h_vm_get(struct api_ctx *x)
{
	struct json_w w;
	struct vm_result r;
	json_w_init(&w);
	int rc = vm_svc_get(route_param(x->m, "id"), &w, &r);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_vm_patch(struct api_ctx *x)
{
	struct json_doc d;
	struct json_w w;
	struct vm_result r;
	if (api_body_json(x, &d))
		return;
	json_w_init(&w);
	int rc = vm_svc_patch(route_param(x->m, "id"), json_root(&d), &w, &r);
	json_doc_free(&d);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_vm_delete(struct api_ctx *x)
{
	struct vm_result r;
	if (vm_svc_delete(route_param(x->m, "id"), x->c->cn, &r)) {
		reply_error(x, &r);
		return;
	}
	api_reply(x, 204, "application/json", "", 0, NULL);
}

bool h_prefers_async(struct api_ctx *x)
{
	const char *p = http_header(x->req, "Prefer");
	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t n = strcspn(p, ",; \t");
		if (n == 13 && !strncasecmp(p, "respond-async", 13))
			return true;
		p += n;
		p += strcspn(p, ",");
	}
	return false;
}

void h_task_accepted(struct api_ctx *x, unsigned task)
{
	struct json_w w;
	char hdr[96];
	size_t len;
	json_w_init(&w);
	task_write(&w, task);
	char *body = json_w_finish(&w, &len);
	if (!body) {
		api_error(x, 500, "internal", "out of memory");
		return;
	}
	snprintf(hdr, sizeof hdr, "Location: /api/v1/tasks/%u\r\nPreference-Applied: respond-async\r\n", task);
	api_reply(x, 202, "application/json", body, len, hdr);
	free(body);
}

/* A power action: the VM after it (200), or with Prefer: respond-async a
 * task (202, Location: /api/v1/tasks/N) that ends when the action is done. */
static void action(struct api_ctx *x, enum vm_action a)
{
	struct json_w w;
	struct vm_result r;
	const char *id = route_param(x->m, "id");
	if (h_prefers_async(x)) {
		unsigned task;
		if (vm_svc_action_task(id, a, &task, &r))
			reply_error(x, &r);
		else
			h_task_accepted(x, task);
		return;
	}
	json_w_init(&w);
	int rc = vm_svc_action(id, a, &w, &r);
	h_vms_reply(x, rc, 200, &w, &r);
}

void h_vm_start(struct api_ctx *x) { action(x, VM_ACT_START); }
void h_vm_shutdown(struct api_ctx *x) { action(x, VM_ACT_SHUTDOWN); }
void h_vm_stop(struct api_ctx *x) { action(x, VM_ACT_STOP); }
void h_vm_reboot(struct api_ctx *x) { action(x, VM_ACT_REBOOT); }
void h_vm_pause(struct api_ctx *x) { action(x, VM_ACT_PAUSE); }
void h_vm_resume(struct api_ctx *x) { action(x, VM_ACT_RESUME); }
void h_vm_suspend(struct api_ctx *x) { action(x, VM_ACT_SUSPEND); }
