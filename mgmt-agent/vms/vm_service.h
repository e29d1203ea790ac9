/* vm_service.h: the VM service, what the API's handlers (api/h_vms.c) ask of
 * the VMs. Each call names a VM by id or name, does the work and reports the
 * outcome as a vm_outcome and a message; it never formats HTTP (the handler
 * maps the outcome to a status). vm_lock is held only for short sections:
 * never across a wait (condition variable), a VMM request, a file write or
 * removal, a spawn or a /proc read; a VM's JSON is written from a copy of
 * its record taken under the lock. While a call works on a VM outside the
 * lock, the VM is busy and other calls on it get VM_E_BUSY. */
#ifndef WAFER_VM_SERVICE_H
#define WAFER_VM_SERVICE_H
#include "json.h"
#include "vm.h"
#include "vmmctl.h"

#include <stdbool.h>
#include <stdint.h>

enum vm_outcome {
	VM_OK = 0,
	VM_E_NOT_FOUND,   /* no VM with that id or name */
	VM_E_BUSY,        /* another request on the VM is in progress */
	VM_E_STATE,       /* the VM's state does not allow it */
	VM_E_INVALID,     /* the spec or the change is refused */
	VM_E_EXISTS,      /* another VM has that name */
	VM_E_FULL,        /* the host holds VM_MAX VMs */
	VM_E_STORAGE,     /* a definition or a disk could not be written or removed */
	VM_E_START,       /* the VMM could not be started: nothing runs */
	VM_E_BOOT,        /* the VMM ended during its boot check, or did not start again */
	VM_E_VMM,         /* the VMM did not answer, refused, or did not exit after stop */
	VM_E_STOP,        /* reboot: the VMM did not stop */
	VM_E_SPACE,       /* not enough space on the datastore */
	VM_E_NOMEM,
};

struct vm_result {
	enum vm_outcome outcome;
	char msg[320];
};

enum vm_action { VM_ACT_START, VM_ACT_SHUTDOWN, VM_ACT_STOP, VM_ACT_REBOOT, VM_ACT_PAUSE, VM_ACT_RESUME,
		 VM_ACT_SUSPEND };
/* "start", "shutdown", ... */
const char *vm_action_name(enum vm_action a);

/* Calls return 0 (VM_OK; the VM, after the call, written to w unless w is
 * NULL) or -1 with r filled. who: the client certificate's name, for logs. */
void vm_svc_list(struct json_w *w);   /* {"vms": [Vm]} */
int vm_svc_get(const char *key, struct json_w *w, struct vm_result *r);
int vm_svc_create(const struct json_node *spec, const char *who, struct json_w *w, struct vm_result *r);
int vm_svc_patch(const char *key, const struct json_node *patch, struct json_w *w, struct vm_result *r);
int vm_svc_delete(const char *key, const char *who, struct vm_result *r);
/* A power action; start and reboot return once the VM runs (up to 10 s of
 * boot check; a suspended VM's start resumes its saved state), stop once its
 * VMM is gone (5 s; a suspended VM's stop discards the saved state),
 * shutdown once the guest was asked to power off, suspend once the VM's
 * memory and device state are saved on the datastore and its VMM is gone. */
int vm_svc_action(const char *key, enum vm_action a, struct json_w *w, struct vm_result *r);
/* The same action as a task (kind vm.<action>, target the VM's name) on a
 * thread of its own: returns once the task exists (*task its id) if the VM
 * exists and is not busy. The task ends when the action is done: start and
 * reboot once the VM runs, stop and shutdown once the VMM is gone (for
 * shutdown up to its 60 s grace period), pause and resume with the VMM's
 * answer; a failure is the task's error. */
int vm_svc_action_task(const char *key, enum vm_action a, unsigned *task, struct vm_result *r);
/* A start nobody waits for (autostart at host boot, a restart its policy
 * scheduled; vm_run.c): a start task that keeps the count of restarts in a
 * row (an operator's start resets it); a VM that cannot start is crashed
 * with the reason (shown as exit_reason). */
