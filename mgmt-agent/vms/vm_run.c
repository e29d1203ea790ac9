/* vm_run.c: VMM processes: disk preparation, spawning wafer-vmm (own session,
 * stderr to init's log intake so it outlives the agent), re-attaching to
 * VMMs left by an earlier agent, and the supervisor thread that notices
 * exits (reboot → restart, poweroff/stop → stopped, anything else → crashed). */
#include "vm_internal.h"
#include "vm_service.h"
#include "server/events.h"
#include "tasks.h"
#include "agent.h"
#include "fsutil.h"
#include "initctl.h"
#include "jail/jail.h"
#include "jail/tap.h"
#include "vmmctl.h"
#include "wlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Process start time (clock ticks since boot), to detect pid reuse. */
static unsigned long long proc_start(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	unsigned long long st = 0;
	if (s) {
		/* fields after ')': state is field 3; starttime is field 22 */
		int field = 2;
		for (char *t = s + 1; *t && field < 22; t++)
			if (*t == ' ' && ++field == 22)
				st = strtoull(t + 1, NULL, 10);
	}
	return st;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Real uid of a process, or -1. */
static long proc_uid(pid_t pid)
{
	char p[64], buf[2048];
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *u = strstr(buf, "\nUid:");
	return u ? strtol(u + 5, NULL, 10) : -1;
}

static int open_log_intake(const char *tag)
{
	char path[512];
	if (agent_cfg.log_in_sock)
		snprintf(path, sizeof path, "%s", agent_cfg.log_in_sock);
	else
		agent_path(path, sizeof path, agent_cfg.run_dir, "log-in.sock");
	int fd = initctl_log_intake(path, tag);
	return fd < 0 ? -1 : fd;
}

/* Create missing disk files: clone an image (sparse copy) or a new sparse file. */
int vm_prepare_disks(struct vm *v, char *err, size_t errlen)
{
	char dir[512];
	agent_path(dir, sizeof dir, agent_cfg.data_dir, "wafer/vms/%s", v->id);
	if (fs_mkdir_p(dir, 0700)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < v->spec.ndisks; i++) {
		struct vm_disk *d = &v->spec.disks[i];
		char path[512], src[512];
		if (d->readonly && d->image[0])
			continue; /* used in place */
		vm_disk_path(v, i, path, sizeof path);
		if (access(path, F_OK) == 0)
			continue;
		char tmp[540];
		snprintf(tmp, sizeof tmp, "%s.new", path);
		int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0) {
			snprintf(err, errlen, "disk %d: %s: %s", i, tmp, strerror(errno));
			return -1;
		}
		int rc = 0;
		uint64_t size = d->size_mib << 20;
		if (d->image[0]) {
			vm_image_path(d->image, src, sizeof src);
			int in = open(src, O_RDONLY | O_CLOEXEC);
			struct stat st;
			if (in < 0 || fstat(in, &st) < 0) {
				rc = -1;
				snprintf(err, errlen, "disk %d: image %s: %s", i, d->image, strerror(errno));
			} else {
				int e = fs_copy_sparse(in, out, NULL, NULL, NULL);
				if (e) {
					rc = -1;
					errno = -e;
				}
				if ((uint64_t)st.st_size > size)
					size = (uint64_t)st.st_size;
				if (rc)
					snprintf(err, errlen, "disk %d: copy failed: %s", i, strerror(errno));
			}
			if (in >= 0)
				close(in);
		}
		if (rc == 0 && (ftruncate(out, (off_t)size) < 0 || fsync(out) < 0)) {
			rc = -1;
			snprintf(err, errlen, "disk %d: %s", i, strerror(errno));
		}
		close(out);
		if (rc == 0 && rename(tmp, path) < 0) {
			rc = -1;
			snprintf(err, errlen, "disk %d: rename: %s", i, strerror(errno));
		}
		if (rc) {
			unlink(tmp);
			return -1;
		}
		fs_fsync_parent(path);
	}
	return 0;
}

