/* vm_snapshot.c: snapshots of a VM (vm_service.h). A snapshot keeps the
 * VM's definition and a sparse copy of its disks and, for a running, paused
 * or suspended VM, its memory and device state (the VMM's saved state), in
 * <data>/wafer/vms/<id>/snapshots/<name>/ (snapshot.json, diskN.img,
 * state.sav). It is built in snapshots/.new-<name> and renamed into place
 * once complete, so a failure or a host reboot midway leaves no half
 * snapshot; leftovers are removed when the registry loads (vm_snapshot_tidy).
 * A running VM is paused for its save and the copy of its disks (a
 * consistent copy: the disks and the memory are of the same instant), and
 * runs on while the memory file is copied. Revert puts the disks, the
 * definition and the memory back (the VM is stopped first if it runs); a
 * snapshot of a running or paused VM comes back running, from the moment of
 * the snapshot. */
#include "vm_internal.h"
#include "vm_snapshot_info.h"
#include "vm_service.h"
#include "agent.h"
#include "fsutil.h"
#include "server/router.h"
#include "tasks.h"
#include "vmmctl.h"
#include "wlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define SNAP_MARGIN (16ull << 20)   /* left free on the datastore beyond what a copy takes */

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* <data>/wafer/vms/<id>/snapshots[/<dir>[/<file>]] */
static void snap_path(const char *id, const char *dir, const char *file, char *out, size_t n)
{
	if (!dir)
		agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s/snapshots", id);
	else if (!file)
		agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s/snapshots/%s", id, dir);
	else
		agent_path(out, n, agent_cfg.data_dir, "wafer/vms/%s/snapshots/%s/%s", id, dir, file);
}

static int check_snap_name(const char *name, struct vm_result *r)
{
	if (!name || !*name)
		return vm_fail(r, VM_E_INVALID, "'name' is required: the snapshot's name");
	if (strlen(name) > WAFER_NAME_MAX)
		return vm_fail(r, VM_E_INVALID, "snapshot name is %zu characters long; the limit is %d", strlen(name),
			       WAFER_NAME_MAX);
	if (!route_valid_name(name))
		return vm_fail(r, VM_E_INVALID, "snapshot name '%.64s' is invalid: 1-%d letters, digits, '.', '_', '-', "
			       "starting with a letter or digit", name, WAFER_NAME_MAX);
	return 0;
}

/* snapshots/<dir>/snapshot.json into s (and its definition into spec unless
 * NULL, checked against the host's limits and images). 0, or -1 with r. */
static int read_info(const char *id, const char *dir, struct vm_snap_info *s, struct vm_spec *spec,
		     struct vm_result *r)
{
	char p[640], *data, err[256];
	size_t len;
	snap_path(id, dir, "snapshot.json", p, sizeof p);
	int rc = fs_read_file(p, 256 * 1024, &data, &len);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return vm_fail(r, VM_E_NOT_FOUND, "no snapshot '%s'", dir);
	if (rc)
		return vm_fail(r, VM_E_STORAGE, "snapshot '%s': cannot read %s: %s", dir, p, strerror(-rc));
	struct vm_limits lim;
	vm_host_limits(&lim);
	rc = vm_snap_info_parse(data, len, &lim, s, spec, err, sizeof err);
	free(data);
	if (rc == -2)
		return vm_fail(r, VM_E_INVALID, "snapshot '%s' cannot be used: its definition: %s", dir, err);
	if (rc)
		return vm_fail(r, VM_E_STORAGE, "snapshot '%s': %s is damaged: %s", dir, p, err);
	if (strcmp(s->name, dir))
		return vm_fail(r, VM_E_STORAGE, "snapshot '%s': %s names another snapshot ('%s')", dir, p, s->name);
	return 0;
}

static int write_info_file(const char *id, const char *dir, const struct vm_snap_info *s,
			   const struct vm_spec *spec, struct vm_result *r)
{
	char p[640];
	struct json_w w;
	size_t len;
	json_w_init(&w);
	vm_snap_info_write(&w, s, spec);
	char *body = json_w_finish(&w, &len);
	if (!body)
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	snap_path(id, dir, "snapshot.json", p, sizeof p);
	int rc = fs_write_atomic(p, body, len, 0600);
	free(body);
	if (rc)
		return vm_fail(r, VM_E_STORAGE, "cannot write %s: %s", p, strerror(-rc));
	return 0;
}

