/* net.c: virtio-net on a tap device (userspace datapath). Transmit runs in
 * the notifying vCPU thread; receive runs in the main loop when the tap is
 * readable and the guest has posted buffers. The tap carries the 12-byte
 * virtio-net header (IFF_VNET_HDR), so frames pass through unchanged.
 * With /dev/vhost-net the kernel moves the frames instead: the VMM gives it
 * the memory table, the rings and the tap, forwards guest kicks to its kick
 * eventfds and turns its call eventfd into MSI-X interrupts (main loop). */
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define NET_F_MAC (1ULL << 5)
#define NET_F_STATUS (1ULL << 16)
#define NET_HDR_LEN 12
#define NET_QSIZE 256
#define NET_RX_BATCH 64

struct net {
	struct virtio_dev vd;
	int tap;
	uint8_t mac[6];
	bool rx_wait;               /* no receive buffers: stop polling the tap */
	struct net_stats st;
	struct virtio_env env;
	struct vq_chain rxc;        /* receive scratch (main thread, under lock) */
	int vhost_fd;               /* -1: userspace datapath */
	bool vhost_active;          /* rings handed to vhost (between DRIVER_OK and reset) */
	uint64_t vhost_features;
	int kick_fd[2], call_fd;
};

static int net_vhost_setup(struct net *n, const struct guest_mem *m, char *err, size_t errlen)
{
	struct vhost_memory *mt = calloc(1, sizeof(*mt) + 2 * sizeof(mt->regions[0]));
	if (!mt) {
		snprintf(err, errlen, "vhost-net setup: out of memory");
		return -1;
	}
	mt->regions[0] = (struct vhost_memory_region){ 0, m->low_size, (uint64_t)(uintptr_t)m->host, 0 };
	mt->nregions = 1;
	if (m->size > m->low_size) {
		mt->regions[1] = (struct vhost_memory_region){ MEM_HIGH_START, m->size - m->low_size,
			(uint64_t)(uintptr_t)(m->host + m->low_size), 0 };
		mt->nregions = 2;
	}
	n->kick_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->kick_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->kick_fd[0] < 0 || n->kick_fd[1] < 0 || n->call_fd < 0 ||
	    ioctl(n->vhost_fd, VHOST_SET_OWNER, NULL) < 0 ||
	    ioctl(n->vhost_fd, VHOST_GET_FEATURES, &n->vhost_features) < 0 ||
	    ioctl(n->vhost_fd, VHOST_SET_MEM_TABLE, mt) < 0) {
		snprintf(err, errlen, "vhost-net setup: %s", strerror(errno));
		free(mt);
		return -1;
	}
	free(mt);
	return 0;
}