void vm_remove_taps(struct vm *v)
{
	for (int i = 0; i < v->spec.nnics; i++) {
		char t[16];
		vm_tap_name(v, i, t);
		tap_delete(t);
	}
}

static void write_pidfile(struct vm *v)
{
	char dir[512], path[600], buf[64];
	vm_run_dir(v, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/vmm.pid", dir);
	int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)v->pid, proc_start(v->pid));
	fs_write_atomic(path, buf, (size_t)n, 0600);
}

int vm_spawn(struct vm *v, char *err, size_t errlen)
{
	char dir[512], errpath[600];
	vm_run_dir(v, dir, sizeof dir);
	int rc = fs_mkdir_p(dir, 0700);
	if (rc) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return -1;
	}
	if (vm_prepare_disks(v, err, errlen))
		return -1;
	for (int i = 0; i < v->spec.nnics; i++) {
		char t[16];
		vm_tap_name(v, i, t);
		if (tap_create(t, v->spec.nics[i].network, err, errlen)) {
			vm_remove_taps(v);
			return -1;
		}
	}
	char tag[96];
	snprintf(tag, sizeof tag, "vmm-%s", v->spec.name);
	int logfd = open_log_intake(tag);
	if (logfd < 0) {
		snprintf(errpath, sizeof errpath, "%s/vmm.stderr", dir);
		logfd = open(errpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	}
	uint64_t t0 = mono_us();
	rc = vm_jail_spawn(v, logfd, err, errlen);
	if (rc == 0)
		wlog(WLOG_INFO, "vm", "%s: wafer-vmm pid %d jailed as uid %u, executing after %llu us",
		     v->spec.name, (int)v->pid, (unsigned)v->jail_uid, (unsigned long long)(mono_us() - t0));
	if (logfd >= 0)
		close(logfd);
	if (rc) {
		vm_remove_taps(v);
		return -1;
	}
	v->own_child = true;
	v->stop_requested = false;
	v->shutdown_requested = false;
	v->started_ms = wall_ms();
	write_pidfile(v);
	return 0;
}

/* Reason for an exit status of our own child. */
static enum vm_state exit_state(struct vm *v, int status, char *reason, size_t len)
{
	/* a resume that ended before a vCPU ran keeps the saved state */
	if (v->restore && WIFEXITED(status) &&
	    (WEXITSTATUS(status) == VMM_EXIT_RESTORE || WEXITSTATUS(status) == VMM_EXIT_SETUP ||
	     WEXITSTATUS(status) == VMM_EXIT_USAGE)) {
		snprintf(reason, len, "%s (exit %d; host logs); still suspended",
			 WEXITSTATUS(status) == VMM_EXIT_RESTORE ? "resume refused: the saved state does not load"
								 : "resume failed: wafer-vmm setup",
			 WEXITSTATUS(status));
		return VM_SUSPENDED;
	}
	if (v->suspending && WIFEXITED(status) && WEXITSTATUS(status) == VMM_EXIT_STOPPED) {
		snprintf(reason, len, "saved to the datastore");
		return VM_SUSPENDED;
	}
	if (WIFSIGNALED(status)) {
		snprintf(reason, len, "wafer-vmm killed by signal %d", WTERMSIG(status));
		return v->stop_requested ? VM_STOPPED : VM_CRASHED;
	}
	switch (WEXITSTATUS(status)) {
	case VMM_EXIT_POWEROFF: snprintf(reason, len, "poweroff"); return VM_STOPPED;
	case VMM_EXIT_STOPPED:
		snprintf(reason, len, "%s", v->shutdown_requested ?
			 "shutdown-timeout: the guest did not power off in time and was stopped" : "stopped");
		return VM_STOPPED;
	case VMM_EXIT_USAGE: snprintf(reason, len, "wafer-vmm rejected its command line (exit 1)"); return VM_CRASHED;
	case VMM_EXIT_SETUP: snprintf(reason, len, "wafer-vmm setup failed (exit 2; see host logs)"); return VM_CRASHED;
	case VMM_EXIT_CRASH:
		snprintf(reason, len, "guest crashed: triple fault or KVM error (exit 4)");
		return VM_CRASHED;
	default: snprintf(reason, len, "wafer-vmm exited with code %d", WEXITSTATUS(status)); return VM_CRASHED;
	}
}