/* Size and blocks of path; false when there is no such file. */
static bool file_size(const char *path, uint64_t *bytes, uint64_t *alloc)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (bytes)
		*bytes = (uint64_t)st.st_size;
	if (alloc)
		*alloc = (uint64_t)st.st_blocks * 512;
	return true;
}

/* 0 when need bytes (and the margin) fit on the datastore, else -1 with r. */
static int check_space(const char *dir, uint64_t need, const char *what, struct vm_result *r)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) < 0)
		return vm_fail(r, VM_E_STORAGE, "cannot read the free space of %s: %s", dir, strerror(errno));
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (need + SNAP_MARGIN > avail)
		return vm_fail(r, VM_E_SPACE, "not enough space on the datastore for %s: it needs %llu MiB "
			       "(and %llu MiB kept free), %llu MiB are free", what,
			       (unsigned long long)((need + (1 << 20) - 1) >> 20),
			       (unsigned long long)(SNAP_MARGIN >> 20), (unsigned long long)(avail >> 20));
	return 0;
}

struct copy_prog {
	unsigned task;
	uint64_t base;
};

static void on_progress(void *arg, uint64_t done)
{
	struct copy_prog *p = arg;
	if (p->task)
		task_progress(p->task, p->base + done);
}

/* Sparse copy of src into the new file dst; 0 or -1 with r. */
static int copy_file(const char *src, const char *dst, struct copy_prog *prog, struct vm_result *r)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return vm_fail(r, VM_E_STORAGE, "cannot read %s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		return vm_fail(r, e == ENOSPC ? VM_E_SPACE : VM_E_STORAGE, "cannot create %s: %s", dst, strerror(e));
	}
	struct stat st;
	int rc = fstat(in, &st) < 0 ? -errno : fs_copy_sparse(in, out, on_progress, prog, NULL);
	if (close(out) < 0 && !rc)
		rc = -errno;
	close(in);
	if (rc) {
		unlink(dst);
		return vm_fail(r, rc == -ENOSPC ? VM_E_SPACE : VM_E_STORAGE, "cannot copy %s to %s: %s", src, dst,
			       strerror(-rc));
	}
	prog->base += (uint64_t)st.st_size;
	return 0;
}

/* What a create or a revert works on, copied from the VM under the lock. */
struct snap_job {
	char id[VM_ID_LEN + 1];
	char vm_name[WAFER_NAME_SIZE];
	char ctl[512];
	struct vm_spec spec;
	enum vm_state state;
	bool live;                /* a VMM runs it (running or paused) */
};

