/* wafer_contract.h: what wafer-vmm, wafer-agent and waferctl share and must
 * agree on, defined once. Today: the limits of names (a VM, an image, a disk
 * image reference). The VMM's exit codes, VM states and control commands
 * move here with the agent-layers issue (docs/architecture.md). */
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
#endif