/* Hand both rings and the tap to vhost (DRIVER_OK). */
static int net_vhost_start(struct net *n)
{
	struct virtio_dev *d = &n->vd;
	uint64_t f = d->drv_features & n->vhost_features;
	if (ioctl(n->vhost_fd, VHOST_SET_FEATURES, &f) < 0)
		return -1;
	for (unsigned q = 0; q < 2; q++) {
		struct virtq *vq = &d->vq[q];
		struct vhost_vring_state num = { q, vq->size }, base = { q, vq->last_avail };
		struct vhost_vring_addr addr = { .index = q,
			.desc_user_addr = (uint64_t)(uintptr_t)vmm_gpa_ptr(d->mem, vq->desc_gpa, 16ull * vq->size),
			.avail_user_addr = (uint64_t)(uintptr_t)vmm_gpa_ptr(d->mem, vq->avail_gpa, 6 + 2ull * vq->size),
			.used_user_addr = (uint64_t)(uintptr_t)vmm_gpa_ptr(d->mem, vq->used_gpa, 6 + 8ull * vq->size) };
		struct vhost_vring_file kick = { q, n->kick_fd[q] }, call = { q, n->call_fd };
		if (!vq->ready || ioctl(n->vhost_fd, VHOST_SET_VRING_NUM, &num) < 0 ||
		    ioctl(n->vhost_fd, VHOST_SET_VRING_BASE, &base) < 0 ||
		    ioctl(n->vhost_fd, VHOST_SET_VRING_ADDR, &addr) < 0 ||
		    ioctl(n->vhost_fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
		    ioctl(n->vhost_fd, VHOST_SET_VRING_CALL, &call) < 0)
			return -1;
	}
	for (unsigned q = 0; q < 2; q++) {
		struct vhost_vring_file be = { q, n->tap };
		if (ioctl(n->vhost_fd, VHOST_NET_SET_BACKEND, &be) < 0)
			return -1;
	}
	return 0;
}

static void net_vhost_stop(struct net *n)
{
	for (unsigned q = 0; q < 2; q++) {
		struct vhost_vring_file be = { q, -1 };
		struct vhost_vring_state st = { q, 0 };
		ioctl(n->vhost_fd, VHOST_NET_SET_BACKEND, &be);
		ioctl(n->vhost_fd, VHOST_GET_VRING_BASE, &st);
	}
	n->vhost_active = false;
}

static void net_driver_ok(struct virtio_dev *d)
{
	struct net *n = d->priv;
	if (n->vhost_fd < 0)
		return;
	if (net_vhost_start(n) < 0) {
		vmm_log_rl(LOGK_VIRTIO, "virtio-net %s: vhost-net start failed (%s): userspace datapath",
			   d->id, strerror(errno));
		net_vhost_stop(n);
		return;
	}
	n->vhost_active = true;
}

int virtio_net_open_tap(const char *ifname, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "tap %s: TUNSETIFF: %s", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void net_cfg_read(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	struct net *n = d->priv;
	uint8_t c[8];
	memcpy(c, n->mac, 6);
	c[6] = 1;   /* VIRTIO_NET_S_LINK_UP */
	c[7] = 0;
	memcpy(data, c + off, len);
}

static void net_tx(struct net *n)
{
	struct virtio_dev *d = &n->vd;
	struct vq_chain *c = &d->chain;
	int done = 0;
	while (virtio_pop(d, 1, c) > 0) {
		if (c->out_len < NET_HDR_LEN || c->out_len > NET_HDR_LEN + 65550) {
			n->st.tx_dropped++;
		} else {
			ssize_t w = writev(n->tap, c->out, (int)c->n_out);
			if (w < 0) {
				n->st.tx_dropped++;
			} else {
				n->st.tx_packets++;
				n->st.tx_bytes += c->out_len - NET_HDR_LEN;
			}
		}
		if (vq_push(d->mem, &d->vq[1], c->head, 0) < 0) {
			virtio_broken(d, "used ring outside guest memory");
			break;
		}
		done++;
	}
	if (done)
		virtio_signal(d, 1);
}

static void net_notify(struct virtio_dev *d, int q)
{
	struct net *n = d->priv;
	if (n->vhost_active) {
		uint64_t one = 1;
		ssize_t w = write(n->kick_fd[q & 1], &one, sizeof(one));
		(void)w;
	} else if (q == 1) {
		net_tx(n);
	} else if (q == 0 && n->rx_wait) {
		n->rx_wait = false;
		n->env.wake(n->env.opaque);
	}
}

int virtio_net_rx_fd(struct virtio_dev *d)
{
	struct net *n = d->priv;
	pthread_mutex_lock(&d->lock);
	int fd = n->vhost_active ? n->call_fd : virtio_queue_live(d, 0) && !n->rx_wait ? n->tap : -1;
	pthread_mutex_unlock(&d->lock);
	return fd;
}

void virtio_net_rx(struct virtio_dev *d)
{
	struct net *n = d->priv;
	struct vq_chain *c = &n->rxc;
	int done = 0;
	pthread_mutex_lock(&d->lock);
	if (n->vhost_active) {        /* vhost signalled: interrupt both queues */
		uint64_t v;
		if (read(n->call_fd, &v, sizeof(v)) == sizeof(v))
			for (int q = 0; q < 2; q++)
				virtio_interrupt(d, q);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	while (done < NET_RX_BATCH) {
		int r = virtio_pop(d, 0, c);
		if (r <= 0) {
			n->rx_wait = r == 0;
			break;
		}
		ssize_t got = c->in_len >= NET_HDR_LEN ? readv(n->tap, c->in, (int)c->n_in) : -2;
		if (got == -2) {
			virtio_broken(d, "receive buffer smaller than the virtio-net header");
			break;
		}
		if (got < 0) {
			d->vq[0].last_avail--;   /* give the unused buffer back */
			if (errno != EAGAIN && errno != EINTR)
				n->st.rx_dropped++;
			break;
		}
		uint16_t one = 1;
		iov_copy_to(c->in, c->n_in, 10, &one, 2);   /* num_buffers */
		if (vq_push(d->mem, &d->vq[0], c->head, (uint32_t)got) < 0) {
			virtio_broken(d, "used ring outside guest memory");
			break;
		}
		n->st.rx_packets++;
		n->st.rx_bytes += (uint64_t)got - NET_HDR_LEN;
		done++;
	}
	if (done)
		virtio_signal(d, 0);
	pthread_mutex_unlock(&d->lock);
}

static void net_reset(struct virtio_dev *d)
{
	struct net *n = d->priv;
	n->rx_wait = false;
	if (n->vhost_active)
		net_vhost_stop(n);
}

/* Before a save: with vhost-net the kernel holds the ring positions; take
 * them back into the queues (the next avail entry from vhost, the used index
 * from guest memory), then let vhost carry on from there. */
static void net_quiesce(struct virtio_dev *d)
{
	struct net *n = d->priv;
	if (!n->vhost_active)
		return;
	for (unsigned q = 0; q < 2; q++) {
		struct vhost_vring_file be = { q, -1 };
		struct vhost_vring_state st = { q, 0 };
		ioctl(n->vhost_fd, VHOST_NET_SET_BACKEND, &be);
		if (ioctl(n->vhost_fd, VHOST_GET_VRING_BASE, &st) == 0)
			d->vq[q].last_avail = (uint16_t)st.num;
		uint16_t *used = vmm_gpa_ptr(d->mem, d->vq[q].used_gpa + 2, 2);
		if (used)
			d->vq[q].used_idx = __atomic_load_n(used, __ATOMIC_ACQUIRE);
	}
	n->vhost_active = false;
	net_driver_ok(d);
}

/* After a load: a driver that was running gets its datapath back. */
static void net_loaded(struct virtio_dev *d)
{
	if ((d->status & VIRTIO_STATUS_DRIVER_OK) && !d->broken)
		net_driver_ok(d);
}

static const struct virtio_ops net_ops = {
	.kind = "virtio-net", .type = 1, .class_code = 0x020000, .cfg_size = 8,
	.cfg_read = net_cfg_read, .notify = net_notify, .reset = net_reset,
	.driver_ok = net_driver_ok, .quiesce = net_quiesce, .loaded = net_loaded,
};

struct virtio_dev *virtio_net_create(const struct virtio_env *env, const struct cfg_net *cn,
				     int fd, char *err, size_t errlen)
{
	int hdr = NET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		snprintf(err, errlen, "net %s: TUNSETVNETHDRSZ: %s (tap needs IFF_VNET_HDR)", cn->id,
			 strerror(errno));
		return NULL;
	}
	return virtio_net_create_frames(env, cn, fd, err, errlen);
}

struct virtio_dev *virtio_net_create_frames(const struct virtio_env *env, const struct cfg_net *cn,
					    int fd, char *err, size_t errlen)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "net %s: out of memory", cn->id);
		return NULL;
	}
	n->tap = fd;
	memcpy(n->mac, cn->mac, 6);
	n->env = *env;
	n->vhost_fd = cn->vhost ? open("/dev/vhost-net", O_RDWR | O_CLOEXEC) : -1;
	if (n->vhost_fd >= 0 && net_vhost_setup(n, env->mem, err, errlen) < 0) {
		vmm_log("net %s: %s: userspace datapath", cn->id, err);
		close(n->vhost_fd);
		n->vhost_fd = -1;
	}
	vmm_log("net %s: %s datapath", cn->id, n->vhost_fd >= 0 ? "vhost-net" : "userspace");
	virtio_dev_init(&n->vd, &net_ops, n, cn->id, env->mem, NET_F_MAC | NET_F_STATUS, 2,
			NET_QSIZE);
	return &n->vd;
}

void virtio_net_get_stats(struct virtio_dev *d, struct net_stats *s)
{
	struct net *n = d->priv;
	pthread_mutex_lock(&d->lock);
	*s = n->st;
	pthread_mutex_unlock(&d->lock);
}
