/* handlers.h: every request handler of the route table (api_routes.c). */
#ifndef WAFER_HANDLERS_H
#define WAFER_HANDLERS_H
#include <stdbool.h>
struct api_ctx;
struct json_w;
struct vm_result;
/* Shared by the VM handlers (h_vms.c): the VM service's answer (w with
 * status, or the error for r's outcome; w may be NULL on an error); RFC
 * 7240 "Prefer: respond-async" among the request's preferences; a task's
 * 202 with its Location. */
void h_vms_reply(struct api_ctx *x, int rc, int status, struct json_w *w, const struct vm_result *r);
bool h_prefers_async(struct api_ctx *x);
void h_task_accepted(struct api_ctx *x, unsigned task);
void h_enroll(struct api_ctx *x);
void h_host(struct api_ctx *x);
void h_host_stats(struct api_ctx *x);
void h_host_logs(struct api_ctx *x);
void h_host_listeners(struct api_ctx *x);
void h_host_reboot(struct api_ctx *x);
void h_host_shutdown(struct api_ctx *x);
void h_update_get(struct api_ctx *x);
void h_update_post(struct api_ctx *x);
void h_vms_list(struct api_ctx *x);
void h_vms_create(struct api_ctx *x);
void h_vm_get(struct api_ctx *x);
void h_vm_patch(struct api_ctx *x);
void h_vm_delete(struct api_ctx *x);
void h_vm_start(struct api_ctx *x);
void h_vm_shutdown(struct api_ctx *x);
void h_vm_stop(struct api_ctx *x);
void h_vm_reboot(struct api_ctx *x);
void h_vm_pause(struct api_ctx *x);
void h_vm_resume(struct api_ctx *x);
void h_vm_suspend(struct api_ctx *x);
void h_vm_console(struct api_ctx *x);
void h_vm_export(struct api_ctx *x);
void h_vms_import(struct api_ctx *x);
void h_snapshots_list(struct api_ctx *x);
void h_snapshot_create(struct api_ctx *x);
void h_snapshot_get(struct api_ctx *x);
void h_snapshot_revert(struct api_ctx *x);
void h_snapshot_delete(struct api_ctx *x);
void h_images_list(struct api_ctx *x);
void h_image_put(struct api_ctx *x);
void h_image_delete(struct api_ctx *x);
void h_events(struct api_ctx *x);
void h_tasks_list(struct api_ctx *x);
void h_task_get(struct api_ctx *x);
void h_metrics(struct api_ctx *x);
void h_trust_crl_get(struct api_ctx *x);
void h_trust_crl_put(struct api_ctx *x);
void h_trust_crl_delete(struct api_ctx *x);
void h_host_cert_renew(struct api_ctx *x);
#endif
