/* vm_service.c: the VM service (vm_service.h): create, change, delete and
 * the power actions of VMs, with vm_lock held only for short sections. */
#include "vm_service.h"
#include "vm_internal.h"
#include "agent.h"
#include "fsutil.h"
#include "server/events.h"
#include "tasks.h"
#include "tls_x509.h"
#include "vmmctl.h"
#include "wlog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define START_CHECK_MS 10000   /* start and reboot wait this long for the VM to run */
#define STOP_WAIT_MS   5000    /* stop and reboot wait this long for the VMM to go */
#define SHUTDOWN_S     60      /* graceful shutdown: the VMM stops the guest after this */

static const char *const action_names[] = { "start", "shutdown", "stop", "reboot", "pause", "resume", "suspend" };

const char *vm_action_name(enum vm_action a)
{
	return (unsigned)a < sizeof action_names / sizeof action_names[0] ? action_names[a] : "?";
}

int vm_fail(struct vm_result *r, enum vm_outcome o, const char *fmt, ...)
{
	va_list ap;
	r->outcome = o;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof r->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int vm_ok(struct vm_result *r)
{
	r->outcome = VM_OK;
	r->msg[0] = '\0';
	return 0;
}

struct vm *vm_lock_find_at(const char *key, struct vm_result *r, const char *where)
{
	vm_lock_take_at(where);
	struct vm *v = vm_find(key);
	if (!v) {
		vm_lock_release();
		vm_fail(r, VM_E_NOT_FOUND, "no VM with id or name '%s'", key);
	}
	return v;
}

bool vm_refuse_busy(struct vm *v, struct vm_result *r)
{
	if (!v->busy && !v->reaping)
		return false;
	if (v->busy)
		vm_fail(r, VM_E_BUSY, "VM '%s' is busy: a %s request is in progress; try again", v->spec.name, v->busy);
	else
		vm_fail(r, VM_E_BUSY, "VM '%s' is busy: its VMM exited and is being cleaned up; try again",
		     v->spec.name);
	vm_lock_release();
	return true;
}

int vm_refuse_state(struct vm *v, struct vm_result *r, const char *fmt_tail)
{
	vm_fail(r, VM_E_STATE, "VM '%s' is %s%s", v->spec.name, vm_state_name(v->state), fmt_tail);
	vm_lock_release();
	return -1;
}

int vm_reply_copy(struct vm *v, struct json_w *w, struct vm_result *r)
{
	if (!w) {
		vm_lock_release();
		return vm_ok(r);
	}
	struct vm *copy = malloc(sizeof *copy);
	if (!copy) {
		vm_lock_release();
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	}
	*copy = *v;
	vm_lock_release();
	vm_write_json(w, copy);
	free(copy);
	return vm_ok(r);
}

void vm_svc_list(struct json_w *w)
{
	struct vm *copies = NULL;
	int n = 0;
	vm_lock_take();
	int used = 0;
	for (int i = 0; i < VM_MAX; i++)
		used += vm_table[i].used;
	if (used && (copies = malloc((size_t)used * sizeof *copies)) != NULL)
		for (int i = 0; i < VM_MAX; i++)
			if (vm_table[i].used)
				copies[n++] = vm_table[i];
	vm_lock_release();
	json_w_obj_begin(w);
	json_w_key(w, "vms");
	json_w_arr_begin(w);
	for (int i = 0; i < n; i++)
		vm_write_json(w, &copies[i]);
	json_w_arr_end(w);
	json_w_obj_end(w);
	free(copies);
	if (used && !copies)
		w->oom = true;   /* json_w_finish fails: the handler answers 500 */
}

int vm_svc_get(const char *key, struct json_w *w, struct vm_result *r)
{
	struct vm *v = vm_lock_find(key, r);
	return v ? vm_reply_copy(v, w, r) : -1;
}

static void gen_id(char *out)
{
	unsigned char b[VM_ID_LEN / 2];
	tls_rng(NULL, b, sizeof b);
	for (int i = 0; i < VM_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void gen_macs(struct vm_spec *spec)
{
	for (int i = 0; i < spec->nnics; i++)
		if (!spec->nics[i].mac[0]) {
			unsigned char b[3];
			tls_rng(NULL, b, 3);
			vm_mac_from_bytes(b, spec->nics[i].mac);
		}
}

static bool name_taken(const char *name, const struct vm *self)
{
	for (int i = 0; i < VM_MAX; i++)
		if (vm_table[i].used && &vm_table[i] != self &&
		    (!strcmp(vm_table[i].spec.name, name) || !strcmp(vm_table[i].id, name)))
			return true;
	return false;
}

/* The definition of a busy VM written without the lock (vm_save syncs the
 * file): from a copy, so readers under the lock see a stable record. */
int vm_save_busy(struct vm *v)
{
	struct vm *copy = malloc(sizeof *copy);
	if (!copy) {
		vm_lock_release();
		vm_lock_take();
		return -ENOMEM;
	}
	*copy = *v;
	vm_lock_release();
	int rc = vm_save(copy);
	free(copy);
	vm_lock_take();
	return rc;
}

struct vm *vm_new_record(const struct vm_spec *spec, const char *want_id, struct vm_result *r)
{
	vm_lock_take();
	if (name_taken(spec->name, NULL)) {
		vm_lock_release();
		vm_fail(r, VM_E_EXISTS, "a VM named '%s' already exists", spec->name);
		return NULL;
	}
	struct vm *v = NULL;
	for (int i = 0; i < VM_MAX && !v; i++)
		if (!vm_table[i].used)
			v = &vm_table[i];
	if (!v) {
		vm_lock_release();
		vm_fail(r, VM_E_FULL, "this host holds at most %d VMs", VM_MAX);
		return NULL;
	}
	memset(v, 0, sizeof *v);
	if (want_id && strlen(want_id) == VM_ID_LEN && strspn(want_id, "0123456789abcdef") == VM_ID_LEN &&
	    !vm_find(want_id))
		snprintf(v->id, sizeof v->id, "%s", want_id);
	else
		gen_id(v->id);
	v->spec = *spec;
	v->created_ms = wall_ms();
	v->used = true;
	return v;
}

/* POST /api/v1/vms with clone_of {"vm", "snapshot"}: the request without
 * clone_of into top (its members copied into kids), and the snapshot's name;
 * the request must name the clone and may not give disks (they are the
 * snapshot's). 0, or -1 with r. */
static int clone_request(const struct json_node *root, const struct json_node *clone, struct json_node *top,
			 struct json_node *kids, int max, char snap[WAFER_NAME_SIZE], char vm[WAFER_NAME_SIZE],
			 struct vm_result *r)
{
	static const char *const keys[] = { "vm", "snapshot", NULL };
	char err[160];
	if (!json_is(root, JSON_OBJECT))
		return vm_fail(r, VM_E_INVALID, "the VM spec must be a JSON object");
	if (!json_is(clone, JSON_OBJECT) || json_check_keys(clone, keys, err, sizeof err))
		return vm_fail(r, VM_E_INVALID, "'clone_of': %s",
			       json_is(clone, JSON_OBJECT) ? err : "an object {\"vm\": ID or name, \"snapshot\": NAME}");
	const char *v = json_get_str(clone, "vm"), *s = json_get_str(clone, "snapshot");
	if (!v || !s)
		return vm_fail(r, VM_E_INVALID, "'clone_of' needs 'vm' (an id or name) and 'snapshot' (a name)");
	if (strlen(v) > WAFER_NAME_MAX || strlen(s) > WAFER_NAME_MAX)
		return vm_fail(r, VM_E_INVALID, "'clone_of': a name is longer than %d characters", WAFER_NAME_MAX);
	snprintf(vm, WAFER_NAME_SIZE, "%s", v);
	snprintf(snap, WAFER_NAME_SIZE, "%s", s);
	if (!json_get(root, "name"))
		return vm_fail(r, VM_E_INVALID, "'name' is required: the clone's name");
	if (json_get(root, "disks"))
		return vm_fail(r, VM_E_INVALID, "'disks' cannot be given with 'clone_of': a clone has the snapshot's disks");
	*top = *root;
	top->child = NULL;
	struct json_node *last = NULL;
	int n = 0;
	for (const struct json_node *c = root->child; c; c = c->next) {
		if (c == clone)
			continue;
		if (n == max)
			return vm_fail(r, VM_E_INVALID, "the VM spec has too many members");
		kids[n] = *c;
		kids[n].next = NULL;
		if (last)
			last->next = &kids[n];
		else
			top->child = &kids[n];
		last = &kids[n++];
	}
	return 0;
}

int vm_svc_create(const struct json_node *root, const char *who, struct json_w *w, struct vm_result *r)
{
	struct vm_limits lim;
	struct vm_spec spec;
	char err[sizeof r->msg], src_id[VM_ID_LEN + 1] = "", snap[WAFER_NAME_SIZE] = "", src_vm[WAFER_NAME_SIZE] = "";
	uint32_t disk_files = 0;
	vm_host_limits(&lim);
	const struct json_node *clone = json_get(root, "clone_of");
	if (clone) {
		struct json_node top, kids[32];
		struct vm_spec base;
		if (clone_request(root, clone, &top, kids, 32, snap, src_vm, r) ||
		    vm_snapshot_for_clone(src_vm, snap, &base, src_id, &disk_files, r))
			return -1;
		if (vm_spec_parse(&top, &base, &lim, &spec, err, sizeof err))
			return vm_fail(r, VM_E_INVALID, "%s", err);
	} else if (vm_spec_parse(root, NULL, &lim, &spec, err, sizeof err)) {
		return vm_fail(r, VM_E_INVALID, "%s", err);
	}
	gen_macs(&spec);
	struct vm *v = vm_new_record(&spec, NULL, r);
	if (!v)
		return -1;
	v->busy = "create";
	vm_lock_release();
	/* disks may take a while (image clone, a snapshot's disks): outside the lock, as the write */
	struct vm_result cr = { VM_OK, "" };
	int rc = src_id[0] ? vm_snapshot_clone_disks(src_id, snap, disk_files, v, &cr) : 0;
	if (rc)
		snprintf(err, sizeof err, "%s", cr.msg);
	else
		rc = vm_prepare_disks(v, err, sizeof err);
	vm_lock_take();
	if (rc == 0 && (rc = vm_save_busy(v)) != 0)
		snprintf(err, sizeof err, "cannot store the VM definition: %s", strerror(-rc));
	v->busy = NULL;
	if (rc) {
		char p[512];
		for (int i = 0; i < v->spec.ndisks; i++) {
			vm_disk_path(v, i, p, sizeof p);
			unlink(p);
		}
		agent_path(p, sizeof p, agent_cfg.data_dir, "wafer/vms/%s", v->id);
		rmdir(p);
		v->used = false;
		vm_lock_release();
		return vm_fail(r, cr.outcome == VM_E_SPACE ? VM_E_SPACE : VM_E_STORAGE, "%s", err);
	}
	events_post_str("vm.created", v->id, "name", v->spec.name);
	if (src_id[0])
		wlog(WLOG_INFO, "vm", "created %s (%s) by %s, a clone of snapshot %s of %s", v->spec.name, v->id, who,
		     snap, src_vm);
	else
		wlog(WLOG_INFO, "vm", "created %s (%s) by %s", v->spec.name, v->id, who);
	return vm_reply_copy(v, w, r);
}

int vm_svc_patch(const char *key, const struct json_node *root, struct json_w *w, struct vm_result *r)
{
	struct vm_limits lim;
	struct vm_spec spec;
	char err[256];
	vm_host_limits(&lim);
	struct vm *v = vm_lock_find(key, r);
	if (!v)
		return -1;
	int rc = vm_spec_parse(root, &v->spec, &lim, &spec, err, sizeof err);
	bool only_meta = json_is(root, JSON_OBJECT);
	for (const struct json_node *c = root ? root->child : NULL; c; c = c->next)
		only_meta = only_meta && (!strcmp(c->key, "name") || !strcmp(c->key, "autostart"));
	if (rc) {
		vm_lock_release();
		return vm_fail(r, VM_E_INVALID, "%s", err);
	}
	if (json_get(root, "disks")) {
		vm_lock_release();
		return vm_fail(r, VM_E_INVALID, "'disks' cannot be changed by PATCH; create a new VM");
	}
	if (vm_refuse_busy(v, r))
		return -1;
	if (!only_meta && v->pid)
		return vm_refuse_state(v, r, ": only 'name' and 'autostart' can change while it runs");
	if (!only_meta && v->state == VM_SUSPENDED)
		return vm_refuse_state(v, r, ": only 'name' and 'autostart' can change until it resumes (start) or "
					  "its saved state is discarded (stop)");
	if (name_taken(spec.name, v)) {
		vm_lock_release();
		return vm_fail(r, VM_E_EXISTS, "a VM named '%s' already exists", spec.name);
	}
	gen_macs(&spec);
	struct vm_spec old = v->spec;
	v->spec = spec;
	if (spec.restart == VM_RESTART_NEVER)
		v->restart_at_ms = 0;   /* a pending restart is off with the policy */
	v->busy = "patch";
	rc = vm_save_busy(v);
	v->busy = NULL;
	if (rc) {
		v->spec = old;
		vm_lock_release();
		return vm_fail(r, VM_E_STORAGE, "cannot store the VM definition: %s", strerror(-rc));
	}
	events_post("vm.updated", v->id, NULL);
	return vm_reply_copy(v, w, r);
}

int vm_svc_delete(const char *key, const char *who, struct vm_result *r)
{
	char p[512], name[WAFER_NAME_SIZE], id[VM_ID_LEN + 1];
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r))
		return -1;
	if (v->pid)
		return vm_refuse_state(v, r, ": stop it first");
	v->busy = "delete";
	snprintf(name, sizeof name, "%s", v->spec.name);
	snprintf(id, sizeof id, "%s", v->id);
	vm_lock_release();
	/* the files go without the lock (a large disk takes a while to free);
	 * the busy VM is this one's until the record is released below */
	vm_def_path(v, p, sizeof p);
	if (unlink(p) < 0 && errno != ENOENT) {
		int e = errno;
		vm_lock_take();
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_STORAGE, "cannot remove %s: %s", p, strerror(e));
	}
	for (int i = 0; i < v->spec.ndisks; i++) {
		vm_disk_path(v, i, p, sizeof p);
		unlink(p);
	}
	vm_remove_dirs(v);
	vm_lock_take();
	events_post("vm.deleted", id, NULL);
	v->used = false;
	v->busy = NULL;
	vm_lock_release();
	wlog(WLOG_INFO, "vm", "deleted %s (%s) by %s", name, id, who);
	return vm_ok(r);
}