/* What became of a VMM that exited, worked out and cleaned up without
 * vm_lock on c, a copy of its VM (the VM itself is `reaping`, so requests on
 * it are refused as busy meanwhile): its exit file, the jail and cgroup
 * (a seccomp kill waits up to 800 ms for its audit record), the taps, and
 * after a guest reboot a new VMM (c->pid set again: *restarted). */
static void reap(struct vm *c, int status, bool known, enum vm_state *st, char *reason, size_t len,
		 bool *restarted)
{
	char dir[512], p[600], jr[96];
	*restarted = false;
	int written = known ? -1 : vm_exit_file_code(c);
	if (written >= 0) { /* init reaped it; its exit file says why */
		status = written << 8;
		known = true;
	}
	vm_jail_reap(c, status, known, jr, sizeof jr);
	if (jr[0]) {
		*st = VM_CRASHED;
		snprintf(reason, len, "%s", jr);
	} else if (known && WIFEXITED(status) && WEXITSTATUS(status) == VMM_EXIT_REBOOT && !c->stop_requested) {
		char err[256];
		c->pid = 0;
		c->restarts++;
		c->restore = false;   /* the guest ran on from its saved state: boot afresh */
		wlog(WLOG_INFO, "vm", "%s: guest reboot, restarting wafer-vmm", c->spec.name);
		vm_saved_path(c, false, p, sizeof p);
		unlink(p);
		if (vm_spawn(c, err, sizeof err) == 0) {
			*restarted = true;
			return;
		}
		snprintf(reason, len, "restart after reboot failed: %.60s", err);
		*st = VM_CRASHED;
	} else if (known) {
		*st = exit_state(c, status, reason, len);
	} else if (c->suspending) {   /* a re-attached VMM that saved, then went as asked */
		*st = VM_SUSPENDED;
		snprintf(reason, len, "saved to the datastore");
	} else if (c->stop_requested) {
		*st = VM_STOPPED;
		snprintf(reason, len, "stopped");
	} else {
		*st = VM_CRASHED;
		snprintf(reason, len, "wafer-vmm exited while not a child of this agent (exit reason in host logs)");
	}
	/* a saved state is kept only by a suspend or a resume that never ran
	 * the guest: otherwise the guest (and its disks) moved on from it */
	if (*st != VM_SUSPENDED) {
		vm_saved_path(c, false, p, sizeof p);
		unlink(p);
	}
	vm_run_dir(c, dir, sizeof dir);
	snprintf(p, sizeof p, "%s/vmm.pid", dir);
	unlink(p);
	vm_remove_taps(c);
}

/* After a VMM ended on its own (not stopped or shut down by an operator):
 * its VM's restart policy schedules a start with backoff (1 s, doubling to
 * 60 s) and a vm.restart event; after restart_max restarts in a row it gives
 * up (vm.restart with gave_up). A VM that ran 10 minutes starts a new series.
 * With vm_lock held; the supervisor starts it when due. */
