/* h_vms.c: /api/v1/vms handlers: list, create, get, patch, delete and the
 * power actions (start, shutdown, stop, reboot, pause, resume). */
#include "server/api.h"
#include "server/events.h"
#include "tls_x509.h"
#include "vms/vm_internal.h"
#include "vmmctl.h"
#include "wlog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void reply_vm(struct api_ctx *x, int status, struct vm *v)
{
	struct json_w w;
	json_w_init(&w);
	vm_write_json(&w, v);
	vm_lock_release();
	api_reply_w(x, status, &w);
}

/* Lock and find the VM of the path, or answer 404 (returns NULL unlocked). */
static struct vm *lock_vm_at(struct api_ctx *x, const char *where)
{
	const char *id = route_param(x->m, "id");
	vm_lock_take_at(where);
	struct vm *v = vm_find(id);
	if (!v) {
		vm_lock_release();
		api_error(x, 404, "not_found", "no VM with id or name '%s'", id);
	}
	return v;
}
#define lock_vm(x) lock_vm_at(x, __func__)

/* One request at a time per VM: while one waits outside the lock (VMM
 * control, boot check, disk preparation), others on the same VM are refused
 * with 409 busy, so every reply matches one serial order of the accepted
 * requests. With the lock held; true (unlocked, answered) when busy. */
static bool refuse_busy(struct api_ctx *x, struct vm *v)
{
	if (!v->busy)
		return false;
	char name[WAFER_NAME_SIZE];
	const char *op = v->busy;
	snprintf(name, sizeof name, "%s", v->spec.name);
	vm_lock_release();
	api_error(x, 409, "busy", "VM '%s' is busy: a %s request is in progress; try again", name, op);
	return true;
}

void h_vms_list(struct api_ctx *x)
{
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "vms");
	json_w_arr_begin(&w);
	vm_lock_take();
	for (int i = 0; i < VM_MAX; i++)
		if (vm_table[i].used)
			vm_write_json(&w, &vm_table[i]);
	vm_lock_release();
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	api_reply_w(x, 200, &w);
}

