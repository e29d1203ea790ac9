/* control_cmd.c: the control requests: parse one JSON line, act on the VM,
 * and write the JSON response (docs/vmm.md, "Control socket protocol"). */
#include "control.h"
#include "json.h"
#include "log.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "vm.h"
#include "devtab/kinds.h"
#include "savefile.h"
#include "wafer_contract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *ctl_finish(struct json_w *w)
{
	json_w_obj_end(w);
	size_t len;
	char *s = json_w_finish(w, &len);
	if (!s)
		return strdup("{\"ok\":false,\"error\":\"out of memory\"}\n");
	char *line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = 0;
	return line;
}

static char *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ctl_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kbool(&w, "ok", false);
	json_w_kstr(&w, "error", msg);
	return ctl_finish(&w);
}

static void ctl_ok(struct json_w *w)
{
	json_w_init(w);
	json_w_obj_begin(w);
	json_w_kbool(w, "ok", true);
}

static void ctl_kstate(struct json_w *w, struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	enum vm_state s = vm->exit_reason != VMEXIT_NONE ? VM_STOPPED : vm->state;
	pthread_mutex_unlock(&vm->lock);
	json_w_kstr(w, "state", vm_state_name(s));
}

static void ctl_broken_list(struct json_w *w, struct vm *vm)
{
	json_w_key(w, "broken");
	json_w_arr_begin(w);
	for (int i = 0; i < vm->ndevices; i++)
		if (__atomic_load_n(&vm->devices[i].vdev->broken, __ATOMIC_RELAXED))
			json_w_str(w, vm->devices[i].vdev->id);
	json_w_arr_end(w);
}

static void ctl_times(struct json_w *w, struct vm *vm)
{
	json_w_kuint(w, "uptime_ms", (vm_now_ns() - vm->start_ns) / 1000000);
	pthread_mutex_lock(&vm->lock);
	int64_t boot = vm->boot_ms;
	pthread_mutex_unlock(&vm->lock);
	json_w_key(w, "boot_ms");
	if (boot < 0)
		json_w_null(w);
	else
		json_w_int(w, boot);
}

static char *ctl_status(struct vm *vm)
{
	struct json_w w;
	ctl_ok(&w);
	json_w_kstr(&w, "id", vm->cfg->id);
	ctl_kstate(&w, vm);
	json_w_kint(&w, "vcpus", vm->nvcpus);
	json_w_kuint(&w, "memory_mib", vm->cfg->memory_mib);
	json_w_kint(&w, "pid", getpid());
	ctl_times(&w, vm);
	json_w_key(&w, "exit_reason");
	pthread_mutex_lock(&vm->lock);
	enum vm_exit e = vm->exit_reason;
	pthread_mutex_unlock(&vm->lock);
	if (e == VMEXIT_NONE)
		json_w_null(&w);
	else
		json_w_str(&w, vm_exit_name(e));
	ctl_broken_list(&w, vm);
	return ctl_finish(&w);
}

static char *ctl_stats(struct vm *vm)
{
	struct json_w w;
	ctl_ok(&w);
	uint64_t exits = 0, io = 0, mmio = 0;
	for (int i = 0; i < vm->nvcpus; i++) {
		exits += __atomic_load_n(&vm->vcpus[i].exits, __ATOMIC_RELAXED);
		io += __atomic_load_n(&vm->vcpus[i].exits_io, __ATOMIC_RELAXED);
		mmio += __atomic_load_n(&vm->vcpus[i].exits_mmio, __ATOMIC_RELAXED);
	}
	json_w_kuint(&w, "vcpu_time_ns", vcpu_time_ns(vm));
	json_w_kuint(&w, "exits", exits);
	json_w_kuint(&w, "exits_io", io);
	json_w_kuint(&w, "exits_mmio", mmio);
	ctl_times(&w, vm);
	device_stats_all(vm, &w);
	json_w_key(&w, "console");
	json_w_obj_begin(&w);
	json_w_kuint(&w, "bytes", console_end(&vm->console));
	json_w_kuint(&w, "ring_size", vm->console.size);
	json_w_obj_end(&w);
	return ctl_finish(&w);
}