static void restart_policy(struct vm *v, enum vm_state st, const char *reason)
{
	const struct vm_spec *s = &v->spec;
	if (v->stop_requested || st == VM_SUSPENDED || s->restart == VM_RESTART_NEVER ||
	    (s->restart == VM_RESTART_ON_FAILURE && st != VM_CRASHED))
		return;
	uint64_t now = wall_ms();
	if (v->started_ms && now > v->started_ms + 10 * 60 * 1000ULL)
		v->restart_attempts = 0;
	int max = s->restart_max > 0 ? s->restart_max : VM_RESTART_MAX_DEFAULT;
	struct json_w d;
	events_data(&d);
	json_w_kstr(&d, "name", s->name);
	json_w_kstr(&d, "policy", vm_restart_name(s->restart));
	json_w_kstr(&d, "reason", reason);
	json_w_kint(&d, "max", max);
	if (v->restart_attempts >= max) {
		json_w_kint(&d, "attempt", v->restart_attempts);
		json_w_kbool(&d, "gave_up", true);
		events_post("vm.restart", v->id, &d);
		wlog(WLOG_WARN, "vm", "%s (%s): %s; restart policy %s gave up after %d restarts in a row",
		     s->name, v->id, reason, vm_restart_name(s->restart), v->restart_attempts);
		return;
	}
	v->restart_attempts++;
	uint64_t delay = 1000ULL << (v->restart_attempts - 1 < 6 ? v->restart_attempts - 1 : 6);
	if (delay > 60000)
		delay = 60000;
	v->restart_at_ms = now + delay;
	json_w_kint(&d, "attempt", v->restart_attempts);
	json_w_kuint(&d, "delay_ms", delay);
	events_post("vm.restart", v->id, &d);
	wlog(WLOG_INFO, "vm", "%s (%s): %s; restart %d of %d in %llu ms (policy %s)", s->name, v->id, reason,
	     v->restart_attempts, max, (unsigned long long)delay, vm_restart_name(s->restart));
}

/* The VMM of vm_table[slot] (pid) exited: reap it without the lock, then
 * put the outcome back (with the lock held on entry and on return). */
static void vm_exited(int slot, int status, bool known)
{
	static struct vm copy;   /* the supervisor is one thread */
	struct vm *v = &vm_table[slot], *c = &copy;
	char reason[96] = "";
	enum vm_state st = VM_CRASHED;
	bool restarted = false;
	*c = *v;
	v->reaping = true;
	vm_lock_release();
	reap(c, status, known, &st, reason, sizeof reason, &restarted);
	vm_lock_take();
	v->reaping = false;
	v->jailed = c->jailed;
	v->restarts = c->restarts;
	if (restarted) {
		v->pid = c->pid;
		v->own_child = c->own_child;
		v->stop_requested = c->stop_requested;
		v->shutdown_requested = c->shutdown_requested;
		v->started_ms = c->started_ms;
		vm_set_state(v, VM_STARTING, NULL);
	} else {
		v->pid = 0;
		vm_set_state(v, st, reason);
		restart_policy(v, st, reason);
	}
}

/* Ask a STARTING VM's control socket, without vm_lock (the answer may take
 * up to 200 ms): 1 answered paused, 2 answered running, 0 not yet. */
static int probe_started(const char *path)
{
	struct vmmctl c;
	int r = 0;
	if (access(path, F_OK) != 0)
		return 0;
	memset(&c, 0, sizeof c);
	c.timeout_ms = 200;
	if (vmmctl_connect(&c, path) == 0) {
		struct vmmctl_status st;
		if (vmmctl_status(&c, &st) == 0)
			r = !strcmp(st.state, VMM_STATE_PAUSED) ? 1 : 2;
		vmmctl_close(&c);
	}
	return r;
}

