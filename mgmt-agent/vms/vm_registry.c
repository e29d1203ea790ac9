/* vm_registry.c: the VM table, persistence of definitions on the datastore
 * (<data>/wafer/vms/<id>.json, replaced atomically), recovery at start. */
#include "vm_internal.h"
#include "agent.h"
#include "audit.h"
#include "server/events.h"
#include "fsutil.h"
#include "jail/jail.h"
#include "server/router.h"
#include "wlog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct vm vm_table[VM_MAX];

struct vm *vm_find(const char *key)
{
	for (int i = 0; i < VM_MAX; i++)
		if (vm_table[i].used && strcmp(vm_table[i].id, key) == 0)
			return &vm_table[i];
	for (int i = 0; i < VM_MAX; i++)
		if (vm_table[i].used && strcmp(vm_table[i].spec.name, key) == 0)
			return &vm_table[i];
	return NULL;
}

void vm_def_path(const struct vm *v, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s.json", v->id);
}

void vm_disk_path(const struct vm *v, int i, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s/disk%d.img", v->id, i);
}

void vm_run_dir(const struct vm *v, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.run_dir, "vms/%s", v->id);
}

void vm_ctl_path(const struct vm *v, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.run_dir, "vms/%s/control.sock", v->id);
}

void vm_image_path(const char *name, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.data_dir, "wafer/images/%s", name);
}

void vm_saved_path(const struct vm *v, bool tmp, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s/suspend.%s", v->id, tmp ? "new" : "sav");
}

bool vm_saved_stat(struct vm *v)
{
	char p[512];
	struct stat st;
	vm_saved_path(v, false, p, sizeof p);
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	v->saved.bytes = (uint64_t)st.st_size;
	v->saved.allocated = (uint64_t)st.st_blocks * 512;
	v->saved.at_ms = (uint64_t)st.st_mtim.tv_sec * 1000 + (uint64_t)st.st_mtim.tv_nsec / 1000000;
	return true;
}

void vm_tap_name(const struct vm *v, int nic, char out[16])
{
	snprintf(out, 16, "wt%.8sn%d", v->id, nic);
}

void vm_write_json(struct json_w *w, const struct vm *v)
{
	json_w_obj_begin(w);
	json_w_kstr(w, "id", v->id);
	json_w_kstr(w, "state", vm_state_name(v->state));
	if (v->exit_reason[0])
		json_w_kstr(w, "exit_reason", v->exit_reason);
	if (v->pid)
		json_w_kint(w, "pid", v->pid);
	if (v->started_ms && v->pid)
		json_w_kuint(w, "started_ms", v->started_ms);
	json_w_kint(w, "restarts", v->restarts);
	if (v->restart_attempts)
		json_w_kint(w, "restart_attempts", v->restart_attempts);
	if (v->restart_at_ms)
		json_w_kuint(w, "next_restart_ms", v->restart_at_ms);
	json_w_kuint(w, "created_ms", v->created_ms);
	json_w_kbool(w, "jailed", v->jailed && v->pid);
	if (v->state == VM_SUSPENDED) {
		json_w_key(w, "saved_state");
		json_w_obj_begin(w);
		json_w_kuint(w, "bytes", v->saved.bytes);
		json_w_kuint(w, "allocated_bytes", v->saved.allocated);
		json_w_kuint(w, "saved_ms", v->saved.at_ms);
		if (v->saved.save_ms)
			json_w_kuint(w, "save_duration_ms", v->saved.save_ms);
		json_w_obj_end(w);
	}
	vm_isolation_json(w, v);
	json_w_key(w, "spec");
	vm_spec_write(w, &v->spec);
	json_w_obj_end(w);
}

int vm_save(const struct vm *v)
{
	struct json_w w;
	char path[512];
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "id", v->id);
	json_w_kuint(&w, "created_ms", v->created_ms);
	if (v->jail_uid)
		json_w_kuint(&w, "jail_uid", v->jail_uid);
	json_w_key(&w, "spec");
	vm_spec_write(&w, &v->spec);
	json_w_obj_end(&w);
	size_t len;
	char *s = json_w_finish(&w, &len);
	if (!s)
		return -ENOMEM;
	vm_def_path(v, path, sizeof path);
	int rc = fs_write_atomic(path, s, len, 0600);
	free(s);
	return rc;
}

void vm_set_state(struct vm *v, enum vm_state s, const char *reason)
{
	pthread_cond_broadcast(&vm_cond);
	if (v->state == s && !reason)
		return;
	v->state = s;
	if (reason)
		snprintf(v->exit_reason, sizeof v->exit_reason, "%s", reason);
	else if (s == VM_RUNNING || s == VM_STARTING)
		v->exit_reason[0] = '\0';
	struct json_w w;
	events_data(&w);
	json_w_kstr(&w, "name", v->spec.name);
	json_w_kstr(&w, "state", vm_state_name(s));
	if (reason)
		json_w_kstr(&w, "reason", reason);
	events_post("vm.state", v->id, &w);
	wlog(WLOG_INFO, "vm", "%s (%s): %s%s%s", v->spec.name, v->id, vm_state_name(s),
	     reason ? ": " : "", reason ? reason : "");
}

static bool image_exists(const char *name)
{
	char p[512];
	struct stat st;
	vm_image_path(name, p, sizeof p);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void vm_host_limits(struct vm_limits *lim)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	lim->max_vcpus = n > 0 ? (int)(n < 64 ? n : 64) : 1;
	lim->host_cpus = n > 0 ? (int)n : 0;
	lim->max_memory_mib = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz >> 20 : 1024;
	lim->image_exists = image_exists;
}