/* Wait until the VM leaves STARTING, up to ms (vm_lock held; released while
 * waiting on vm_cond, which every state change signals). */
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

/* Start v's VMM and wait for its boot check. With the lock held and v busy;
 * returns with it held. The spawn (disks, taps, cgroup, the jailed exec) runs
 * without the lock on a copy of the VM, and its outcome is put back. */
static int start_locked(struct vm *v, struct vm_result *r)
{
	char err[256];
	if (vm_jail_prepare(v, err, sizeof err))
		return vm_fail(r, VM_E_START, "cannot start VM '%s': %s", v->spec.name, err);
	struct vm *copy = malloc(sizeof *copy);
	if (!copy)
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	*copy = *v;
	vm_lock_release();
	int rc = vm_spawn(copy, err, sizeof err);
	vm_lock_take();
	if (rc) {
		free(copy);
		return vm_fail(r, VM_E_START, "cannot start VM '%s': %s", v->spec.name, err);
	}
	v->pid = copy->pid;
	v->jailed = copy->jailed;
	v->own_child = copy->own_child;
	v->stop_requested = copy->stop_requested;
	v->shutdown_requested = copy->shutdown_requested;
	v->started_ms = copy->started_ms;
	free(copy);
	vm_set_state(v, VM_STARTING, NULL);
	/* a resume reads the guest's memory first: about 1 s per 256 MiB here */
	uint64_t wait = START_CHECK_MS + (v->restore ? v->spec.memory_mib * 40 : 0);
	wait_started(v, (int)(wait < 600000 ? wait : 600000));
	/* once it runs, the supervisor removes the saved state (vm_run.c) */
	if (v->restore && v->state == VM_SUSPENDED) {
		v->restore = false;
		return vm_fail(r, VM_E_BOOT, "VM '%s' could not resume: %s", v->spec.name, v->exit_reason);
	}
	if (v->state == VM_CRASHED)
		return vm_fail(r, VM_E_BOOT, "VM failed to start: %s", v->exit_reason);
	return vm_ok(r);
}