static void gen_id(char *out)
{
	unsigned char r[VM_ID_LEN / 2];
	tls_rng(NULL, r, sizeof r);
	for (int i = 0; i < VM_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool name_taken(const char *name, const struct vm *self)
{
	for (int i = 0; i < VM_MAX; i++)
		if (vm_table[i].used && &vm_table[i] != self &&
		    (!strcmp(vm_table[i].spec.name, name) || !strcmp(vm_table[i].id, name)))
			return true;
	return false;
}

void h_vms_create(struct api_ctx *x)
{
	struct json_doc d;
	struct vm_limits lim;
	struct vm_spec spec;
	char err[256];
	if (api_body_json(x, &d))
		return;
	vm_host_limits(&lim);
	int rc = vm_spec_parse(json_root(&d), NULL, &lim, &spec, err, sizeof err);
	json_doc_free(&d);
	if (rc) {
		api_error(x, 400, "invalid_spec", "%s", err);
		return;
	}
	for (int i = 0; i < spec.nnics; i++)
		if (!spec.nics[i].mac[0]) {
			unsigned char b[3];
			tls_rng(NULL, b, 3);
			vm_mac_from_bytes(b, spec.nics[i].mac);
		}
	vm_lock_take();
	if (name_taken(spec.name, NULL)) {
		vm_lock_release();
		api_error(x, 409, "conflict", "a VM named '%s' already exists", spec.name);
		return;
	}
	struct vm *v = NULL;
	for (int i = 0; i < VM_MAX && !v; i++)
		if (!vm_table[i].used)
			v = &vm_table[i];
	if (!v) {
		vm_lock_release();
		api_error(x, 507, "too_many_vms", "this host holds at most %d VMs", VM_MAX);
		return;
	}
	memset(v, 0, sizeof *v);
	gen_id(v->id);
	v->spec = spec;
	v->created_ms = wall_ms();
	v->used = true;
	v->busy = "create";
	vm_lock_release();
	/* disks may take a while (image clone): outside the lock */
	rc = vm_prepare_disks(v, err, sizeof err);
	vm_lock_take();
	v->busy = NULL;
	if (rc == 0 && (rc = vm_save(v)) != 0)
		snprintf(err, sizeof err, "cannot store the VM definition: %s", strerror(-rc));
	if (rc) {
		char dir[512];
		for (int i = 0; i < v->spec.ndisks; i++) {
			vm_disk_path(v, i, dir, sizeof dir);
			unlink(dir);
		}
		v->used = false;
		vm_lock_release();
		api_error(x, 500, "storage", "%s", err);
		return;
	}
	events_post_str("vm.created", v->id, "name", v->spec.name);
	wlog(WLOG_INFO, "vm", "created %s (%s) by %s", v->spec.name, v->id, x->c->cn);
	reply_vm(x, 201, v);
}

void h_vm_get(struct api_ctx *x)
{
	struct vm *v = lock_vm(x);
	if (v)
		reply_vm(x, 200, v);
}

void h_vm_patch(struct api_ctx *x)
{
	struct json_doc d;
	struct vm_limits lim;
	struct vm_spec spec;
	char err[256];
	if (api_body_json(x, &d))
		return;
	vm_host_limits(&lim);
	struct vm *v = lock_vm(x);
	if (!v) {
		json_doc_free(&d);
		return;
	}
	const struct json_node *r = json_root(&d);
	int rc = vm_spec_parse(r, &v->spec, &lim, &spec, err, sizeof err);
	bool only_meta = json_is(r, JSON_OBJECT);
	for (const struct json_node *c = r ? r->child : NULL; c; c = c->next)
		only_meta = only_meta && (!strcmp(c->key, "name") || !strcmp(c->key, "autostart"));
	bool has_disks = json_get(r, "disks") != NULL;
	json_doc_free(&d);
	if (rc) {
		vm_lock_release();
		api_error(x, 400, "invalid_spec", "%s", err);
		return;
	}
	if (has_disks) {
		vm_lock_release();
		api_error(x, 400, "invalid_spec", "'disks' cannot be changed by PATCH; create a new VM");
		return;
	}
	if (refuse_busy(x, v))
		return;
	if (!only_meta && v->pid) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s: only 'name' and 'autostart' can change while it runs",
			  v->spec.name, vm_state_name(v->state));
		return;
	}
	if (name_taken(spec.name, v)) {
		vm_lock_release();
		api_error(x, 409, "conflict", "a VM named '%s' already exists", spec.name);
		return;
	}
	for (int i = 0; i < spec.nnics; i++)
		if (!spec.nics[i].mac[0]) {
			unsigned char b[3];
			tls_rng(NULL, b, 3);
			vm_mac_from_bytes(b, spec.nics[i].mac);
		}
	struct vm_spec old = v->spec;
	v->spec = spec;
	if ((rc = vm_save(v)) != 0) {
		v->spec = old;
		vm_lock_release();
		api_error(x, 500, "storage", "cannot store the VM definition: %s", strerror(-rc));
		return;
	}
	events_post("vm.updated", v->id, NULL);
	reply_vm(x, 200, v);
}

void h_vm_delete(struct api_ctx *x)
{
	struct vm *v = lock_vm(x);
	char p[512];
	if (!v || refuse_busy(x, v))
		return;
	if (v->pid) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s: stop it first", v->spec.name, vm_state_name(v->state));
		return;
	}
	vm_def_path(v, p, sizeof p);
	if (unlink(p) < 0 && errno != ENOENT) {
		vm_lock_release();
		api_error(x, 500, "storage", "cannot remove %s: %s", p, strerror(errno));
		return;
	}
	for (int i = 0; i < v->spec.ndisks; i++) {
		vm_disk_path(v, i, p, sizeof p);
		unlink(p);
	}
	vm_remove_dirs(v);
	events_post("vm.deleted", v->id, NULL);
	wlog(WLOG_INFO, "vm", "deleted %s (%s) by %s", v->spec.name, v->id, x->c->cn);
	v->used = false;
	vm_lock_release();
	api_reply(x, 204, "application/json", "", 0, NULL);
}

