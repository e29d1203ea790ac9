/* h_tasks.c: GET /api/v1/tasks and /api/v1/tasks/{id} (the table: tasks.c). */
#include "handlers.h"
#include "server/api.h"
#include "tasks.h"

#include <stdlib.h>

void h_tasks_list(struct api_ctx *x)
{
	struct json_w w;
	json_w_init(&w);
	task_write_all(&w);
	api_reply_w(x, 200, &w);
}

void h_task_get(struct api_ctx *x)
{
	const char *ids = route_param(x->m, "id");
	char *end;
	unsigned long id = strtoul(ids, &end, 10);
	struct json_w w;
	json_w_init(&w);
	if (*end || !id || id > 0xffffffffUL || !task_write(&w, (unsigned)id)) {
		json_w_free(&w);
		api_error(x, 404, "not_found", "no task '%s'", ids);
		return;
	}
	api_reply_w(x, 200, &w);
}
