/* devtab/balloon.c: virtio-balloon in the device table (--balloon); its
 * stats are one object under "balloon". The device model is virtio/balloon.c. */
#include "devtab/kinds.h"
#include "json.h"
#include "vm.h"
#include "virtio/devices.h"

static int balloon_create(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen)
{
	if (!vm->cfg->balloon)
		return 0;
	return device_add(vm, &virtio_balloon_kind, virtio_balloon_create(env, vm->mem.size, err, errlen), err,
			  errlen);
}

static void balloon_stats(const struct vm_device *d, struct json_w *w)
{
	struct balloon_stats b;
	virtio_balloon_get_stats(d->vdev, &b);
	json_w_kuint(w, "target_mib", b.target_pages >> 8);
	json_w_kuint(w, "actual_mib", b.actual_pages >> 8);
	json_w_key(w, "guest");
	json_w_obj_begin(w);
	json_w_kuint(w, "swap_in", b.swap_in);
	json_w_kuint(w, "swap_out", b.swap_out);
	json_w_kuint(w, "major_faults", b.major_faults);
	json_w_kuint(w, "minor_faults", b.minor_faults);
	json_w_kuint(w, "free_memory", b.free_memory);
	json_w_kuint(w, "total_memory", b.total_memory);
	json_w_kuint(w, "available_memory", b.available_memory);
	json_w_kuint(w, "disk_caches", b.disk_caches);
	json_w_obj_end(w);
}

const struct device_kind virtio_balloon_kind = {
	.name = "virtio-balloon", .stats_key = "balloon", .stats_single = true, .create = balloon_create,
	.stats = balloon_stats, .reset = device_reset_virtio,
	.save = device_save_virtio, .load = device_load_virtio,
};