static void *supervisor(void *arg)
{
	(void)arg;
	unsigned tick = 0;
	static struct { int slot; pid_t pid; char path[512]; } starting[VM_MAX];
	static char due[VM_MAX][VM_ID_LEN + 1];
	for (;;) {
		usleep(250000);
		int nstarting = 0, ndue = 0;
		uint64_t now = wall_ms();
		vm_lock_take();
		for (int i = 0; i < VM_MAX; i++) {
			struct vm *v = &vm_table[i];
			if (v->used && v->restart_at_ms && now >= v->restart_at_ms && !v->pid && !v->busy &&
			    !v->reaping) {
				v->restart_at_ms = 0;
				snprintf(due[ndue++], sizeof due[0], "%s", v->id);
			}
			if (!v->used || !v->pid)
				continue;
			int status;
			if (v->reaping)
				continue;
			if (v->own_child) {
				pid_t r = waitpid(v->pid, &status, WNOHANG);
				if (r == v->pid) {
					vm_exited(i, status, true);
					continue;
				}
			} else if (kill(v->pid, 0) < 0 && errno == ESRCH) {
				vm_exited(i, 0, false);
				continue;
			}
			if (v->state == VM_STARTING) {
				starting[nstarting].slot = i;
				starting[nstarting].pid = v->pid;
				vm_ctl_path(v, starting[nstarting].path, sizeof starting[nstarting].path);
				nstarting++;
			}
		}
		vm_lock_release();
		/* restarts its VMs' policies scheduled: start tasks of the VM service */
		for (int k = 0; k < ndue; k++) {
			struct vm_result r;
			if (vm_svc_start_unattended(due[k], &r))
				wlog(WLOG_WARN, "vm", "%s: restart by policy refused: %s", due[k], r.msg);
		}
		/* the control sockets are asked with no lock held */
		for (int k = 0; k < nstarting; k++) {
			int r = probe_started(starting[k].path);
			if (!r)
				continue;
			char sp[512] = "", name[WAFER_NAME_SIZE] = "";
			vm_lock_take();
			struct vm *v = &vm_table[starting[k].slot];
			if (v->used && v->pid == starting[k].pid && v->state == VM_STARTING) {
				vm_set_state(v, r == 1 ? VM_PAUSED : VM_RUNNING, NULL);
				if (v->restore) {
					/* resumed: the guest runs on, so its saved state
					 * must never be resumed again */
					v->restore = false;
					v->saved = (struct vm_saved){ 0 };
					vm_saved_path(v, false, sp, sizeof sp);
					snprintf(name, sizeof name, "%s", v->spec.name);
				}
			}
			vm_lock_release();
			if (sp[0] && unlink(sp) == 0) {
				fs_fsync_parent(sp);
				wlog(WLOG_INFO, "vm", "%s: resumed from its saved state (removed)", name);
			}
		}
		if (++tick % 40 == 0)
			agent_status_write(); /* the API URL follows DHCP */
	}
	return NULL;
}

void vm_supervisor_start(void)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &a, supervisor, NULL);
	pthread_attr_destroy(&a);
}

/* Re-attach, phase 2 (a task, vm.reattach, once the API serves): ask each
 * re-attached VMM's control socket for its state (up to 2 s each, without
 * the lock); the VM is busy until then. */
struct reattach { int slot; pid_t pid; char path[512]; };

static void *reattach_thread(void *arg)
{
	struct reattach *ra = arg;
	unsigned task = task_begin("vm.reattach", "host", 0);
	int n = 0;
	for (; ra[n].slot >= 0; n++) {
		struct vmmctl c;
		struct vmmctl_status st;
		memset(&c, 0, sizeof c);
		c.timeout_ms = 2000;
		bool ok = vmmctl_connect(&c, ra[n].path) == 0 && vmmctl_status(&c, &st) == 0;
		vmmctl_close(&c);
		vm_lock_take();
		struct vm *v = &vm_table[ra[n].slot];
		if (v->used && v->pid == ra[n].pid) {
			if (!ok)
				wlog(WLOG_WARN, "vm", "%s: wafer-vmm pid %d alive but its control socket does not answer: %s",
				     v->spec.name, (int)ra[n].pid, c.err);
			else if (!strcmp(st.state, VMM_STATE_PAUSED))
				vm_set_state(v, VM_PAUSED, NULL);
			else if (!strcmp(st.state, VMM_STATE_SHUTTING_DOWN))
				vm_set_state(v, VM_SHUTTING_DOWN, NULL);
		}
		if (v->used && v->busy && !strcmp(v->busy, "reattach"))
			v->busy = NULL;
		vm_lock_release();
		task_progress(task, (uint64_t)n + 1);
	}
	task_end(task, NULL);
	free(ra);
	return NULL;
}