static int do_start(struct vm *v, bool by_operator, struct json_w *w, struct vm_result *r)
{
	v->restart_at_ms = 0;   /* a pending restart is this start */
	if (by_operator)
		v->restart_attempts = 0;
	else if (v->restart_attempts)
		v->restarts++;      /* a start its restart policy scheduled */
	if (v->pid) {
		vm_fail(r, VM_E_STATE, "VM '%s' is already %s", v->spec.name, vm_state_name(v->state));
		vm_lock_release();
		return -1;
	}
	v->busy = "start";
	v->restore = v->state == VM_SUSPENDED;
	int rc = start_locked(v, r);
	if (!v->pid)
		v->restore = false;
	v->busy = NULL;
	if (rc) {
		vm_lock_release();
		return -1;
	}
	return vm_reply_copy(v, w, r);
}

/* Hard reset: stop the VMM and start it again with the same definition. */
static int do_reboot(struct vm *v, struct json_w *w, struct vm_result *r)
{
	if (!v->pid || v->state == VM_STARTING)
		return vm_refuse_state(v, r, "");
	v->stop_requested = true;
	pid_t pid = v->pid;
	bool own = v->own_child;
	v->busy = "reboot";
	kill(pid, SIGTERM);
	wait_exited(v, STOP_WAIT_MS);
	if (v->pid) {
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_STOP, "wafer-vmm pid %d did not stop (own child: %d)", (int)pid, own);
	}
	v->restarts++;
	int rc = start_locked(v, r);
	v->busy = NULL;
	if (rc) {
		char m[sizeof r->msg];
		snprintf(m, sizeof m, "%s", r->msg);
		vm_lock_release();
		return vm_fail(r, r->outcome == VM_E_NOMEM ? VM_E_NOMEM : VM_E_BOOT,
			    "VM stopped but did not start again: %.280s", m);
	}
	return vm_reply_copy(v, w, r);
}