static char *ctl_simple_state(struct vm *vm)
{
	struct json_w w;
	ctl_ok(&w);
	ctl_kstate(&w, vm);
	return ctl_finish(&w);
}

static char *ctl_shutdown(struct vm *vm, const struct json_node *req)
{
	int64_t t = 60;
	char err[160];
	if (json_get(req, VMMCTL_ARG_TIMEOUT_S) &&
	    json_get_int_range(req, VMMCTL_ARG_TIMEOUT_S, 1, 86400, &t, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	pthread_mutex_lock(&vm->lock);
	vm->shutdown_deadline_ns = vm_now_ns() + (uint64_t)t * 1000000000ull;
	if (vm->state == VM_RUNNING)
		vm->state = VM_SHUTTING_DOWN;
	pthread_mutex_unlock(&vm->lock);
	arch_power_button(vm);
	vm_wake_main(vm);
	return ctl_simple_state(vm);
}

/* The paused VM into the --state file (savefile.h). */
static char *ctl_save(struct vm *vm)
{
	char err[256];
	struct savefile_stats st;
	if (vm->cfg->state_fd < 0)
		return ctl_error("no file to save into: start wafer-vmm with --state or --state-fd");
	pthread_mutex_lock(&vm->lock);
	bool paused = vm->state == VM_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	if (!paused)
		return ctl_error("pause the VM before saving it");
	if (savefile_write(vm, vm->cfg->state_fd, &st, err, sizeof err) < 0)
		return ctl_error("save failed: %s", err);
	vmm_log("saved: %llu bytes of state, %llu of %llu pages written, %llu bytes, in %llu ms",
		(unsigned long long)st.state_bytes, (unsigned long long)st.pages_written,
		(unsigned long long)(st.memory_bytes / 4096), (unsigned long long)st.file_bytes,
		(unsigned long long)st.ms);
	struct json_w w;
	ctl_ok(&w);
	json_w_kuint(&w, "state_bytes", st.state_bytes);
	json_w_kuint(&w, "memory_bytes", st.memory_bytes);
	json_w_kuint(&w, "pages_written", st.pages_written);
	json_w_kuint(&w, "file_bytes", st.file_bytes);
	json_w_kuint(&w, "ms", st.ms);
	return ctl_finish(&w);
}

static char *ctl_balloon(struct vm *vm, const struct json_node *req)
{
	int64_t t;
	char err[160];
	struct vm_device *b = device_find(vm, &virtio_balloon_kind);
	if (!b)
		return ctl_error("no balloon device (start the VMM with --balloon)");
	if (json_get_int_range(req, VMMCTL_ARG_TARGET_MIB, 0, (int64_t)vm->cfg->memory_mib, &t, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	virtio_balloon_set_target(b->vdev, (uint64_t)t);
	struct json_w w;
	ctl_ok(&w);
	json_w_kint(&w, VMMCTL_ARG_TARGET_MIB, t);
	return ctl_finish(&w);
}

static char *ctl_console_write(struct vm *vm, const struct json_node *req)
{
	const struct json_node *d = json_get(req, VMMCTL_ARG_DATA);
	if (!json_is(d, JSON_STRING))
		return ctl_error("'data' must be a string");
	if (d->len > 4096)
		return ctl_error("'data' is %zu bytes, at most 4096 per request", d->len);
	size_t n = uart_input(&vm->uart, (const uint8_t *)d->str, d->len);
	struct json_w w;
	ctl_ok(&w);
	json_w_kuint(&w, "written", n);
	return ctl_finish(&w);
}

static char *ctl_console(struct control *c, struct ctl_client *cl, const struct json_node *req)
{
	struct console_ring *con = &c->vm->console;
	const struct json_node *from = json_get(req, VMMCTL_ARG_FROM);
	const struct json_node *f = json_get(req, VMMCTL_ARG_FOLLOW), *in = json_get(req, VMMCTL_ARG_INPUT);
	if ((f && !json_is(f, JSON_BOOL)) || (in && !json_is(in, JSON_BOOL)))
		return ctl_error("'follow' and 'input' must be booleans");
	uint64_t start = console_start(con), end = console_end(con), pos = start;
	if (json_is(from, JSON_STRING) && !strcmp(from->str, "end"))
		pos = end;
	else if (json_is(from, JSON_NUMBER) && from->is_int && from->ival >= 0)
		pos = (uint64_t)from->ival;
	else if (from && !(json_is(from, JSON_STRING) && !strcmp(from->str, "start")))
		return ctl_error("'from' must be a non-negative integer, \"start\" or \"end\"");
	uint64_t lost = pos < start ? start - pos : 0;
	if (pos < start) pos = start;
	if (pos > end) pos = end;
	cl->console = true;
	cl->follow = f && f->bval;
	cl->input = in && in->bval;
	cl->pos = pos;
	cl->stop_at = end;
	if (cl->follow)
		c->followers++;
	struct json_w w;
	ctl_ok(&w);
	json_w_kuint(&w, "offset", pos);
	json_w_kuint(&w, "lost", lost);
	return ctl_finish(&w);
}

static const char *const ctl_keys[] = { VMMCTL_ARG_CMD, VMMCTL_ARG_TIMEOUT_S, VMMCTL_ARG_TARGET_MIB,
					VMMCTL_ARG_DATA, VMMCTL_ARG_FROM, VMMCTL_ARG_FOLLOW,
					VMMCTL_ARG_INPUT, NULL };

static char *ctl_dispatch(struct control *c, struct ctl_client *cl, const struct json_node *req)
{
	struct vm *vm = c->vm;
	const char *cmd = json_get_str(req, VMMCTL_ARG_CMD);
	if (!cmd)
		return ctl_error("missing string member 'cmd'");
	if (!strcmp(cmd, VMMCTL_CMD_STATUS)) return ctl_status(vm);
	if (!strcmp(cmd, VMMCTL_CMD_STATS)) return ctl_stats(vm);
	if (!strcmp(cmd, VMMCTL_CMD_PAUSE)) { vm_pause(vm); return ctl_simple_state(vm); }
	if (!strcmp(cmd, VMMCTL_CMD_RESUME)) { vm_resume(vm); return ctl_simple_state(vm); }
	if (!strcmp(cmd, VMMCTL_CMD_SHUTDOWN)) return ctl_shutdown(vm, req);
	if (!strcmp(cmd, VMMCTL_CMD_STOP)) {
		c->stop_requested = true;
		struct json_w w;
		ctl_ok(&w);
		json_w_kstr(&w, "state", VMM_STATE_STOPPED);
		return ctl_finish(&w);
	}
	if (!strcmp(cmd, VMMCTL_CMD_BALLOON)) return ctl_balloon(vm, req);
	if (!strcmp(cmd, VMMCTL_CMD_SAVE)) return ctl_save(vm);
	if (!strcmp(cmd, VMMCTL_CMD_CONSOLE_WRITE)) return ctl_console_write(vm, req);
	if (!strcmp(cmd, VMMCTL_CMD_CONSOLE)) return ctl_console(c, cl, req);
	return ctl_error("unknown cmd '%s'", cmd);
}

char *control_request(struct control *c, struct ctl_client *cl, const char *line, size_t len)
{
	struct json_doc doc;
	struct json_err jerr;
	struct json_limits lim = { .max_size = CTL_LINE_MAX, .max_depth = 8, .max_nodes = 256 };
	if (len && line[len - 1] == '\r')
		len--;
	if (json_parse(&doc, line, len, &lim, &jerr) < 0)
		return ctl_error("bad JSON: %s", jerr.msg);
	const struct json_node *req = json_root(&doc);
	char err[160];
	char *resp;
	if (!json_is(req, JSON_OBJECT))
		resp = ctl_error("request must be a JSON object");
	else if (json_check_keys(req, ctl_keys, err, sizeof(err)) < 0)
		resp = ctl_error("%s", err);
	else
		resp = ctl_dispatch(c, cl, req);
	json_doc_free(&doc);
	return resp;
}
