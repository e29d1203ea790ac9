/* tasks.h: long-running operations (image uploads, disk clones) tracked with
 * progress, listed at GET /api/v1/tasks and GET /api/v1/tasks/{id}. */
#ifndef WAFER_TASKS_H
#define WAFER_TASKS_H
#include <stdint.h>

/* Returns a task id (>0) or 0 when the table is full. */
unsigned task_begin(const char *kind, const char *target, uint64_t total);
void task_progress(unsigned id, uint64_t done);
/* error NULL: succeeded. */
void task_end(unsigned id, const char *error);
#endif