/* Stop of a suspended VM: its saved state is discarded (the next start
 * boots afresh). */
static int discard_saved(struct vm *v, struct json_w *w, struct vm_result *r)
{
	char p[512], name[WAFER_NAME_SIZE];
	vm_saved_path(v, false, p, sizeof p);
	snprintf(name, sizeof name, "%s", v->spec.name);
	v->busy = "stop";
	vm_lock_release();
	int rc = unlink(p) < 0 && errno != ENOENT ? -errno : 0;
	vm_lock_take();
	v->busy = NULL;
	if (rc) {
		vm_lock_release();
		return vm_fail(r, VM_E_STORAGE, "VM '%s': cannot discard its saved state %s: %s", name, p, strerror(-rc));
	}
	v->saved = (struct vm_saved){ 0 };
	vm_set_state(v, VM_STOPPED, "saved state discarded");
	return vm_reply_copy(v, w, r);
}

/* Suspend: pause (unless paused), save into the VMM's --state file
 * (suspend.new), stop the VMM, then keep the file as suspend.sav; the VM is
 * suspended and the next start resumes it. A failed save leaves the guest
 * running as it was; nothing is kept unless the VMM is gone. */
static int do_suspend(struct vm *v, struct json_w *w, struct vm_result *r)
{
	char path[512], name[WAFER_NAME_SIZE], cerr[256] = "", tmp[512], sav[512];
	if (!v->pid || (v->state != VM_RUNNING && v->state != VM_PAUSED))
		return vm_refuse_state(v, r, "");
	bool was_paused = v->state == VM_PAUSED;
	vm_ctl_path(v, path, sizeof path);
	vm_saved_path(v, true, tmp, sizeof tmp);
	vm_saved_path(v, false, sav, sizeof sav);
	snprintf(name, sizeof name, "%s", v->spec.name);
	uint64_t mem_mib = v->spec.memory_mib;
	v->busy = "suspend";
	vm_lock_release();
	struct vmmctl c;
	struct vmmctl_save sv;
	memset(&c, 0, sizeof c);
	c.timeout_ms = 5000;
	bool paused = false;
	int rc = vmmctl_connect(&c, path);
	if (rc == 0 && !was_paused)
		paused = (rc = vmmctl_pause(&c)) == 0;
	if (rc == 0) {
		/* the VMM answers once the file is written and synced */
		c.timeout_ms = (int)(60000 + mem_mib * 100 < 1800000 ? 60000 + mem_mib * 100 : 1800000);
		rc = vmmctl_save(&c, &sv);
	}
	if (rc) {
		snprintf(cerr, sizeof cerr, "%s", c.err);
		c.timeout_ms = 5000;
		if (paused)
			vmmctl_resume(&c);   /* as it was */
		vmmctl_close(&c);
		vm_lock_take();
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_VMM, "VM '%s': suspend failed: %s; the VM runs on%s", name, cerr,
			    was_paused ? " (paused)" : "");
	}
	vm_lock_take();
	v->stop_requested = true;
	v->suspending = true;
	vm_lock_release();
	c.timeout_ms = 5000;
	vmmctl_stop(&c);   /* it may exit before its answer arrives */
	vmmctl_close(&c);
	vm_lock_take();
	wait_exited(v, STOP_WAIT_MS);
	v->suspending = false;
	if (v->pid) {
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_VMM, "VM '%s': wafer-vmm did not exit within 5 s of its save: no saved state kept",
			    name);
	}
	bool keep = v->state == VM_SUSPENDED;   /* the reaper saw the VMM end as asked */
	vm_lock_release();
	int e = 0;
	if (!keep)
		e = -1;
	else if (rename(tmp, sav) < 0)
		e = errno;
	else
		fs_fsync_parent(sav);
	vm_lock_take();
	if (e) {
		if (e < 0)
			vm_fail(r, VM_E_VMM, "VM '%s': its VMM ended otherwise (%s) after the save: no saved state kept",
			     name, v->exit_reason);
		else
			vm_fail(r, VM_E_STORAGE, "VM '%s': cannot keep the saved state %s: %s", name, sav, strerror(e));
		if (v->state == VM_SUSPENDED)
			vm_set_state(v, VM_STOPPED, "suspend failed: the saved state could not be kept");
		v->busy = NULL;
		vm_lock_release();
		return -1;
	}
	vm_saved_stat(v);
	v->saved.save_ms = sv.ms;
	wlog(WLOG_INFO, "vm", "%s: suspended: %llu bytes saved (%llu on the datastore, %llu of %llu pages) in %llu ms",
	     name, (unsigned long long)v->saved.bytes, (unsigned long long)v->saved.allocated,
	     (unsigned long long)sv.pages_written, (unsigned long long)(sv.memory_bytes / 4096),
	     (unsigned long long)sv.ms);
	v->busy = NULL;
	return vm_reply_copy(v, w, r);
}