bool vm_image_in_use(const char *image, char *vm_name, size_t len)
{
	bool used = false;
	vm_lock_take();
	for (int i = 0; i < VM_MAX && !used; i++) {
		struct vm *v = &vm_table[i];
		if (!v->used)
			continue;
		used = !strcmp(v->spec.kernel, image) || !strcmp(v->spec.initrd, image);
		for (int d = 0; d < v->spec.ndisks && !used; d++)
			used = v->spec.disks[d].readonly && !strcmp(v->spec.disks[d].image, image);
		if (used)
			snprintf(vm_name, len, "%s", v->spec.name);
	}
	vm_lock_release();
	return used;
}

int vm_count(int *running)
{
	int n = 0, r = 0;
	vm_lock_take();
	for (int i = 0; i < VM_MAX; i++) {
		if (!vm_table[i].used)
			continue;
		n++;
		r += vm_table[i].state == VM_RUNNING || vm_table[i].state == VM_PAUSED;
	}
	vm_lock_release();
	if (running)
		*running = r;
	return n;
}

static void load_one(const char *dir, const char *file)
{
	char path[768], *data, err[200];
	size_t len;
	struct json_doc d;
	struct json_err je;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int rc = fs_read_file(path, 256 * 1024, &data, &len);
	if (rc) {
		wlog(WLOG_ERR, "vm", "cannot read %s: %s", path, strerror(-rc));
		return;
	}
	rc = json_parse(&d, data, len, NULL, &je);
	free(data);
	if (rc) {
		wlog(WLOG_ERR, "vm", "%s: %s (VM ignored)", path, je.msg);
		return;
	}
	const struct json_node *r = json_root(&d);
	const char *id = json_get_str(r, "id");
	const struct json_node *cr = json_get(r, "created_ms");
	struct vm_spec spec;
	/* the definition was valid when written; images may be gone since */
	if (!id || strlen(id) != VM_ID_LEN || !route_valid_name(id) ||
	    vm_spec_parse(json_get(r, "spec"), NULL, NULL, &spec, err, sizeof err)) {
		wlog(WLOG_ERR, "vm", "%s: invalid definition: %s (VM ignored)", path, id ? err : "no id");
		json_doc_free(&d);
		return;
	}
	for (int i = 0; i < VM_MAX; i++) {
		if (vm_table[i].used)
			continue;
		struct vm *v = &vm_table[i];
		memset(v, 0, sizeof *v);
		v->used = true;
		snprintf(v->id, sizeof v->id, "%s", id);
		v->spec = spec;
		v->created_ms = cr && cr->is_int ? (uint64_t)cr->ival : 0;
		const struct json_node *ju = json_get(r, "jail_uid");
		if (ju && ju->is_int && ju->ival >= JAIL_UID_BASE &&
		    ju->ival < (int64_t)JAIL_UID_BASE + JAIL_UID_COUNT)
			v->jail_uid = (uint32_t)ju->ival;
		/* suspended before the agent (or the host) restarted: a re-attached
		 * VMM, if any, decides otherwise (vm_reattach_all) */
		vm_snapshot_tidy(v);
		if (vm_saved_stat(v))
			v->state = VM_SUSPENDED;
		break;
	}
	json_doc_free(&d);
}

int vm_registry_init(char *err, size_t errlen)
{
	char dir[512];
	agent_path(dir, sizeof dir, agent_cfg.data_dir, "wafer/vms");
	int rc = fs_mkdir_p(dir, 0700);
	char img[512];
	agent_path(img, sizeof img, agent_cfg.data_dir, "wafer/images");
	if (!rc)
		rc = fs_mkdir_p(img, 0700);
	if (rc) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return -1;
	}
	/* what an import cut short by a crash or a reboot left */
	char imp[512];
	agent_path(imp, sizeof imp, agent_cfg.data_dir, "wafer/import");
	fs_remove_tree(imp);
	DIR *dp = opendir(dir);
	struct dirent *e;
	vm_lock_take();
	while (dp && (e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0 && e->d_name[0] != '.')
			load_one(dir, e->d_name);
	}
	vm_lock_release();
	if (dp)
		closedir(dp);
	char aerr[160];
	if (audit_enable(aerr, sizeof aerr))
		wlog(WLOG_WARN, "vm", "%s: seccomp kills will be reported without the syscall number", aerr);
	vm_reattach_all();
	vm_supervisor_start();
	if (!agent_cfg.no_autostart)
		vm_autostart_all();
	int running, n = vm_count(&running);
	wlog(WLOG_INFO, "vm", "%d VM(s) defined, %d running", n, running);
	return 0;
}

void vm_registry_shutdown(void)
{
	/* VMMs keep running; nothing to do but let the supervisor thread die
	 * with the process. */
}

void vm_remove_dirs(struct vm *v)
{
	static const char *const runfiles[] = { "vmm.pid", "vmm.stderr", "control.sock", NULL };
	char d[512], p[600];
	vm_snapshot_remove_all(v);
	vm_saved_path(v, false, p, sizeof p);
	unlink(p);
	vm_saved_path(v, true, p, sizeof p);
	unlink(p);
	agent_path(d, sizeof d, agent_cfg.data_dir, "wafer/vms/%s", v->id);
	rmdir(d);
	vm_run_dir(v, d, sizeof d);
	for (const char *const *f = runfiles; *f; f++) {
		snprintf(p, sizeof p, "%s/%s", d, *f);
		unlink(p);
	}
	rmdir(d);
}
