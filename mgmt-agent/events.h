/* events.h: the event bus: a bounded ring of recent events (VM state
 * changes, host events) with sequence numbers, served as server-sent events
 * on GET /api/v1/events. */
#ifndef WAFER_EVENTS_H
#define WAFER_EVENTS_H
#include <stdint.h>

void events_init(void);
/* type: "vm.state", "vm.created", ...; vm: VM id or NULL; data: a JSON object
 * (raw text) merged into the event as "data". */
void events_post(const char *type, const char *vm, const char *data_json);
uint64_t events_last_seq(void);
#endif