/* Wait until the VM leaves STARTING, up to ms (vm_lock held; released
 * while waiting on vm_cond, which every state change signals). */
static void wait_started(struct vm *v, int ms)
{
	struct timespec dl;
	vm_deadline(&dl, ms);
	while (v->state == VM_STARTING && vm_cond_wait_until(&dl))
		;
}

/* Wait until the VM's VMM is gone (reaped), up to ms; as above. */
static void wait_exited(struct vm *v, int ms)
{
	struct timespec dl;
	vm_deadline(&dl, ms);
	while (v->pid && vm_cond_wait_until(&dl))
		;
}

void h_vm_start(struct api_ctx *x)
{
	char err[256];
	struct vm *v = lock_vm(x);
	if (!v || refuse_busy(x, v))
		return;
	if (v->pid) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is already %s", v->spec.name, vm_state_name(v->state));
		return;
	}
	/* the spawn (disks, taps, cgroup, the jailed exec) takes time: it runs
	 * without vm_lock on a copy of the VM, which is busy meanwhile, and its
	 * outcome is put back under the lock */
	if (vm_jail_prepare(v, err, sizeof err)) {
		vm_lock_release();
		api_error(x, 409, "start_failed", "cannot start VM '%s': %s", v->spec.name, err);
		return;
	}
	struct vm *copy = malloc(sizeof *copy);
	if (!copy) {
		vm_lock_release();
		api_error(x, 500, "internal", "out of memory");
		return;
	}
	*copy = *v;
	v->busy = "start";
	vm_lock_release();
	int rc = vm_spawn(copy, err, sizeof err);
	vm_lock_take();
	if (rc) {
		v->busy = NULL;
		vm_lock_release();
		free(copy);
		api_error(x, 409, "start_failed", "cannot start VM '%s': %s", v->spec.name, err);
		return;
	}
	v->pid = copy->pid;
	v->jailed = copy->jailed;
	v->own_child = copy->own_child;
	v->stop_requested = copy->stop_requested;
	v->shutdown_requested = copy->shutdown_requested;
	v->started_ms = copy->started_ms;
	free(copy);
	vm_set_state(v, VM_STARTING, NULL);
	wait_started(v, 10000);
	v->busy = NULL;
	if (v->used && v->state == VM_CRASHED) {
		char reason[128];
		snprintf(reason, sizeof reason, "%s", v->exit_reason);
		vm_lock_release();
		api_error(x, 500, "start_failed", "VM failed to start: %s", reason);
		return;
	}
	reply_vm(x, 200, v);
}

/* Run one control request on a running VM (lock held on entry, released).
 * The VM is marked busy while the VMM is asked outside the lock, so the
 * record stays this VM's (delete refuses a busy VM) and no other request
 * interleaves; the state is set only if the VMM is still there. */
