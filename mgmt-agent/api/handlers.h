/* handlers.h: every request handler of the route table (api_routes.c). */
#ifndef WAFER_HANDLERS_H
#define WAFER_HANDLERS_H
struct api_ctx;
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