int vm_svc_start_unattended(const char *key, struct vm_result *r);

/* Snapshots (vm_snapshot.c): the VM's definition and disks, and for a
 * running, paused or suspended VM its memory and device state, under a name
 * (WAFER_NAME_CHARS). create: a running VM is paused for the save and the
 * disk copy only; VM_E_EXISTS for a name taken, VM_E_SPACE when the copies
 * would not fit, VM_E_STATE while it starts or shuts down, or at
 * VM_SNAPSHOTS_MAX. revert: a VM with a VMM is stopped first; the VM's
 * disks, saved state and definition (but its name, autostart and restart
 * policy) become the snapshot's; a snapshot of a running or paused VM
 * resumes, one of a suspended VM leaves it suspended, any other stopped. w
 * gets the Snapshot (create, list with name: one; list without: {"snapshots":
 * [...]}, oldest first) or the VM (revert). */
#define VM_SNAPSHOTS_MAX 32
int vm_svc_snapshot_create(const char *key, const char *name, struct json_w *w, struct vm_result *r);
int vm_svc_snapshot_revert(const char *key, const char *name, struct json_w *w, struct vm_result *r);
int vm_svc_snapshot_delete(const char *key, const char *name, struct vm_result *r);
int vm_svc_snapshot_list(const char *key, const char *name, struct json_w *w, struct vm_result *r);
/* create or revert as a task (kind vm.snapshot or vm.revert, target
 * "VM/NAME", progress in bytes copied). */
int vm_svc_snapshot_task(const char *key, const char *name, bool revert, unsigned *task, struct vm_result *r);

/* Moving a VM between hosts (vm_transfer.c; lib/vmexport.h). export: a
 * VM without a VMM (stopped, crashed or suspended; busy meanwhile) written
 * through out once start succeeded: its definition, boot images, disks and
 * saved state. -1 (r; start not called) when it cannot be; -2 (r) when the
 * stream was cut after start. import: a stream read through in (bytes, 0 at
 * the end, -1 cut) checked whole, then a VM of this host of the same id
 * when free, name and MACs, suspended when its saved state came along, its
 * boot images stored unless the same are here: VM_E_INVALID for a stream
 * refused (the reason), VM_E_EXISTS for a name taken or a different image
 * of the same name, VM_E_SPACE when the datastore fills; nothing is kept. */
int vm_svc_export(const char *key, int (*start)(void *arg), int (*out)(void *arg, const void *buf, size_t len),
		  void *arg, struct vm_result *r);
int vm_svc_import(int (*in)(void *arg, void *buf, size_t len), void *arg, const char *who, struct json_w *w,
		  struct vm_result *r);

/* The VM's serial console from the start of its ring (vmmctl_console_open on
 * c, left open for the caller): VM_E_NOT_FOUND, VM_E_STATE (not running) or
 * VM_E_VMM (the VMM refused or did not answer). */
int vm_svc_console(const char *key, bool follow, bool input, struct vmmctl *c, struct vm_result *r);

/* What /metrics needs of every VM, copied under the lock. */
struct vm_brief {
	char id[VM_ID_LEN + 1], name[WAFER_NAME_SIZE], ctl[512];
	enum vm_state state;
	int vcpus;
	uint64_t memory_mib;
	bool running;           /* a VMM that answers stats: running or paused */
};
/* Up to max VMs into out; returns how many. */
int vm_svc_briefs(struct vm_brief *out, int max);

/* How long vm_lock was held (vm_lock.c times every hold), for /metrics. */
struct vm_lock_stats {
	uint64_t holds, over_10ms, over_100ms;
	uint64_t total_ns, max_ns;
	char max_where[40];   /* the function that held it longest */
};
void vm_lock_stats_get(struct vm_lock_stats *s);
#endif