/* Re-attach, phase 1 (before the API serves): every VM whose vmm.pid names a
 * live wafer-vmm (the same process: its start time is checked against pid
 * reuse) is running again under this agent, busy until phase 2 has asked its
 * control socket. */
void vm_reattach_all(void)
{
	struct reattach *ra = calloc(VM_MAX + 1, sizeof *ra);
	int n = 0;
	if (!ra)
		return;
	vm_lock_take();
	for (int i = 0; i < VM_MAX; i++) {
		struct vm *v = &vm_table[i];
		char dir[512], p[600], *data;
		if (!v->used)
			continue;
		vm_run_dir(v, dir, sizeof dir);
		snprintf(p, sizeof p, "%s/vmm.pid", dir);
		if (fs_read_file(p, 128, &data, NULL))
			continue;
		int pid = 0;
		unsigned long long start = 0;
		sscanf(data, "%d %llu", &pid, &start);
		free(data);
		if (pid <= 0 || proc_start(pid) != start) {
			unlink(p);
			continue;
		}
		/* a saved state left by a resume the agent did not see through:
		 * the guest ran on, so it must never be resumed again */
		char sp[512];
		vm_saved_path(v, false, sp, sizeof sp);
		if (unlink(sp) == 0)
			wlog(WLOG_INFO, "vm", "%s: removed the saved state of a resume that completed", v->spec.name);
		v->saved = (struct vm_saved){ 0 };
		v->pid = pid;
		v->own_child = false;
		v->attached_ms = wall_ms();
		v->started_ms = 0;
		v->jailed = proc_uid(pid) >= JAIL_UID_BASE;
		v->busy = "reattach";
		vm_set_state(v, VM_RUNNING, NULL);
		wlog(WLOG_INFO, "vm", "%s: re-attached to wafer-vmm pid %d", v->spec.name, pid);
		ra[n].slot = i;
		ra[n].pid = pid;
		vm_ctl_path(v, ra[n].path, sizeof ra[n].path);
		n++;
	}
	vm_lock_release();
	ra[n].slot = -1;
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (!n || pthread_create(&t, &a, reattach_thread, ra) != 0) {
		/* nothing to ask (or no thread: the VMs stay running, not busy) */
		vm_lock_take();
		for (int k = 0; k < n; k++)
			vm_table[ra[k].slot].busy = NULL;
		vm_lock_release();
		free(ra);
	}
	pthread_attr_destroy(&a);
}

/* Autostart, once per host boot: <run>/agent.booted (tmpfs) marks it done,
 * so an agent restart does not start VMs an operator stopped. Each start is
 * a task (vm.start) of the VM service; a VM that cannot start is crashed
 * with the reason. */
void vm_autostart_all(void)
{
	char marker[512];
	agent_path(marker, sizeof marker, agent_cfg.run_dir, "agent.booted");
	if (access(marker, F_OK) == 0)
		return; /* an agent restart, not a host boot */
	fs_write_atomic(marker, "1\n", 2, 0644);
	char (*ids)[VM_ID_LEN + 1] = calloc(VM_MAX, sizeof *ids);
	int n = 0;
	if (!ids)
		return;
	vm_lock_take();
	for (int i = 0; i < VM_MAX; i++) {
		struct vm *v = &vm_table[i];
		if (v->used && v->spec.autostart && !v->pid)
			snprintf(ids[n++], sizeof ids[0], "%s", v->id);
	}
	vm_lock_release();
	for (int i = 0; i < n; i++) {
		struct vm_result r;
		if (vm_svc_start_unattended(ids[i], &r))
			wlog(WLOG_ERR, "vm", "%s: autostart failed: %s", ids[i], r.msg);
	}
	free(ids);
}