/* Take the snapshot (the VM busy, the lock not held). */
static int create_work(const struct snap_job *j, const char *name, unsigned task, struct vm_snap_info *info,
		       struct vm_result *r)
{
	char root[512], final[640], tmp[640], p[1024], src[512];
	char tmpname[WAFER_NAME_SIZE + 8];
	uint64_t t0 = mono_ms();
	struct vm fake;   /* for the datastore path helpers */
	memset(&fake, 0, sizeof fake);
	snprintf(fake.id, sizeof fake.id, "%s", j->id);
	snap_path(j->id, NULL, NULL, root, sizeof root);
	snap_path(j->id, name, NULL, final, sizeof final);
	int rc = fs_mkdir_p(root, 0700);
	if (rc)
		return vm_fail(r, VM_E_STORAGE, "cannot create %s: %s", root, strerror(-rc));
	if (access(final, F_OK) == 0)
		return vm_fail(r, VM_E_EXISTS, "VM '%s' has a snapshot named '%s' already", j->vm_name, name);
	int count = 0;
	DIR *dp = opendir(root);
	for (struct dirent *e; dp && (e = readdir(dp)) != NULL;)
		count += e->d_name[0] != '.';
	if (dp)
		closedir(dp);
	if (count >= VM_SNAPSHOTS_MAX)
		return vm_fail(r, VM_E_STATE, "VM '%s' has %d snapshots, the limit; delete one first", j->vm_name,
			       count);
	/* what is copied, and the space it takes */
	uint64_t need = 0, total = 0, sz, al;
	memset(info, 0, sizeof *info);
	snprintf(info->name, sizeof info->name, "%s", name);
	snprintf(info->vm_state, sizeof info->vm_state, "%s", vm_state_name(j->state));
	for (int i = 0; i < j->spec.ndisks; i++) {
		if (j->spec.disks[i].readonly && j->spec.disks[i].image[0])
			continue;   /* an image used in place: never written */
		vm_disk_path(&fake, i, src, sizeof src);
		if (file_size(src, &sz, &al)) {
			info->disk_files |= 1u << i;
			info->disk_bytes += sz;
			need += al;
			total += sz;
		}
	}
	bool suspended = j->state == VM_SUSPENDED;
	info->memory = j->live || suspended;
	if (j->live) {
		need += j->spec.memory_mib << 20;   /* at most: zero pages stay holes */
		total += j->spec.memory_mib << 20;
	} else if (suspended) {
		vm_saved_path(&fake, false, src, sizeof src);
		if (!file_size(src, &sz, &al))
			return vm_fail(r, VM_E_STORAGE, "VM '%s' is suspended but its saved state %s is gone",
				       j->vm_name, src);
		need += al;
		total += sz;
	}
	char what[WAFER_NAME_SIZE + 16];
	snprintf(what, sizeof what, "snapshot '%s'", name);
	if (check_space(root, need, what, r))
		return -1;
	if (task)
		task_total(task, total);
	snprintf(tmpname, sizeof tmpname, ".new-%s", name);
	snap_path(j->id, tmpname, NULL, tmp, sizeof tmp);
	fs_remove_tree(tmp);
	if (mkdir(tmp, 0700) < 0)
		return vm_fail(r, VM_E_STORAGE, "cannot create %s: %s", tmp, strerror(errno));
	struct copy_prog prog = { task, 0 };
	struct vmmctl c;
	memset(&c, 0, sizeof c);
	c.fd = -1;   /* closed below whether or not it was connected */
	bool paused = false;
	uint64_t pause0 = 0;
	info->created_ms = wall_ms();
	if (j->live) {
		/* pause, save memory and devices, copy the disks of that same instant */
		struct vmmctl_save sv;
		c.timeout_ms = 5000;
		rc = vmmctl_connect(&c, j->ctl);
		pause0 = mono_ms();
		if (rc == 0 && j->state == VM_RUNNING)
			paused = (rc = vmmctl_pause(&c)) == 0;
		info->created_ms = wall_ms();
		if (rc == 0) {
			uint64_t mib = j->spec.memory_mib;
			c.timeout_ms = (int)(60000 + mib * 100 < 1800000 ? 60000 + mib * 100 : 1800000);
			rc = vmmctl_save(&c, &sv);
		}
		if (rc) {
			vm_fail(r, VM_E_VMM, "VM '%s': snapshot '%s': the save failed: %s; the VM runs on", j->vm_name,
				name, c.err);
			goto fail;
		}
	}
	for (int i = 0; i < j->spec.ndisks; i++) {
		if (!(info->disk_files & (1u << i)))
			continue;
		char f[24];
		snprintf(f, sizeof f, "disk%d.img", i);
		vm_disk_path(&fake, i, src, sizeof src);
		snap_path(j->id, tmpname, f, p, sizeof p);
		if (copy_file(src, p, &prog, r))
			goto fail;
	}
	if (paused) {
		c.timeout_ms = 5000;
		rc = vmmctl_resume(&c);
		paused = false;
		if (rc)
			wlog(WLOG_WARN, "vm", "%s: snapshot %s: resume after the save: %s", j->vm_name, name, c.err);
	}
	if (j->live)
		info->pause_ms = mono_ms() - pause0;
	vmmctl_close(&c);
	if (info->memory) {
		vm_saved_path(&fake, j->live, src, sizeof src);   /* the VMM's file, or suspend.sav */
		snap_path(j->id, tmpname, "state.sav", p, sizeof p);
		if (copy_file(src, p, &prog, r))
			goto fail;
		if (j->live && truncate(src, 0) < 0)   /* the VMM rewrites it whole at its next save */
			wlog(WLOG_WARN, "vm", "%s: cannot empty %s: %s", j->vm_name, src, strerror(errno));
		file_size(p, &info->memory_bytes, NULL);
	}
	/* what it takes on the datastore */
	dp = opendir(tmp);
	for (struct dirent *e; dp && (e = readdir(dp)) != NULL;) {
		snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
		if (e->d_name[0] != '.' && file_size(p, NULL, &al))
			info->size_bytes += al;
	}
	if (dp)
		closedir(dp);
	info->duration_ms = mono_ms() - t0;
	if (write_info_file(j->id, tmpname, info, &j->spec, r))
		goto fail;
	if (rename(tmp, final) < 0) {
		vm_fail(r, VM_E_STORAGE, "cannot rename %s to %s: %s", tmp, final, strerror(errno));
		goto fail;
	}
	fs_fsync_parent(final);
	wlog(WLOG_INFO, "vm", "%s: snapshot %s taken (%s, memory %s): %llu bytes on the datastore, paused %llu ms, "
	     "in %llu ms", j->vm_name, name, info->vm_state, info->memory ? "included" : "not included",
	     (unsigned long long)info->size_bytes, (unsigned long long)info->pause_ms,
	     (unsigned long long)info->duration_ms);
	return 0;
fail:
	if (paused) {
		c.timeout_ms = 5000;
		if (vmmctl_resume(&c))
			wlog(WLOG_WARN, "vm", "%s: snapshot %s failed, and the resume too: %s", j->vm_name, name, c.err);
	}
	vmmctl_close(&c);
	fs_remove_tree(tmp);
	if (j->live) {
		vm_saved_path(&fake, true, src, sizeof src);
		truncate(src, 0);
	}
	wlog(WLOG_WARN, "vm", "%s: snapshot %s: %s (nothing kept)", j->vm_name, name, r->msg);
	return -1;
}