/* One control request to a running VM's VMM, outside the lock; the state is
 * set only if the VMM is still there. wait_off: a shutdown waits for the
 * guest to power off (the task form). */
static int do_control(struct vm *v, enum vm_action a, bool wait_off, struct json_w *w, struct vm_result *r)
{
	char path[512], name[WAFER_NAME_SIZE];
	const char *what = vm_action_name(a);
	struct vmmctl c;
	if (a == VM_ACT_STOP && v->state == VM_SUSPENDED && !v->pid)
		return discard_saved(v, w, r);
	if (!v->pid || v->state == VM_STARTING ||
	    (a == VM_ACT_PAUSE && v->state == VM_PAUSED) || (a == VM_ACT_RESUME && v->state != VM_PAUSED))
		return vm_refuse_state(v, r, "");
	vm_ctl_path(v, path, sizeof path);
	snprintf(name, sizeof name, "%s", v->spec.name);
	if (a == VM_ACT_STOP || a == VM_ACT_SHUTDOWN)
		v->stop_requested = true;
	if (a == VM_ACT_SHUTDOWN)
		v->shutdown_requested = true;
	v->busy = what;
	vm_lock_release();
	memset(&c, 0, sizeof c);
	c.timeout_ms = 5000;
	int rc = vmmctl_connect(&c, path);
	if (rc == 0) {
		switch (a) {
		case VM_ACT_PAUSE: rc = vmmctl_pause(&c); break;
		case VM_ACT_RESUME: rc = vmmctl_resume(&c); break;
		case VM_ACT_SHUTDOWN: rc = vmmctl_shutdown(&c, SHUTDOWN_S); break;
		default: rc = vmmctl_stop(&c); break;
		}
	}
	char cerr[256];
	snprintf(cerr, sizeof cerr, "%s", c.err);
	vmmctl_close(&c);
	vm_lock_take();
	bool stop = a == VM_ACT_STOP;
	if (stop)   /* the supervisor reaps the VMM; an answer lost as it exits is fine */
		wait_exited(v, STOP_WAIT_MS);
	if (stop && v->pid) {
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_VMM, "VM '%s': wafer-vmm did not exit within 5 s of stop%s%s", name,
			    rc ? ": " : "", rc ? cerr : "");
	}
	if (rc && v->pid) {
		v->busy = NULL;
		vm_lock_release();
		return vm_fail(r, VM_E_VMM, "VM '%s': %s failed: %s", name, what, cerr);
	}
	if (!stop && !v->pid) {
		/* the VMM ended meanwhile by itself (guest poweroff, crash): say so */
		v->busy = NULL;
		vm_fail(r, VM_E_STATE, "VM '%s' is %s: its VMM ended before the %s took effect", name,
		     vm_state_name(v->state), what);
		vm_lock_release();
		return -1;
	}
	if (a == VM_ACT_PAUSE) vm_set_state(v, VM_PAUSED, NULL);
	else if (a == VM_ACT_RESUME) vm_set_state(v, VM_RUNNING, NULL);
	else if (a == VM_ACT_SHUTDOWN) vm_set_state(v, VM_SHUTTING_DOWN, NULL);
	if (a == VM_ACT_SHUTDOWN && wait_off) {
		wait_exited(v, (SHUTDOWN_S + 5) * 1000);
		if (v->pid) {
			v->busy = NULL;
			vm_lock_release();
			return vm_fail(r, VM_E_VMM, "VM '%s': wafer-vmm still runs %d s after the shutdown", name,
				    SHUTDOWN_S + 5);
		}
	}
	v->busy = NULL;
	return vm_reply_copy(v, w, r);
}

