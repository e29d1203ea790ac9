/* events.c: the event ring and the SSE handler (GET /api/v1/events). A reader
 * that falls more than EVENTS_RING events behind gets an "events.lost" event. */
#include "conn_pool.h"
#include "events.h"
#include "api.h"
#include "wlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_RING 512

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond;
static char *ring[EVENTS_RING];
static uint64_t next_seq = 1;

void events_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&ev_cond, &a);
	pthread_condattr_destroy(&a);
}

void events_data(struct json_w *w)
{
	json_w_init(w);
	json_w_obj_begin(w);
}

void events_post_str(const char *type, const char *vm, const char *key, const char *value)
{
	struct json_w d;
	events_data(&d);
	json_w_kstr(&d, key, value);
	events_post(type, vm, &d);
}

void events_post(const char *type, const char *vm, struct json_w *dw)
{
	size_t dn = 0;
	char *data = NULL;
	if (dw) {
		json_w_obj_end(dw);
		data = json_w_finish(dw, &dn);
	}
	struct json_w w;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&ev_lock);
	uint64_t seq = next_seq;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kuint(&w, "seq", seq);
	json_w_kstr(&w, "type", type);
	json_w_kint(&w, "time_ms", (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if (vm)
		json_w_kstr(&w, "vm", vm);
	json_w_key(&w, "data");
	json_w_raw(&w, data ? data : "{}", data ? dn : 2);   /* the writer's own output */
	json_w_obj_end(&w);
	char *s = json_w_finish(&w, NULL);
	if (s) {
		free(ring[seq % EVENTS_RING]);
		ring[seq % EVENTS_RING] = s;
		next_seq++;
		pthread_cond_broadcast(&ev_cond);
	}
	pthread_mutex_unlock(&ev_lock);
	free(data);
}

uint64_t events_last_seq(void)
{
	pthread_mutex_lock(&ev_lock);
	uint64_t s = next_seq - 1;
	pthread_mutex_unlock(&ev_lock);
	return s;
}

/* Copies the event with sequence seq; NULL when none yet (waits up to ms). */
static char *event_take(uint64_t *seq, int ms, uint64_t *lost)
{
	char *out = NULL;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
	pthread_mutex_lock(&ev_lock);
	while (*seq >= next_seq)
		if (pthread_cond_timedwait(&ev_cond, &ev_lock, &dl) != 0)
			break;
	*lost = 0;
	if (*seq < next_seq) {
		if (next_seq - *seq > EVENTS_RING - 1) {
			*lost = next_seq - *seq - (EVENTS_RING - 1);
			*seq += *lost;
		}
		out = strdup(ring[*seq % EVENTS_RING]);
		(*seq)++;
	}
	pthread_mutex_unlock(&ev_lock);
	return out;
}

/* One frame of the stream: the events.lost notice if some were overwritten,
 * then the event (or a keep-alive comment when e is NULL). 0 or -1. */
static int write_event(struct api_ctx *x, uint64_t seq, char *e, uint64_t lost)
{
	char buf[64];
	int rc = 0;
	if (lost) {
		struct json_w lw;
		size_t ln;
		json_w_init(&lw);
		json_w_obj_begin(&lw);
		json_w_kuint(&lw, "lost", lost);
		json_w_obj_end(&lw);
		char *l = json_w_finish(&lw, &ln);
		rc = l ? api_stream_write(x, "event: events.lost\ndata: ", 26) : -1;
		rc = rc ? rc : api_stream_write(x, l, ln);
		rc = rc ? rc : api_stream_write(x, "\n\n", 2);
		free(l);
	}
	if (!e)
		return rc ? rc : api_stream_write(x, ": keep-alive\n\n", 14);
	int n = snprintf(buf, sizeof buf, "id: %llu\ndata: ", (unsigned long long)seq);
	rc = rc ? rc : api_stream_write(x, buf, (size_t)n);
	if (!rc) {
		size_t el = strlen(e);
		char *m = malloc(el + 3);
		if (!m)
			return -1;
		memcpy(m, e, el);
		memcpy(m + el, "\n\n", 3);
		rc = api_stream_write(x, m, el + 2);
		free(m);
	}
	return rc;
}

void h_events(struct api_ctx *x)
{
	char v[32];
	uint64_t seq = events_last_seq() + 1;
	const char *last = http_header(x->req, "last-event-id");
	if (http_query_param(x->req, "since", v, sizeof v) == 1)
		last = v;
	if (last) {
		char *end;
		unsigned long long s = strtoull(last, &end, 10);
		if (!*last || *end) {
			api_error(x, 400, "bad_request", "'since' must be an event sequence number");
			return;
		}
		seq = s + 1;
		if (seq < 1)
			seq = 1;
	}
	/* follow=0: the events kept since 'since', then the end (not a stream) */
	bool follow = true;
	if (http_query_param(x->req, "follow", v, sizeof v) == 1)
		follow = !(!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"));
	if (!follow) {
		if (api_stream_begin(x, 200, "text/event-stream", NULL))
			return;
		for (;;) {
			uint64_t lost;
			char *e = event_take(&seq, 0, &lost);
			if (!e && !lost)
				break;
			int rc = write_event(x, seq - 1, e, lost);
			free(e);
			if (rc || !e)
				break;
		}
		return;
	}
	if (pool_stream_hold(x) || api_stream_begin(x, 200, "text/event-stream", NULL))
		return;
	x->keep_alive = false;
	x->c->deadline_ms = 0;
	for (;;) {
		uint64_t lost;
		char *e = event_take(&seq, 15000, &lost);
		int rc = write_event(x, seq - 1, e, lost);
		free(e);
		if (rc)
			break;
	}
}