/* Lock, find, and mark the VM busy with what; fills j. -1 (unlocked, r) when
 * it cannot be. allow_live: a running or paused VM is fine (else it must
 * have no VMM). */
static int take_vm(const char *key, const char *what, bool allow_live, struct snap_job *j, struct vm_result *r)
{
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r))
		return -1;
	bool live = v->pid && (v->state == VM_RUNNING || v->state == VM_PAUSED);
	if ((v->pid && !live) || (live && !allow_live))
		return vm_refuse_state(v, r, v->pid && !live ? ": try again once it runs or has stopped" : "");
	memset(j, 0, sizeof *j);
	snprintf(j->id, sizeof j->id, "%s", v->id);
	snprintf(j->vm_name, sizeof j->vm_name, "%s", v->spec.name);
	vm_ctl_path(v, j->ctl, sizeof j->ctl);
	j->spec = v->spec;
	j->state = v->state;
	j->live = live;
	v->busy = what;
	vm_lock_release();
	return 0;
}

static void release_vm(const char *id)
{
	vm_lock_take();
	struct vm *v = vm_find(id);
	if (v)
		v->busy = NULL;
	vm_lock_release();
}

static int create(const char *key, const char *name, unsigned task, struct json_w *w, struct vm_result *r)
{
	struct snap_job j;
	struct vm_snap_info info;
	if (check_snap_name(name, r) || take_vm(key, "snapshot", true, &j, r))
		return -1;
	int rc = create_work(&j, name, task, &info, r);
	release_vm(j.id);
	if (rc)
		return -1;
	if (w)
		vm_snap_info_write(w, &info, NULL);
	return vm_ok(r);
}

int vm_svc_snapshot_create(const char *key, const char *name, struct json_w *w, struct vm_result *r)
{
	return create(key, name, 0, w, r);
}

/* Put the snapshot's files and definition back (the VM busy, no VMM, the
 * lock not held). The copies are made beside the VM's files first
 * (*.revert) and renamed over them only once all are made, so a failure
 * leaves the VM as it was. */
