/* tasks.c: the task table (bounded; finished tasks are recycled oldest
 * first); api/h_tasks.c answers GET /api/v1/tasks from it. */
#include "tasks.h"
#include "server/events.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TASKS_MAX 64

struct task {
	unsigned id;
	char kind[32], target[80], state[12], error[160];
	uint64_t total, done, started_ms, finished_ms;
};

static pthread_mutex_t task_lock = PTHREAD_MUTEX_INITIALIZER;
static struct task tasks[TASKS_MAX];
static unsigned next_id = 1;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct task *find(unsigned id)
{
	for (int i = 0; i < TASKS_MAX; i++)
		if (tasks[i].id == id)
			return &tasks[i];
	return NULL;
}

unsigned task_begin(const char *kind, const char *target, uint64_t total)
{
	struct task *slot = NULL;
	pthread_mutex_lock(&task_lock);
	for (int i = 0; i < TASKS_MAX; i++) {
		struct task *t = &tasks[i];
		if (!t->id) { slot = t; break; }
		if (strcmp(t->state, "running") && (!slot || t->finished_ms < slot->finished_ms))
			slot = t;
	}
	unsigned id = 0;
	if (slot) {
		memset(slot, 0, sizeof *slot);
		slot->id = id = next_id++;
		snprintf(slot->kind, sizeof slot->kind, "%s", kind);
		snprintf(slot->target, sizeof slot->target, "%s", target);
		snprintf(slot->state, sizeof slot->state, "running");
		slot->total = total;
		slot->started_ms = now_ms();
	}
	pthread_mutex_unlock(&task_lock);
	return id;
}

void task_progress(unsigned id, uint64_t done)
{
	pthread_mutex_lock(&task_lock);
	struct task *t = find(id);
	if (t)
		t->done = done;
	pthread_mutex_unlock(&task_lock);
}

void task_total(unsigned id, uint64_t total)
{
	pthread_mutex_lock(&task_lock);
	struct task *t = find(id);
	if (t)
		t->total = total;
	pthread_mutex_unlock(&task_lock);
}

void task_end(unsigned id, const char *error)
{
	struct json_w ev;
	pthread_mutex_lock(&task_lock);
	struct task *t = find(id);
	if (t) {
		snprintf(t->state, sizeof t->state, "%s", error ? "failed" : "succeeded");
		snprintf(t->error, sizeof t->error, "%s", error ? error : "");
		t->finished_ms = now_ms();
		events_data(&ev);
		json_w_kuint(&ev, "id", id);
		json_w_kstr(&ev, "kind", t->kind);
		json_w_kstr(&ev, "state", t->state);
	}
	pthread_mutex_unlock(&task_lock);
	if (t)
		events_post("task.finished", NULL, &ev);
}

static void write_task(struct json_w *w, const struct task *t)
{
	json_w_obj_begin(w);
	json_w_kuint(w, "id", t->id);
	json_w_kstr(w, "kind", t->kind);
	json_w_kstr(w, "target", t->target);
	json_w_kstr(w, "state", t->state);
	json_w_kuint(w, "done", t->done);
	if (t->total)
		json_w_kuint(w, "total", t->total);
	json_w_kdouble(w, "progress", t->total ? (double)t->done / (double)t->total :
			 strcmp(t->state, "running") ? 1.0 : 0.0);
	json_w_kuint(w, "started_ms", t->started_ms);
	if (t->finished_ms)
		json_w_kuint(w, "finished_ms", t->finished_ms);
	if (t->error[0])
		json_w_kstr(w, "error", t->error);
	json_w_obj_end(w);
}

void task_write_all(struct json_w *w)
{
	json_w_obj_begin(w);
	json_w_key(w, "tasks");
	json_w_arr_begin(w);
	pthread_mutex_lock(&task_lock);
	for (int i = 0; i < TASKS_MAX; i++)
		if (tasks[i].id)
			write_task(w, &tasks[i]);
	pthread_mutex_unlock(&task_lock);
	json_w_arr_end(w);
	json_w_obj_end(w);
}

bool task_write(struct json_w *w, unsigned id)
{
	pthread_mutex_lock(&task_lock);
	struct task *t = id ? find(id) : NULL;
	if (t)
		write_task(w, t);
	pthread_mutex_unlock(&task_lock);
	return t != NULL;
}
