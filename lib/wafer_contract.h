/* wafer_contract.h: what wafer-vmm, wafer-agent and waferctl share and must
 * agree on, defined once: the limits of names (a VM, an image, a disk image
 * reference), the shape of a VM both sides accept, the VMM's command-line
 * options, its exit codes, its control socket's commands, their arguments
 * and the run states it reports. The agent builds the VMM's command line
 * from these (mgmt-agent/vms/vm_argv.c) and a unit test parses what it builds
 * with the VMM's own parser (mgmt-agent/tests/test_vmm_argv.c). */
#ifndef WAFER_CONTRACT_H
#define WAFER_CONTRACT_H

/* Names of VMs and images, and the image a VM's boot.kernel, boot.initrd or
 * disk refers to: 1 to WAFER_NAME_MAX characters of [A-Za-z0-9._-], starting
 * with a letter or digit. A name at the limit is stored whole; one over it is
 * refused (HTTP 400, waferctl exit 2) with a message that says the limit. */
#define WAFER_NAME_MAX 64
/* A buffer for one name and its NUL. */
#define WAFER_NAME_SIZE (WAFER_NAME_MAX + 1)
#define WAFER_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* The shape of a VM: what the agent's spec accepts is what wafer-vmm's
 * command line accepts. */
#define WAFER_VM_VCPUS_MAX 64
#define WAFER_VM_MEMORY_MIB_MIN 16
#define WAFER_VM_MEMORY_MIB_MAX 1048576
#define WAFER_VM_DISKS_MAX 8
#define WAFER_VM_NICS_MAX 8
/* The kernel command line, without its NUL (the Linux boot protocol's usual
 * cmdline_size). */
#define WAFER_CMDLINE_MAX 2047

/* wafer-vmm's command-line options (docs/vmm.md, "Command line"). */
#define VMM_OPT_ID "--id"                /* 1-64 of WAFER_NAME_CHARS */
#define VMM_OPT_VCPUS "--vcpus"
#define VMM_OPT_MEMORY_MIB "--memory-mib"
#define VMM_OPT_KERNEL "--kernel"        /* the boot source: Linux, loaded directly */
#define VMM_OPT_INITRD "--initrd"
#define VMM_OPT_CMDLINE "--cmdline"
#define VMM_OPT_DISK "--disk"            /* path=FILE|fd=N[,readonly][,id=NAME] */
#define VMM_OPT_NET "--net"              /* tap=IF|fd=N[,mac=MAC][,id=NAME][,vhost=auto|off] */
#define VMM_OPT_RNG "--rng"
#define VMM_OPT_BALLOON "--balloon"
#define VMM_OPT_CONSOLE_RING "--console-ring"
#define VMM_OPT_CONTROL "--control"
#define VMM_OPT_CONTROL_FD "--control-fd"
#define VMM_OPT_EXIT_FD "--exit-fd"
#define VMM_OPT_STATE "--state"          /* the file `save` writes (opened at start) */
#define VMM_OPT_STATE_FD "--state-fd"
#define VMM_OPT_RESTORE "--restore"      /* start from a saved file instead of booting */
#define VMM_OPT_RESTORE_FD "--restore-fd"

/* wafer-vmm's exit status (also written as "CODE REASON" to its --exit-fd;
 * docs/vmm.md, "Exit codes"). */
enum vmm_exit_code {
	VMM_EXIT_POWEROFF = 0, /* the guest powered off */
	VMM_EXIT_USAGE = 1,    /* bad command line */
	VMM_EXIT_SETUP = 2,    /* setup failed before the guest ran */
	VMM_EXIT_REBOOT = 3,   /* the guest rebooted: start a new VMM */
	VMM_EXIT_CRASH = 4,    /* triple fault or KVM internal error */
	VMM_EXIT_STOPPED = 5,  /* stopped: control socket, shutdown timeout, signal */
	VMM_EXIT_RESTORE = 6,  /* --restore: the saved state was refused (nothing ran) */
};

/* The control socket (one JSON object per line; docs/vmm.md, "Control
 * socket protocol"; the client is lib/vmmctl.c): the commands, */
#define VMMCTL_CMD_STATUS "status"
#define VMMCTL_CMD_STATS "stats"
#define VMMCTL_CMD_PAUSE "pause"
#define VMMCTL_CMD_RESUME "resume"
#define VMMCTL_CMD_SHUTDOWN "shutdown"
#define VMMCTL_CMD_STOP "stop"
#define VMMCTL_CMD_BALLOON "balloon"
#define VMMCTL_CMD_CONSOLE_WRITE "console-write"
#define VMMCTL_CMD_CONSOLE "console"
#define VMMCTL_CMD_SAVE "save"         /* the paused VM into the --state file */
/* their arguments, */
#define VMMCTL_ARG_CMD "cmd"
#define VMMCTL_ARG_TIMEOUT_S "timeout_s"       /* shutdown */
#define VMMCTL_ARG_TARGET_MIB "target_mib"     /* balloon */
#define VMMCTL_ARG_DATA "data"                 /* console-write */
#define VMMCTL_ARG_FROM "from"                 /* console: an offset, "start" or "end" */
#define VMMCTL_ARG_FOLLOW "follow"             /* console */
#define VMMCTL_ARG_INPUT "input"               /* console */
/* and the run states of a status reply's "state". */
#define VMM_STATE_RUNNING "running"
#define VMM_STATE_PAUSED "paused"
#define VMM_STATE_SHUTTING_DOWN "shutting-down"
#define VMM_STATE_STOPPED "stopped"
#endif