static int revert_work(const struct snap_job *j, const char *name, unsigned task, struct vm_snap_info *info,
		       struct vm_spec *spec, struct vm_result *r)
{
	char p[640], dst[700], root[512];
	struct vm fake;
	memset(&fake, 0, sizeof fake);
	snprintf(fake.id, sizeof fake.id, "%s", j->id);
	if (read_info(j->id, name, info, spec, r)) {
		if (r->outcome == VM_E_NOT_FOUND)
			vm_fail(r, VM_E_NOT_FOUND, "VM '%s' has no snapshot '%s'", j->vm_name, name);
		return -1;
	}
	uint64_t need = 0, total = 0, sz, al;
	for (int i = 0; i < spec->ndisks; i++) {
		char f[24];
		snprintf(f, sizeof f, "disk%d.img", i);
		snap_path(j->id, name, f, p, sizeof p);
		if (!(info->disk_files & (1u << i)))
			continue;
		if (!file_size(p, &sz, &al))
			return vm_fail(r, VM_E_STORAGE, "snapshot '%s' is damaged: %s is missing", name, p);
		need += al;
		total += sz;
	}
	if (info->memory) {
		snap_path(j->id, name, "state.sav", p, sizeof p);
		if (!file_size(p, &sz, &al))
			return vm_fail(r, VM_E_STORAGE, "snapshot '%s' is damaged: %s is missing", name, p);
		need += al;
		total += sz;
	}
	snap_path(j->id, NULL, NULL, root, sizeof root);
	char what[WAFER_NAME_SIZE + 32];
	snprintf(what, sizeof what, "a revert to '%s'", name);
	if (check_space(root, need, what, r))
		return -1;
	if (task)
		task_total(task, total);
	struct copy_prog prog = { task, 0 };
	int made = 0;   /* disks copied: 0..made-1 (bit set) */
	bool state_made = false;
	for (int i = 0; i < spec->ndisks; i++, made = i) {
		if (!(info->disk_files & (1u << i)))
			continue;
		char f[24];
		snprintf(f, sizeof f, "disk%d.img", i);
		snap_path(j->id, name, f, p, sizeof p);
		vm_disk_path(&fake, i, dst, sizeof dst - 8);
		strcat(dst, ".revert");
		if (copy_file(p, dst, &prog, r))
			goto fail;
	}
	made = spec->ndisks;
	if (info->memory) {
		snap_path(j->id, name, "state.sav", p, sizeof p);
		vm_saved_path(&fake, false, dst, sizeof dst - 8);
		strcat(dst, ".revert");
		if (copy_file(p, dst, &prog, r))
			goto fail;
		state_made = true;
	}
	/* all copies made: put them in place */
	for (int i = 0; i < VM_MAX_DISKS; i++) {
		char cur[512];
		vm_disk_path(&fake, i, cur, sizeof cur);
		if (i < spec->ndisks && (info->disk_files & (1u << i))) {
			snprintf(dst, sizeof dst, "%s.revert", cur);
			if (rename(dst, cur) < 0) {
				vm_fail(r, VM_E_STORAGE, "cannot rename %s: %s (the VM's disks are part reverted)", dst,
					strerror(errno));
				goto fail;
			}
		} else {
			unlink(cur);   /* created afresh at the next start, or not in its definition */
		}
	}
	vm_saved_path(&fake, false, p, sizeof p);
	if (state_made) {
		snprintf(dst, sizeof dst, "%s.revert", p);
		if (rename(dst, p) < 0) {
			vm_fail(r, VM_E_STORAGE, "cannot rename %s: %s", dst, strerror(errno));
			goto fail;
		}
	} else {
		unlink(p);
	}
	fs_fsync_parent(p);
	return 0;
fail:
	for (int i = 0; i < made; i++) {
		vm_disk_path(&fake, i, dst, sizeof dst - 8);
		strcat(dst, ".revert");
		unlink(dst);
	}
	vm_saved_path(&fake, false, dst, sizeof dst - 8);
	strcat(dst, ".revert");
	unlink(dst);
	wlog(WLOG_WARN, "vm", "%s: revert to snapshot %s: %s", j->vm_name, name, r->msg);
	return -1;
}

