/* api_routes.c: THE route table of the v1 API. docs/openapi.yaml must list
 * exactly these paths and methods (checked by tests/test_openapi.c). */
#include "handlers.h"
#include "server/router.h"

#define KiB 1024u

const struct route api_routes[] = {
	{ "POST",   "/api/v1/enroll",                 h_enroll,        ROLE_NONE,   64 * KiB, true },
	{ "GET",    "/api/v1/host",                   h_host,          ROLE_READER, 0, false },
	{ "GET",    "/api/v1/host/stats",             h_host_stats,    ROLE_READER, 0, false },
	{ "GET",    "/api/v1/host/logs",              h_host_logs,     ROLE_READER, 0, false },
	{ "GET",    "/api/v1/host/listeners",         h_host_listeners, ROLE_READER, 0, false },
	{ "POST",   "/api/v1/host/reboot",            h_host_reboot,   ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/host/shutdown",          h_host_shutdown, ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/host/certificate/renew", h_host_cert_renew, ROLE_ADMIN, 1 * KiB, false },
	{ "GET",    "/api/v1/host/trust/crl",         h_trust_crl_get, ROLE_READER, 0, false },
	{ "PUT",    "/api/v1/host/trust/crl",         h_trust_crl_put, ROLE_ADMIN,  1024 * KiB, true },
	{ "DELETE", "/api/v1/host/trust/crl",         h_trust_crl_delete, ROLE_ADMIN, 0, false },
	{ "GET",    "/api/v1/host/update",            h_update_get,    ROLE_READER, 0, false },
	{ "POST",   "/api/v1/host/update",            h_update_post,   ROLE_ADMIN,  ROUTE_STREAM_BODY, true },
	{ "GET",    "/api/v1/vms",                    h_vms_list,      ROLE_READER, 0, false },
	{ "POST",   "/api/v1/vms",                    h_vms_create,    ROLE_ADMIN,  64 * KiB, true },
	{ "POST",   "/api/v1/vms/import",             h_vms_import,    ROLE_ADMIN,  ROUTE_STREAM_BODY, true },
	{ "GET",    "/api/v1/vms/{id}",               h_vm_get,        ROLE_READER, 0, false },
	{ "PATCH",  "/api/v1/vms/{id}",               h_vm_patch,      ROLE_ADMIN,  64 * KiB, true },
	{ "DELETE", "/api/v1/vms/{id}",               h_vm_delete,     ROLE_ADMIN,  0, false },
	{ "POST",   "/api/v1/vms/{id}/start",         h_vm_start,      ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/shutdown",      h_vm_shutdown,   ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/stop",          h_vm_stop,       ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/reboot",        h_vm_reboot,     ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/pause",         h_vm_pause,      ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/resume",        h_vm_resume,     ROLE_ADMIN,  1 * KiB, false },
	{ "POST",   "/api/v1/vms/{id}/suspend",       h_vm_suspend,    ROLE_ADMIN,  1 * KiB, false },
	{ "GET",    "/api/v1/vms/{id}/export",        h_vm_export,     ROLE_ADMIN,  0, false },
	{ "GET",    "/api/v1/vms/{id}/console",       h_vm_console,    ROLE_READER, 0, false },
	{ "GET",    "/api/v1/vms/{id}/snapshots",     h_snapshots_list, ROLE_READER, 0, false },
	{ "POST",   "/api/v1/vms/{id}/snapshots",     h_snapshot_create, ROLE_ADMIN, 4 * KiB, true },
	{ "GET",    "/api/v1/vms/{id}/snapshots/{name}", h_snapshot_get, ROLE_READER, 0, false },
	{ "DELETE", "/api/v1/vms/{id}/snapshots/{name}", h_snapshot_delete, ROLE_ADMIN, 0, false },
	{ "POST",   "/api/v1/vms/{id}/snapshots/{name}/revert", h_snapshot_revert, ROLE_ADMIN, 1 * KiB, false },
	{ "GET",    "/api/v1/images",                 h_images_list,   ROLE_READER, 0, false },
	{ "PUT",    "/api/v1/images/{name}",          h_image_put,     ROLE_ADMIN,  ROUTE_STREAM_BODY, true },
	{ "DELETE", "/api/v1/images/{name}",          h_image_delete,  ROLE_ADMIN,  0, false },
	{ "GET",    "/api/v1/events",                 h_events,        ROLE_READER, 0, false },
	{ "GET",    "/api/v1/tasks",                  h_tasks_list,    ROLE_READER, 0, false },
	{ "GET",    "/api/v1/tasks/{id}",             h_task_get,      ROLE_READER, 0, false },
	{ "GET",    "/metrics",                       h_metrics,       ROLE_READER, 0, false },
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];
