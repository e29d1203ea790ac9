/* config.h: the VMM's configuration from its command line (docs/vmm.md). */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wafer_contract.h"

#define CFG_MAX_DISKS WAFER_VM_DISKS_MAX
#define CFG_MAX_NETS WAFER_VM_NICS_MAX
#define CFG_MAX_VCPUS WAFER_VM_VCPUS_MAX

struct cfg_disk {
	const char *path;   /* NULL when fd given */
	int fd;             /* -1 when path given */
	bool readonly;
	char id[WAFER_NAME_SIZE];
};

struct cfg_net {
	const char *tap;    /* NULL when fd given */
	int fd;
	uint8_t mac[6];
	bool mac_set;
	bool vhost;         /* vhost=auto (true) / off */
	char id[WAFER_NAME_SIZE];
};

/* How the VM boots. One kind today; firmware (SeaBIOS/OVMF loading the
 * guest's own bootloader from its disk) is the next case, not a rewrite:
 * a new kind, its options, and its case in the port's arch_machine_boot. */
enum boot_kind {
	BOOT_NONE = 0,      /* not given: refused by config_parse */
	BOOT_KERNEL,        /* --kernel [--initrd] [--cmdline]: the VMM loads Linux directly */
};

struct cfg_boot {
	enum boot_kind kind;
	const char *kernel, *initrd, *cmdline;   /* BOOT_KERNEL */
};

struct vmm_config {
	const char *id;
	int vcpus;
	uint64_t memory_mib;
	struct cfg_boot boot;
	struct cfg_disk disks[CFG_MAX_DISKS];
	int ndisks;
	struct cfg_net nets[CFG_MAX_NETS];
	int nnets;
	bool rng, balloon;
	size_t console_ring;
	const char *control_path;
	int control_fd;
	int exit_fd;      /* --exit-fd: "CODE REASON\n" written here at exit, or -1 */
	const char *state_path;   /* --state: where `save` writes (or state_fd) */
	int state_fd;
	const char *restore_path; /* --restore: start from this saved file (or restore_fd) */
	int restore_fd;
};

/* Parse argv. Returns 0, 1 for --help (usage printed to out), or -1 with a
 * message in err. Strings point into argv. */
int config_parse(struct vmm_config *c, int argc, char **argv, char *err, size_t errlen);
extern const char config_usage[];
#endif
