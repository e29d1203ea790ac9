/* events.h: the event bus: a bounded ring of recent events (VM state
 * changes, host events) with sequence numbers, served as server-sent events
 * on GET /api/v1/events. */
#ifndef WAFER_EVENTS_H
#define WAFER_EVENTS_H
#include <stdint.h>

void events_init(void);
struct json_w;
/* An event's "data" is written with the one JSON writer (which escapes):
 * events_data(&w) opens the object, json_w_k*() add members, events_post
 * closes it and takes it over. type: "vm.state", "vm.created", ...; vm: a VM
 * id or NULL; data NULL: {}. */
void events_data(struct json_w *w);
void events_post(const char *type, const char *vm, struct json_w *data);
/* The same with one string member: {"key":"value"}. */
void events_post_str(const char *type, const char *vm, const char *key, const char *value);
uint64_t events_last_seq(void);
#endif