static int revert(const char *key, const char *name, unsigned task, struct json_w *w, struct vm_result *r)
{
	struct snap_job j;
	struct vm_snap_info info;
	struct vm_spec spec;
	if (check_snap_name(name, r))
		return -1;
	/* a VM that runs is stopped first: what it did since is given up */
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r))
		return -1;
	bool has_vmm = v->pid != 0;
	char id[VM_ID_LEN + 1];
	snprintf(id, sizeof id, "%s", v->id);
	vm_lock_release();
	if (has_vmm && vm_svc_action(id, VM_ACT_STOP, NULL, r))
		return -1;
	if (take_vm(id, "revert", false, &j, r))
		return -1;
	int rc = revert_work(&j, name, task, &info, &spec, r);
	vm_lock_take();
	v = vm_find(j.id);
	if (!v) {   /* cannot be: a busy VM is not deleted */
		vm_lock_release();
		return vm_fail(r, VM_E_NOT_FOUND, "VM '%s' is gone", j.vm_name);
	}
	v->busy = NULL;
	if (rc) {
		vm_lock_release();
		return -1;
	}
	/* its definition as it was, but its name and policies as they are */
	snprintf(spec.name, sizeof spec.name, "%s", v->spec.name);
	spec.autostart = v->spec.autostart;
	spec.restart = v->spec.restart;
	spec.restart_max = v->spec.restart_max;
	v->spec = spec;
	int e = vm_save(v);
	char reason[sizeof v->exit_reason];
	snprintf(reason, sizeof reason, "reverted to snapshot '%s'", name);
	v->saved = (struct vm_saved){ 0 };
	if (info.memory && vm_saved_stat(v))
		vm_set_state(v, VM_SUSPENDED, reason);
	else
		vm_set_state(v, VM_STOPPED, reason);
	snprintf(v->exit_reason, sizeof v->exit_reason, "%s", reason);
	wlog(WLOG_INFO, "vm", "%s: %s", v->spec.name, reason);
	if (e) {
		vm_lock_release();
		return vm_fail(r, VM_E_STORAGE, "reverted to snapshot '%s', but the definition could not be written: %s",
			       name, strerror(-e));
	}
	bool resume = info.memory && (!strcmp(info.vm_state, "running") || !strcmp(info.vm_state, "paused"));
	if (!resume)
		return vm_reply_copy(v, w, r);
	vm_lock_release();
	if (vm_svc_action(j.id, VM_ACT_START, w, r)) {
		char m[sizeof r->msg];
		snprintf(m, sizeof m, "%s", r->msg);
		return vm_fail(r, r->outcome, "reverted to snapshot '%s', but the VM did not resume: %.240s", name, m);
	}
	return 0;
}

int vm_svc_snapshot_revert(const char *key, const char *name, struct json_w *w, struct vm_result *r)
{
	return revert(key, name, 0, w, r);
}

int vm_svc_snapshot_delete(const char *key, const char *name, struct vm_result *r)
{
	struct snap_job j;
	char p[640], del[640], dname[WAFER_NAME_SIZE + 8];
	if (check_snap_name(name, r) || take_vm(key, "snapshot delete", true, &j, r))
		return -1;
	snap_path(j.id, name, NULL, p, sizeof p);
	snprintf(dname, sizeof dname, ".del-%s", name);
	snap_path(j.id, dname, NULL, del, sizeof del);
	int rc = 0;
	if (access(p, F_OK) < 0) {
		rc = vm_fail(r, VM_E_NOT_FOUND, "VM '%s' has no snapshot '%s'", j.vm_name, name);
	} else if (rename(p, del) < 0) {
		rc = vm_fail(r, VM_E_STORAGE, "cannot remove snapshot '%s': %s", name, strerror(errno));
	} else {
		int e = fs_remove_tree(del);
		if (e)   /* gone from the list already; the rest at the next load */
			wlog(WLOG_WARN, "vm", "%s: snapshot %s: cannot remove %s: %s", j.vm_name, name, del, strerror(-e));
		else
			wlog(WLOG_INFO, "vm", "%s: snapshot %s deleted", j.vm_name, name);
	}
	release_vm(j.id);
	return rc ? -1 : vm_ok(r);
}

static int by_time(const void *a, const void *b)
{
	const struct vm_snap_info *x = a, *y = b;
	return x->created_ms < y->created_ms ? -1 : x->created_ms > y->created_ms;
}