static void control_action(struct api_ctx *x, struct vm *v, const char *what)
{
	char path[512], name[WAFER_NAME_SIZE];
	struct vmmctl c;
	if (refuse_busy(x, v))
		return;
	if (!v->pid || v->state == VM_STARTING) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s", v->spec.name, vm_state_name(v->state));
		return;
	}
	if ((!strcmp(what, "pause") && v->state == VM_PAUSED) ||
	    (!strcmp(what, "resume") && v->state != VM_PAUSED)) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s", v->spec.name, vm_state_name(v->state));
		return;
	}
	vm_ctl_path(v, path, sizeof path);
	snprintf(name, sizeof name, "%s", v->spec.name);
	if (!strcmp(what, "stop") || !strcmp(what, "shutdown"))
		v->stop_requested = true;
	if (!strcmp(what, "shutdown"))
		v->shutdown_requested = true;
	v->busy = what;
	vm_lock_release();
	memset(&c, 0, sizeof c);
	c.timeout_ms = 5000;
	int rc = vmmctl_connect(&c, path);
	if (rc == 0) {
		if (!strcmp(what, "pause")) rc = vmmctl_pause(&c);
		else if (!strcmp(what, "resume")) rc = vmmctl_resume(&c);
		else if (!strcmp(what, "shutdown")) rc = vmmctl_shutdown(&c, 60);
		else if (!strcmp(what, "stop")) rc = vmmctl_stop(&c);
	}
	char cerr[256];
	snprintf(cerr, sizeof cerr, "%s", c.err);
	vmmctl_close(&c);
	vm_lock_take();
	bool stop = !strcmp(what, "stop");
	if (stop)   /* the supervisor reaps the VMM; an answer lost as it exits is fine */
		wait_exited(v, 5000);
	v->busy = NULL;
	if (stop && v->pid) {
		vm_lock_release();
		api_error(x, 502, "vmm_error", "VM '%s': wafer-vmm did not exit within 5 s of stop%s%s", name,
			  rc ? ": " : "", rc ? cerr : "");
		return;
	}
	if (rc && v->pid) {
		vm_lock_release();
		api_error(x, 502, "vmm_error", "VM '%s': %s failed: %s", name, what, cerr);
		return;
	}
	if (!stop && !v->pid) {
		/* the VMM ended meanwhile by itself (guest poweroff, crash): say so */
		char st[32];
		snprintf(st, sizeof st, "%s", vm_state_name(v->state));
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s: its VMM ended before the %s took effect", name,
			  st, what);
		return;
	}
	if (!strcmp(what, "pause")) vm_set_state(v, VM_PAUSED, NULL);
	else if (!strcmp(what, "resume")) vm_set_state(v, VM_RUNNING, NULL);
	else if (!strcmp(what, "shutdown")) vm_set_state(v, VM_SHUTTING_DOWN, NULL);
	reply_vm(x, 200, v);
}

void h_vm_stop(struct api_ctx *x) { struct vm *v = lock_vm(x); if (v) control_action(x, v, "stop"); }
void h_vm_shutdown(struct api_ctx *x) { struct vm *v = lock_vm(x); if (v) control_action(x, v, "shutdown"); }
void h_vm_pause(struct api_ctx *x) { struct vm *v = lock_vm(x); if (v) control_action(x, v, "pause"); }
void h_vm_resume(struct api_ctx *x) { struct vm *v = lock_vm(x); if (v) control_action(x, v, "resume"); }

void h_vm_reboot(struct api_ctx *x)
{
	/* hard reset: stop the VMM and start it again with the same definition */
	char err[256];
	struct vm *v = lock_vm(x);
	if (!v || refuse_busy(x, v))
		return;
	if (!v->pid || v->state == VM_STARTING) {
		vm_lock_release();
		api_error(x, 409, "conflict", "VM '%s' is %s", v->spec.name, vm_state_name(v->state));
		return;
	}
	v->stop_requested = true;
	pid_t pid = v->pid;
	bool own = v->own_child;
	v->busy = "reboot";
	kill(pid, SIGTERM);
	wait_exited(v, 5000);
	if (v->pid) {
		v->busy = NULL;
		vm_lock_release();
		api_error(x, 500, "reboot_failed", "wafer-vmm pid %d did not stop (own child: %d)", (int)pid, own);
		return;
	}
	v->restarts++;
	if (vm_start(v, err, sizeof err)) {
		v->busy = NULL;
		vm_lock_release();
		api_error(x, 500, "start_failed", "VM stopped but did not start again: %s", err);
		return;
	}
	wait_started(v, 10000);
	v->busy = NULL;
	reply_vm(x, 200, v);
}