static int action(const char *key, enum vm_action a, bool wait_off, bool by_operator, struct json_w *w,
		  struct vm_result *r)
{
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r))
		return -1;
	if (v->state == VM_SUSPENDED && a != VM_ACT_START && a != VM_ACT_STOP)
		return vm_refuse_state(v, r, ": start resumes it, stop discards its saved state");
	switch (a) {
	case VM_ACT_START: return do_start(v, by_operator, w, r);
	case VM_ACT_REBOOT: return do_reboot(v, w, r);
	case VM_ACT_SUSPEND: return do_suspend(v, w, r);
	default: return do_control(v, a, wait_off, w, r);
	}
}

int vm_svc_action(const char *key, enum vm_action a, struct json_w *w, struct vm_result *r)
{
	return action(key, a, false, true, w, r);
}

struct action_job {
	char key[VM_ID_LEN + 1];
	enum vm_action a;
	unsigned task;
	bool crash_on_fail;   /* autostart: a VM that cannot start is crashed */
	bool by_operator;     /* an API request (else autostart or a restart policy) */
};

static void *action_thread(void *arg)
{
	struct action_job *j = arg;
	struct vm_result r;
	int rc = action(j->key, j->a, true, j->by_operator, NULL, &r);
	if (rc && j->crash_on_fail && r.outcome == VM_E_START) {
		vm_lock_take();
		struct vm *v = vm_find(j->key);
		if (v && !v->pid && !v->busy && v->state != VM_SUSPENDED)   /* a suspended one keeps its state */
			vm_set_state(v, VM_CRASHED, r.msg);
		vm_lock_release();
	}
	if (rc)
		wlog(WLOG_WARN, "vm", "task %u (%s of %s): %s", j->task, vm_action_name(j->a), j->key, r.msg);
	task_end(j->task, rc ? r.msg : NULL);
	free(j);
	return NULL;
}

