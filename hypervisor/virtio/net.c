/* net.c: virtio-net on a tap device (userspace datapath). Transmit runs in
 * the notifying vCPU thread; receive runs in the main loop when the tap is
 * readable and the guest has posted buffers. The tap carries the 12-byte
 * virtio-net header (IFF_VNET_HDR), so frames pass through unchanged. */
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
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
};

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
	if (q == 1) {
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
	int fd = virtio_queue_live(d, 0) && !n->rx_wait ? n->tap : -1;
	pthread_mutex_unlock(&d->lock);
	return fd;
}

void virtio_net_rx(struct virtio_dev *d)
{
	struct net *n = d->priv;
	struct vq_chain *c = &n->rxc;
	int done = 0;
	pthread_mutex_lock(&d->lock);
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
}

static const struct virtio_ops net_ops = {
	.kind = "virtio-net", .type = 1, .class_code = 0x020000, .cfg_size = 8,
	.cfg_read = net_cfg_read, .notify = net_notify, .reset = net_reset,
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
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "net %s: out of memory", cn->id);
		return NULL;
	}
	n->tap = fd;
	memcpy(n->mac, cn->mac, 6);
	n->env = *env;
	virtio_dev_init(&n->vd, &net_ops, n, cn->id, env->mem, NET_F_MAC | NET_F_STATUS, 2,
			NET_QSIZE, env->msi, env->opaque);
	return &n->vd;
}

void virtio_net_get_stats(struct virtio_dev *d, struct net_stats *s)
{
	struct net *n = d->priv;
	pthread_mutex_lock(&d->lock);
	*s = n->st;
	pthread_mutex_unlock(&d->lock);
}
