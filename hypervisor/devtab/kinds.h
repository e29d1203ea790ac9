/* kinds.h: the device kinds of hypervisor/devtab/, one file each. */
#ifndef VMM_DEVTAB_KINDS_H
#define VMM_DEVTAB_KINDS_H
#include "device.h"
extern const struct device_kind virtio_blk_kind, virtio_net_kind, virtio_rng_kind, virtio_balloon_kind;
#endif
