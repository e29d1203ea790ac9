/* devtab/net.c: virtio-net in the device table: one per --net, stats under
 * "nets", the tap polled by the main loop. The device model is virtio/net.c. */
#include "devtab/kinds.h"
#include "json.h"
#include "vm.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"

static int net_create(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen)
{
	for (int i = 0; i < vm->cfg->nnets; i++) {
		const struct cfg_net *n = &vm->cfg->nets[i];
		int fd = n->fd >= 0 ? n->fd : virtio_net_open_tap(n->tap, err, errlen);
		if (fd < 0 || device_add(vm, &virtio_net_kind, virtio_net_create(env, n, fd, err, errlen), err, errlen) < 0)
			return -1;
	}
	return 0;
}

static void net_stats(const struct vm_device *d, struct json_w *w)
{
	struct net_stats s;
	virtio_net_get_stats(d->vdev, &s);
	json_w_kstr(w, "id", d->vdev->id);
	json_w_kuint(w, "rx_bytes", s.rx_bytes);
	json_w_kuint(w, "tx_bytes", s.tx_bytes);
	json_w_kuint(w, "rx_packets", s.rx_packets);
	json_w_kuint(w, "tx_packets", s.tx_packets);
	json_w_kuint(w, "rx_dropped", s.rx_dropped);
	json_w_kbool(w, "broken", d->vdev->broken);
}

static int net_poll_fd(const struct vm_device *d) { return virtio_net_rx_fd(d->vdev); }
static void net_poll_in(struct vm_device *d) { virtio_net_rx(d->vdev); }

const struct device_kind virtio_net_kind = {
	.name = "virtio-net", .stats_key = "nets", .create = net_create, .stats = net_stats,
	.reset = device_reset_virtio, .save = device_save_virtio, .load = device_load_virtio,
	.poll_fd = net_poll_fd, .poll_in = net_poll_in,
};
