/* vm_internal.h: the registry's VM record, shared by vm_registry.c (storage,
 * lookup), vm_run.c (VMM processes) and the VM handlers. All fields are
 * protected by vm_lock. */
#ifndef WAFER_VM_INTERNAL_H
#define WAFER_VM_INTERNAL_H
#include "vm.h"
#include "vm_service.h"

#include <pthread.h>


struct vm {
	bool used;
	char id[VM_ID_LEN + 1];
	struct vm_spec spec;
	enum vm_state state;
	pid_t pid;                /* wafer-vmm, 0 when none */
	bool own_child;           /* started by this agent process (else re-attached) */
	bool stop_requested;      /* stop/shutdown asked: an exit is not a crash */
	bool shutdown_requested;  /* graceful shutdown asked (exit 5 = shutdown timeout) */
	const char *busy;         /* the request in progress on it (create, start, stop, pause,
	                           * ...: a static string), NULL when none; others get 409 busy */
	char exit_reason[96];
	uint64_t started_ms;      /* wall clock ms */
	uint64_t attached_ms;     /* wall clock ms of the re-attach (own_child false) */
	int restarts;
	uint64_t created_ms;
	uint32_t jail_uid;        /* persisted: the VMM's uid and gid (jail.h), 0 = not yet */
	bool jailed;              /* the running VMM was started (or found) jailed */
	uint64_t restart_at_ms;   /* wall ms of a restart its policy scheduled, 0 = none */
	int restart_attempts;     /* restarts in a row by the policy */
	bool reaping;             /* its VMM exited; the supervisor cleans up without
	                           * vm_lock, pid still set; requests get 409 busy */
	bool restore;             /* this start resumes the saved state (suspend.sav) */
	bool suspending;          /* a suspend stops the VMM: its exit is "suspended" */
	struct vm_saved {         /* the saved state of a suspended VM */
		uint64_t bytes;       /* the file's size (guest memory + state) */
		uint64_t allocated;   /* what it takes on the datastore (zero pages are holes) */
		uint64_t at_ms;       /* wall clock ms of the save */
		uint64_t save_ms;     /* how long the VMM took to write it (0: unknown) */
	} saved;
};

