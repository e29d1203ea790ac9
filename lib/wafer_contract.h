/* wafer_contract.h: what wafer-vmm, wafer-agent and waferctl share and must
 * agree on, defined once: the limits of names (a VM, an image, a disk image
 * reference), the VMM's exit codes and the run states its control socket
 * reports. Control commands and their arguments move here with the
 * agent-layers issue (docs/architecture.md). */
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

/* wafer-vmm's exit status (also written as "CODE REASON" to its --exit-fd;
 * docs/vmm.md, "Exit codes"). */
enum vmm_exit_code {
	VMM_EXIT_POWEROFF = 0, /* the guest powered off */
	VMM_EXIT_USAGE = 1,    /* bad command line */
	VMM_EXIT_SETUP = 2,    /* setup failed before the guest ran */
	VMM_EXIT_REBOOT = 3,   /* the guest rebooted: start a new VMM */
	VMM_EXIT_CRASH = 4,    /* triple fault or KVM internal error */
	VMM_EXIT_STOPPED = 5,  /* stopped: control socket, shutdown timeout, signal */
};

/* The run states of the control socket's "state" (lib/vmmctl.h). */
#define VMM_STATE_RUNNING "running"
#define VMM_STATE_PAUSED "paused"
#define VMM_STATE_SHUTTING_DOWN "shutting-down"
#define VMM_STATE_STOPPED "stopped"
#endif
