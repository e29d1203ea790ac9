/* devtab/blk.c: virtio-blk in the device table: one per --disk, stats
 * under "disks". The device model is virtio/blk.c. */
#include "devtab/kinds.h"
#include "json.h"
#include "vm.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int open_disk(const struct cfg_disk *d, char *err, size_t errlen)
{
	if (d->fd >= 0)
		return d->fd;
	int fd = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "disk %s: %s: %s", d->id, d->path, strerror(errno));
	return fd;
}

static int blk_create(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen)
{
	for (int i = 0; i < vm->cfg->ndisks; i++) {
		int fd = open_disk(&vm->cfg->disks[i], err, errlen);
		if (fd < 0 ||
		    device_add(vm, &virtio_blk_kind, virtio_blk_create(env, &vm->cfg->disks[i], fd, err, errlen), err,
			       errlen) < 0)
			return -1;
	}
	return 0;
}

static void blk_stats(const struct vm_device *d, struct json_w *w)
{
	struct blk_stats s;
	virtio_blk_get_stats(d->vdev, &s);
	json_w_kstr(w, "id", d->vdev->id);
	json_w_kuint(w, "rd_bytes", s.rd_bytes);
	json_w_kuint(w, "wr_bytes", s.wr_bytes);
	json_w_kuint(w, "rd_ops", s.rd_ops);
	json_w_kuint(w, "wr_ops", s.wr_ops);
	json_w_kuint(w, "flush_ops", s.flush_ops);
	json_w_kuint(w, "discard_ops", s.discard_ops);
	json_w_kuint(w, "errors", s.errors);
	json_w_kbool(w, "broken", d->vdev->broken);
}

static void blk_destroy(struct vm_device *d)
{
	virtio_blk_destroy(d->vdev);
}

const struct device_kind virtio_blk_kind = {
	.name = "virtio-blk", .stats_key = "disks", .create = blk_create, .stats = blk_stats,
	.reset = device_reset_virtio, .save = device_save_virtio, .load = device_load_virtio,
	.destroy = blk_destroy,
};
