/* devtab/rng.c: virtio-rng in the device table (--rng); no stats. The
 * device model is virtio/rng.c. */
#include "devtab/kinds.h"
#include "vm.h"
#include "virtio/devices.h"

static int rng_create(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen)
{
	if (!vm->cfg->rng)
		return 0;
	return device_add(vm, &virtio_rng_kind, virtio_rng_create(env, err, errlen), err, errlen);
}

const struct device_kind virtio_rng_kind = {
	.name = "virtio-rng", .create = rng_create,
	.reset = device_reset_virtio, .save = device_save_virtio, .load = device_load_virtio,
};
