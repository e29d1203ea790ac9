/* tasks.h: long-running operations (image uploads, host updates, VM power
 * actions asked with Prefer: respond-async) tracked with
 * progress, listed at GET /api/v1/tasks and GET /api/v1/tasks/{id}. */
#ifndef WAFER_TASKS_H
#define WAFER_TASKS_H
#include "json.h"

#include <stdbool.h>
#include <stdint.h>

/* Returns a task id (>0) or 0 when the table is full. */
unsigned task_begin(const char *kind, const char *target, uint64_t total);
void task_progress(unsigned id, uint64_t done);
/* The units in all, once known after the task began. */
void task_total(unsigned id, uint64_t total);
/* error NULL: succeeded. */
void task_end(unsigned id, const char *error);
/* {"tasks": [Task]} into w. */
void task_write_all(struct json_w *w);
/* One Task object into w; false (nothing written) when there is no such task. */
bool task_write(struct json_w *w, unsigned id);
#endif
