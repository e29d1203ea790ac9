/* vm.h: VM definitions (spec), the registry of VMs persisted on the
 * datastore, and their supervision (one wafer-vmm per running VM). */
#ifndef WAFER_VM_H
#define WAFER_VM_H
#include "json.h"
#include "wafer_contract.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define VM_MAX_DISKS WAFER_VM_DISKS_MAX
#define VM_MAX_NICS WAFER_VM_NICS_MAX
#define VM_ID_LEN 12
#define VM_MAX 256            /* VMs one host holds */
#define VM_CPUS_MAX 64      /* "0-3,8" host CPU list for pinning */

struct vm_disk {
	char image[WAFER_NAME_SIZE];  /* image to clone ("" for a new sparse disk) */
	uint64_t size_mib;        /* new sparse disk size, or 0 (clone size) */
	bool readonly;
};

struct vm_nic {
	char network[16];         /* bridge, default br0 */
	char mac[18];             /* "52:54:00:xx:xx:xx" */
};

/* What the agent does when a VM's VMM ends without an operator's stop or
 * shutdown (vm_run.c): never start it again, start it again after a crash,
 * or after any end (poweroff too); with backoff and at most restart_max
 * times in a row. */
enum vm_restart { VM_RESTART_NEVER, VM_RESTART_ON_FAILURE, VM_RESTART_ALWAYS };
#define VM_RESTART_MAX_DEFAULT 5
#define VM_RESTART_MAX_LIMIT 100
const char *vm_restart_name(enum vm_restart r);

struct vm_spec {
	char name[WAFER_NAME_SIZE];
	int vcpus;
	uint64_t memory_mib;
	char kernel[WAFER_NAME_SIZE], initrd[WAFER_NAME_SIZE];
	char cmdline[WAFER_CMDLINE_MAX + 1];
	int ndisks, nnics;
	struct vm_disk disks[VM_MAX_DISKS];
	struct vm_nic nics[VM_MAX_NICS];
	bool autostart;
	char cpus[VM_CPUS_MAX];   /* pin to these host CPUs ("" = any) */
	int cpu_limit_pct;        /* CPU quota, % of one CPU (0 = none) */
	enum vm_restart restart;
	int restart_max;          /* restarts in a row before the agent gives up */
};

struct vm_limits {
	int max_vcpus;
	int host_cpus;            /* online host CPUs (for `cpus`), 0 = unchecked */
	uint64_t max_memory_mib;
	/* returns true if the image exists on the datastore */
	bool (*image_exists)(const char *name);
};

/* Validate a JSON spec into out. base: the current spec for PATCH (fields
 * absent from obj keep their value) or NULL for a new VM (name, vcpus,
 * memory_mib and boot.kernel required). Returns 0 or -1 with a precise
 * message in err. */
int vm_spec_parse(const struct json_node *obj, const struct vm_spec *base,
		  const struct vm_limits *lim, struct vm_spec *out, char *err, size_t errlen);
void vm_spec_write(struct json_w *w, const struct vm_spec *s);
/* wafer-vmm's command line for a VM (vm_argv.c). The descriptor numbers
 * are those the VMM will have (the jail passes disks, NICs, the control
 * socket and the exit file in that order from 3). */
#define VMM_ARGV_MAX 64
struct vmm_argv {
	char *v[VMM_ARGV_MAX + 1]; /* NULL-terminated; point into store */
	int n;
	char store[8192];
	size_t used;
	bool overflow;
};
struct vmm_fds {
	int disk[VM_MAX_DISKS], nic[VM_MAX_NICS], control, exit;
	int state, restore;       /* --state-fd, --restore-fd; 0 = none */
};
/* Kernel and initrd are the jail's paths (/boot/kernel, /boot/initrd). 0, or
 * -1 when the line does not fit (never for a spec vm_spec_parse accepted). */
int vm_vmm_argv(const struct vm_spec *s, const char *id, const struct vmm_fds *fds,
		struct vmm_argv *out);
/* Generate a locally administered unicast MAC from random bytes. */
void vm_mac_from_bytes(const unsigned char b[3], char out[18]);
bool vm_mac_valid(const char *mac);
/* A host CPU list "N", "N-M", comma separated, every CPU below ncpus (0 =
 * unchecked). 0, or -1 with a message. */
int vm_cpus_parse(const char *list, int ncpus, char *err, size_t errlen);

/* VM_SUSPENDED: no VMM; its memory and device state are saved on the
 * datastore (suspend.sav) and the next start resumes from there. */
enum vm_state { VM_STOPPED, VM_STARTING, VM_RUNNING, VM_PAUSED, VM_SHUTTING_DOWN, VM_CRASHED, VM_SUSPENDED };
#define VM_STATES (VM_SUSPENDED + 1)
const char *vm_state_name(enum vm_state s);

/* Registry */
int vm_registry_init(char *err, size_t errlen);
void vm_registry_shutdown(void);
/* Host limits for specs (CPUs, memory). */
void vm_host_limits(struct vm_limits *lim);
bool vm_image_in_use(const char *image, char *vm_name, size_t len);
int vm_count(int *running);
#endif