static int action_task(const char *key, enum vm_action a, bool crash_on_fail, bool by_operator,
		       unsigned *task, struct vm_result *r);

int vm_svc_action_task(const char *key, enum vm_action a, unsigned *task, struct vm_result *r)
{
	return action_task(key, a, false, true, task, r);
}

int vm_svc_start_unattended(const char *key, struct vm_result *r)
{
	unsigned task;
	return action_task(key, VM_ACT_START, true, false, &task, r);
}

static int action_task(const char *key, enum vm_action a, bool crash_on_fail, bool by_operator,
		       unsigned *task, struct vm_result *r)
{
	char kind[32], name[WAFER_NAME_SIZE];
	struct action_job *j = calloc(1, sizeof *j);
	if (!j)
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r)) {
		free(j);
		return -1;
	}
	/* by id: a rename meanwhile does not send the action elsewhere */
	snprintf(j->key, sizeof j->key, "%s", v->id);
	snprintf(name, sizeof name, "%s", v->spec.name);
	vm_lock_release();
	j->a = a;
	j->crash_on_fail = crash_on_fail;
	j->by_operator = by_operator;
	snprintf(kind, sizeof kind, "vm.%s", vm_action_name(a));
	unsigned id = task_begin(kind, name, 0);
	if (!id) {
		free(j);
		return vm_fail(r, VM_E_BUSY, "too many tasks in progress; try again");
	}
	j->task = id;
	if (vm_task_thread(id, action_thread, j, r)) {
		free(j);
		return -1;
	}
	*task = id;   /* j belongs to the thread now */
	return vm_ok(r);
}

