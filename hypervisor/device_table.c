/* device_table.c: every kind of device the VMM has, one line each, in the
 * order they are created and their stats reported (device.h). */
#include "device.h"
#include "devtab/kinds.h"

const struct device_kind *const device_kinds[] = {
	&virtio_blk_kind,
	&virtio_net_kind,
	&virtio_rng_kind,
	&virtio_balloon_kind,
	NULL,
};