int vm_svc_snapshot_list(const char *key, const char *name, struct json_w *w, struct vm_result *r)
{
	char root[512], id[VM_ID_LEN + 1], vm_name[WAFER_NAME_SIZE];
	if (name && check_snap_name(name, r))
		return -1;
	struct vm *v = vm_lock_find(key, r);
	if (!v)
		return -1;
	snprintf(id, sizeof id, "%s", v->id);
	snprintf(vm_name, sizeof vm_name, "%s", v->spec.name);
	vm_lock_release();
	if (name) {
		struct vm_snap_info s;
		if (read_info(id, name, &s, NULL, r)) {
			if (r->outcome == VM_E_NOT_FOUND)
				vm_fail(r, VM_E_NOT_FOUND, "VM '%s' has no snapshot '%s'", vm_name, name);
			return -1;
		}
		vm_snap_info_write(w, &s, NULL);
		return vm_ok(r);
	}
	struct vm_snap_info *list = calloc(VM_SNAPSHOTS_MAX * 2, sizeof *list);
	if (!list)
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	int n = 0;
	snap_path(id, NULL, NULL, root, sizeof root);
	DIR *dp = opendir(root);
	for (struct dirent *e; dp && (e = readdir(dp)) != NULL && n < VM_SNAPSHOTS_MAX * 2;) {
		struct vm_result ignore;
		if (e->d_name[0] != '.' && route_valid_name(e->d_name) && strlen(e->d_name) <= WAFER_NAME_MAX &&
		    read_info(id, e->d_name, &list[n], NULL, &ignore) == 0)
			n++;
	}
	if (dp)
		closedir(dp);
	qsort(list, (size_t)n, sizeof *list, by_time);
	json_w_obj_begin(w);
	json_w_key(w, "snapshots");
	json_w_arr_begin(w);
	for (int i = 0; i < n; i++)
		vm_snap_info_write(w, &list[i], NULL);
	json_w_arr_end(w);
	json_w_obj_end(w);
	free(list);
	return vm_ok(r);
}

/* Leftovers of a snapshot, a delete or a revert that a crash or a reboot
 * cut short; at registry load, before the VM is used. */
void vm_snapshot_tidy(const struct vm *v)
{
	char root[512], p[1024];
	snap_path(v->id, NULL, NULL, root, sizeof root);
	DIR *dp = opendir(root);
	for (struct dirent *e; dp && (e = readdir(dp)) != NULL;) {
		if (strncmp(e->d_name, ".new-", 5) && strncmp(e->d_name, ".del-", 5))
			continue;
		snprintf(p, sizeof p, "%s/%s", root, e->d_name);
		wlog(WLOG_INFO, "vm", "%s: removing %s (an unfinished snapshot or delete)", v->spec.name, p);
		fs_remove_tree(p);
	}
	if (dp)
		closedir(dp);
	for (int i = 0; i < VM_MAX_DISKS; i++) {
		vm_disk_path(v, i, p, sizeof p - 8);
		strcat(p, ".revert");
		unlink(p);
	}
	vm_saved_path(v, false, p, sizeof p - 8);
	strcat(p, ".revert");
	unlink(p);
}

void vm_snapshot_remove_all(const struct vm *v)
{
	char root[512];
	snap_path(v->id, NULL, NULL, root, sizeof root);
	int e = fs_remove_tree(root);
	if (e)
		wlog(WLOG_WARN, "vm", "%s: cannot remove %s: %s", v->spec.name, root, strerror(-e));
}

int vm_snapshot_for_clone(const char *key, const char *name, struct vm_spec *spec, char src_id[VM_ID_LEN + 1],
			  uint32_t *disk_files, struct vm_result *r)
{
	struct vm_snap_info info;
	char vm_name[WAFER_NAME_SIZE];
	if (check_snap_name(name, r))
		return -1;
	struct vm *v = vm_lock_find(key, r);
	if (!v) {
		vm_fail(r, VM_E_INVALID, "'clone_of.vm': no VM with id or name '%s'", key);
		return -1;
	}
	snprintf(src_id, VM_ID_LEN + 1, "%s", v->id);
	snprintf(vm_name, sizeof vm_name, "%s", v->spec.name);
	vm_lock_release();
	if (read_info(src_id, name, &info, spec, r)) {
		if (r->outcome == VM_E_NOT_FOUND)
			vm_fail(r, VM_E_INVALID, "'clone_of.snapshot': VM '%s' has no snapshot '%s'", vm_name, name);
		return -1;
	}
	for (int i = 0; i < spec->nnics; i++)
		spec->nics[i].mac[0] = '\0';   /* a clone gets MACs of its own */
	*disk_files = info.disk_files;
	return 0;
}

