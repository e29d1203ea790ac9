/* init_state.h: what init knows about the running system, shared by its
 * parts (boot sequence, network, services, status screen, control socket). */
#ifndef INIT_STATE_H
#define INIT_STATE_H
#include "init_cmdline.h"
#include "init_config.h"
#include "init_mediuminfo.h"
#include <stdint.h>

#define MGMT_BRIDGE "br0"
#define NET_STATE_DIR "/run/wafer/net"
#define DHCP4_STATE NET_STATE_DIR "/dhcp4"
#define AGENT_STATUS "/run/wafer/status/agent"
#define AGENT_PATH "/usr/bin/wafer-agent"
#define HOOK_PATH "/usr/libexec/wafer/udhcpc-hook"
#define TESTHOOK_PATH "/usr/libexec/wafer/test-hook"

struct init_state {
	struct cmdline cmdline;
	struct config cfg;
	struct config_errors cfg_errs;
	char version[64];         /* /etc/wafer/version: the running system's */
	char slot[16];
	char boot_path[24];       /* wafer.boot=: grub-bios, grub-efi, u-boot, pxe */
	char hostname[64];
	char uplink[16];          /* the physical NIC under br0 (or VLAN parent) */
	char mgmt_port[24];       /* what is enslaved to br0: uplink or uplink.VID */
	int net_ready;            /* br0 exists and is up */
	int kvm_ok;
	char kvm_why[128];
	int data_ready;           /* /data mounted (or known to be in RAM) */
	int stateless;            /* no boot medium: /config and /data are tmpfs */
	char stateless_why[48];   /* "no boot medium", "network boot", "config partition damaged" */
	char medium[32];          /* the boot disk, e.g. "vda" */
	struct medium_info medium_info; /* its bus, model, size */
	int64_t medium_wait_ms;   /* how long init waited for it */
	int shutting_down;
	int64_t boot_ms;          /* CLOCK_MONOTONIC at init start */
	char dhcp_ntp[160];       /* NTP servers from the DHCP lease */
	int test_hooks;           /* wafer.test.* keys accepted (test builds) */
};
extern struct init_state g_st;
#endif