/* Helpers of the VM service (vm_service.c) shared with vm_snapshot.c. */
/* Fill r; returns -1. vm_ok: r says OK; returns 0. */
int vm_fail(struct vm_result *r, enum vm_outcome o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vm_ok(struct vm_result *r);
/* Lock and find the VM; NULL (unlocked, r filled) when there is none. */
struct vm *vm_lock_find_at(const char *key, struct vm_result *r, const char *where);
#define vm_lock_find(key, r) vm_lock_find_at(key, r, __func__)
/* One request at a time per VM: while one works outside the lock (VMM
 * control, boot check, disks, the definition's write), others on the same
 * VM are refused, so every reply matches one serial order of the accepted
 * requests. With the lock held; true (unlocked, r filled) when busy. */
bool vm_refuse_busy(struct vm *v, struct vm_result *r);
/* With the lock held: unlock and refuse because of the VM's state. */
int vm_refuse_state(struct vm *v, struct vm_result *r, const char *fmt_tail);
/* With the lock held: copy v, unlock, and write the copy's JSON to w (which
 * reads the VMM's /proc entries: never under the lock); w NULL: only unlock. */
int vm_reply_copy(struct vm *v, struct json_w *w, struct vm_result *r);

/* A detached thread running fn(arg) for task (a VM action, a snapshot):
 * 0, or -1 with r and the task ended as failed (arg stays the caller's). */
int vm_task_thread(unsigned task, void *(*fn)(void *), void *arg, struct vm_result *r);

/* A new VM record of spec (its id want_id when that is a free VM id, else
 * a new one), with the lock held on return; NULL (unlocked, r: a name
 * taken, the host full) when there is none. The caller marks it busy. */
struct vm *vm_new_record(const struct vm_spec *spec, const char *want_id, struct vm_result *r);

/* The definition of a busy VM written without the lock (vm_save syncs the
 * file), from a copy: called and returns with the lock held. 0 or -errno. */
int vm_save_busy(struct vm *v);

/* vm_lock.c. Take and release vm_lock only through these: they time every
 * hold (vm_lock_stats, /metrics). */
extern pthread_mutex_t vm_lock;
void vm_lock_take_at(const char *where);
#define vm_lock_take() vm_lock_take_at(__func__)
void vm_lock_release(void);
/* Broadcast whenever a VM's state or VMM changes (vm_set_state). */
extern pthread_cond_t vm_cond;
/* With vm_lock held: wait for vm_cond until deadline (vm_deadline(ms));
 * returns false once the deadline passed. */
struct timespec;
void vm_deadline(struct timespec *ts, int ms);
bool vm_cond_wait_until(const struct timespec *deadline);
extern struct vm vm_table[VM_MAX];

/* Lookup by id or name; caller holds vm_lock. */
struct vm *vm_find(const char *id_or_name);
/* Paths. */
void vm_def_path(const struct vm *v, char *out, size_t n);    /* <data>/wafer/vms/<id>.json */
void vm_disk_path(const struct vm *v, int i, char *out, size_t n); /* <data>/wafer/vms/<id>/diskN.img */
void vm_run_dir(const struct vm *v, char *out, size_t n);     /* <run>/vms/<id> */
void vm_image_path(const char *name, char *out, size_t n);    /* <data>/wafer/images/<name> */
/* <data>/wafer/vms/<id>/suspend.sav, or suspend.new (tmp: what a running
 * VMM's save writes, renamed once the VMM is gone) */
void vm_saved_path(const struct vm *v, bool tmp, char *out, size_t n);
/* Fill v->saved from suspend.sav: true when there is one. */
bool vm_saved_stat(struct vm *v);
void vm_tap_name(const struct vm *v, int nic, char out[16]);
/* Write the definition atomically; caller holds vm_lock. 0 or -errno. */
int vm_save(const struct vm *v);
/* Set state and post a vm.state event; caller holds vm_lock. */
void vm_set_state(struct vm *v, enum vm_state s, const char *reason);
/* Write the VM's JSON (spec + status) to w; caller holds vm_lock. */
void vm_write_json(struct json_w *w, const struct vm *v);

/* vm_run.c. Start a VMM (directories, disks, taps, the jailed spawn; v->pid
 * set), without the state change: run without vm_lock on a private copy of
 * a busy VM whose uid vm_jail_prepare gave. Return 0 or -1 with err. */
int vm_spawn(struct vm *v, char *err, size_t errlen);
/* The VM's jail uid, allocated and saved if it has none; caller holds vm_lock. */
int vm_jail_prepare(struct vm *v, char *err, size_t errlen);
void vm_supervisor_start(void);
void vm_reattach_all(void);
void vm_autostart_all(void);
void vm_remove_taps(struct vm *v);
/* Remove the VM's datastore folder and runtime folder (files inside too). */
void vm_remove_dirs(struct vm *v);
int vm_prepare_disks(struct vm *v, char *err, size_t errlen);
/* vm_jail.c: start v's VMM jailed (v->pid set); caller holds vm_lock. */
/* vm_exitfile.c: <run>/vms/<id>/exit, created empty (an fd for the VMM's
 * --exit-fd, or -1 with err), and the exit code the VMM wrote into it (0
 * poweroff, 3 reboot, 4 crash, 5 stopped), or -1 when it wrote none (it
 * was killed). */
int vm_exit_file_open(const struct vm *v, char *err, size_t errlen);
int vm_exit_file_code(const struct vm *v);
int vm_jail_spawn(struct vm *v, int logfd, char *err, size_t errlen);
/* After the VMM is gone: reason for a seccomp or OOM kill ("" if neither),
 * then remove its cgroup, jail folder and control socket. */
void vm_jail_reap(struct vm *v, int status, bool known, char *reason, size_t len);
/* vm_snapshot.c: remove what an unfinished snapshot, delete or revert left
 * (registry load); remove all of a VM's snapshots (VM delete). */
void vm_snapshot_tidy(const struct vm *v);
void vm_snapshot_remove_all(const struct vm *v);
/* A clone from a snapshot (POST /api/v1/vms with clone_of): the snapshot's
 * definition with its MACs cleared, the source VM's id and which disks have
 * files (VM_E_INVALID naming clone_of's member when there is no such VM or
 * snapshot); then, for the new VM dst (busy, no lock held), sparse copies of
 * those disks as its own (space checked first: VM_E_SPACE). 0, or -1 with r. */
int vm_snapshot_for_clone(const char *key, const char *name, struct vm_spec *spec, char src_id[VM_ID_LEN + 1],
			  uint32_t *disk_files, struct vm_result *r);
int vm_snapshot_clone_disks(const char *src_id, const char *name, uint32_t disk_files, const struct vm *dst,
			    struct vm_result *r);
/* vm_isolation.c: the "isolation" object of GET /api/v1/vms/{id}. */
void vm_isolation_json(struct json_w *w, const struct vm *v);
/* The cgroup folder of a VM. */
void vm_cgroup_path(const struct vm *v, char *out, size_t n);
/* Control socket path. */
void vm_ctl_path(const struct vm *v, char *out, size_t n);
#endif