int vm_snapshot_clone_disks(const char *src_id, const char *name, uint32_t disk_files, const struct vm *dst,
			    struct vm_result *r)
{
	char dir[512], src[640], link_p[560], tmp[560], path[512];
	uint64_t need = 0, al;
	for (int i = 0; i < dst->spec.ndisks; i++) {
		char f[24];
		snprintf(f, sizeof f, "disk%d.img", i);
		snap_path(src_id, name, f, src, sizeof src);
		if ((disk_files & (1u << i)) && file_size(src, NULL, &al))
			need += al;
	}
	agent_path(dir, sizeof dir, agent_cfg.data_dir, "wafer/vms/%s", dst->id);
	int rc = fs_mkdir_p(dir, 0700);
	if (rc)
		return vm_fail(r, VM_E_STORAGE, "cannot create %s: %s", dir, strerror(-rc));
	if (check_space(dir, need, "the clone's disks", r))
		return -1;
	struct copy_prog prog = { 0, 0 };
	for (int i = 0; i < dst->spec.ndisks; i++) {
		if (!(disk_files & (1u << i)))
			continue;   /* created by vm_prepare_disks, as for a new VM */
		char f[24];
		snprintf(f, sizeof f, "disk%d.img", i);
		snap_path(src_id, name, f, src, sizeof src);
		vm_disk_path(dst, i, path, sizeof path);
		snprintf(link_p, sizeof link_p, "%s.src", path);
		snprintf(tmp, sizeof tmp, "%s.new", path);
		/* a link first: a delete of the snapshot meanwhile does not cut the copy */
		unlink(link_p);
		if (link(src, link_p) < 0)
			return vm_fail(r, VM_E_STORAGE, "snapshot '%s': disk %d: %s: %s", name, i, src, strerror(errno));
		rc = copy_file(link_p, tmp, &prog, r);
		unlink(link_p);
		if (rc)
			return -1;
		if (rename(tmp, path) < 0) {
			unlink(tmp);
			return vm_fail(r, VM_E_STORAGE, "cannot rename %s: %s", tmp, strerror(errno));
		}
	}
	return 0;
}

/* The same as a task (vm.snapshot or vm.revert, target "VM/NAME"). */
struct snap_task_job {
	char key[VM_ID_LEN + 1], name[WAFER_NAME_SIZE];
	bool revert;
	unsigned task;
};

static void *snap_thread(void *arg)
{
	struct snap_task_job *j = arg;
	struct vm_result r;
	int rc = j->revert ? revert(j->key, j->name, j->task, NULL, &r) : create(j->key, j->name, j->task, NULL, &r);
	task_end(j->task, rc ? r.msg : NULL);
	free(j);
	return NULL;
}

int vm_svc_snapshot_task(const char *key, const char *name, bool do_revert, unsigned *task, struct vm_result *r)
{
	char target[2 * WAFER_NAME_SIZE];
	if (check_snap_name(name, r))
		return -1;
	struct snap_task_job *j = calloc(1, sizeof *j);
	if (!j)
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r)) {
		free(j);
		return -1;
	}
	snprintf(j->key, sizeof j->key, "%s", v->id);
	snprintf(target, sizeof target, "%s/%s", v->spec.name, name);
	vm_lock_release();
	snprintf(j->name, sizeof j->name, "%s", name);
	j->revert = do_revert;
	unsigned id = task_begin(do_revert ? "vm.revert" : "vm.snapshot", target, 0);
	if (!id) {
		free(j);
		return vm_fail(r, VM_E_BUSY, "too many tasks in progress; try again");
	}
	j->task = id;
	if (vm_task_thread(id, snap_thread, j, r)) {
		free(j);
		return -1;
	}
	*task = id;   /* j belongs to the thread now */
	return vm_ok(r);
}
