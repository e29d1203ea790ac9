/* h_transfer.c: GET /api/v1/vms/{id}/export (a stopped or suspended VM as a
 * lib/vmexport stream) and POST /api/v1/vms/import (such a stream into a VM
 * of this host); the VM service's vm_transfer.c does the work. */
#include "handlers.h"
#include "server/api.h"
#include "vms/vm_service.h"

#include <stdio.h>

static int export_start(void *arg)
{
	struct api_ctx *x = arg;
	char hdr[160];
	snprintf(hdr, sizeof hdr, "Content-Disposition: attachment; filename=\"%s.wafervm\"\r\n",
		 route_param(x->m, "id"));
	return api_stream_begin(x, 200, "application/octet-stream", hdr) < 0 ? -1 : 0;
}

static int export_out(void *arg, const void *buf, size_t len)
{
	return api_stream_write(arg, buf, len) < 0 ? -1 : 0;
}

void h_vm_export(struct api_ctx *x)
{
	struct vm_result r;
	x->c->deadline_ms = 0;   /* a large VM: only the inactivity limit applies */
	int rc = vm_svc_export(route_param(x->m, "id"), export_start, export_out, x, &r);
	if (rc == -1)
		h_vms_reply(x, -1, 0, NULL, &r);
	else if (rc == 0)
		api_stream_end(x);
	else
		x->c->broken = true;   /* cut: the reader sees no end record and refuses the stream */
}

static int import_in(void *arg, void *buf, size_t len)
{
	return api_body_read(arg, buf, len);
}

void h_vms_import(struct api_ctx *x)
{
	struct json_w w;
	struct vm_result r;
	x->c->deadline_ms = 0;
	json_w_init(&w);
	int rc = vm_svc_import(import_in, x, x->c->cn, &w, &r);
	h_vms_reply(x, rc, 201, &w, &r);
	if (rc)   /* the client may still be sending gigabytes: let it read the answer */
		api_body_discard(x, 30);
}