int vm_task_thread(unsigned task, void *(*fn)(void *), void *arg, struct vm_result *r)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	int rc = pthread_create(&t, &at, fn, arg);
	pthread_attr_destroy(&at);
	if (rc) {
		task_end(task, "cannot create a thread");
		return vm_fail(r, VM_E_NOMEM, "cannot create a thread: %s", strerror(rc));
	}
	return 0;
}

int vm_svc_console(const char *key, bool follow, bool input, struct vmmctl *c, struct vm_result *r)
{
	char path[512];
	struct vm *v = vm_lock_find(key, r);
	if (!v)
		return -1;
	bool running = v->pid && v->state != VM_STARTING;
	vm_ctl_path(v, path, sizeof path);
	vm_lock_release();
	if (!running)
		return vm_fail(r, VM_E_STATE, "VM '%s' is not running", key);
	uint64_t off, lost;
	memset(c, 0, sizeof *c);
	c->timeout_ms = 5000;
	if (vmmctl_connect(c, path) || vmmctl_console_open(c, VMMCTL_FROM_START, follow, input, &off, &lost)) {
		vm_fail(r, VM_E_VMM, "console: %s", c->err);
		vmmctl_close(c);
		return -1;
	}
	return vm_ok(r);
}

int vm_svc_briefs(struct vm_brief *out, int max)
{
	int n = 0;
	vm_lock_take();
	for (int i = 0; i < VM_MAX && n < max; i++) {
		struct vm *v = &vm_table[i];
		if (!v->used)
			continue;
		struct vm_brief *b = &out[n++];
		snprintf(b->id, sizeof b->id, "%s", v->id);
		snprintf(b->name, sizeof b->name, "%s", v->spec.name);
		vm_ctl_path(v, b->ctl, sizeof b->ctl);
		b->state = v->state;
		b->vcpus = v->spec.vcpus;
		b->memory_mib = v->spec.memory_mib;
		b->running = v->pid && (v->state == VM_RUNNING || v->state == VM_PAUSED);
	}
	vm_lock_release();
	return n;
}
