/* devices.h: constructors and statistics of the virtio device models. */
#ifndef VMM_VIRTIO_DEVICES_H
#define VMM_VIRTIO_DEVICES_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "mem.h"

struct virtio_dev;

/* What a device needs from the VM: memory and main-loop wakeup (interrupts go
 * through the transport that attaches it: virtio_pci.h). */
struct virtio_env {
	const struct guest_mem *mem;
	void (*wake)(void *opaque);
	void *opaque;
};

struct blk_stats { uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops, flush_ops, discard_ops, errors; };
struct net_stats { uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped, tx_dropped; };
struct balloon_stats {
	uint64_t target_pages, actual_pages;
	uint64_t swap_in, swap_out, major_faults, minor_faults, free_memory, total_memory,
		available_memory, disk_caches;
};

/* blk.c: fd is an open raw image (the device takes ownership). */
struct virtio_dev *virtio_blk_create(const struct virtio_env *env, const struct cfg_disk *d,
				     int fd, char *err, size_t errlen);
void virtio_blk_get_stats(struct virtio_dev *d, struct blk_stats *s);
/* Close the image and free the device (after the VM stopped). */
void virtio_blk_destroy(struct virtio_dev *d);

/* net.c: fd is an attached tap (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR). */
struct virtio_dev *virtio_net_create(const struct virtio_env *env, const struct cfg_net *n,
				     int fd, char *err, size_t errlen);
/* The same on any fd that carries one frame, with its 12-byte virtio-net
 * header, per read and write (the tap after the checks above; a datagram
 * socket in the fuzz harness). */
struct virtio_dev *virtio_net_create_frames(const struct virtio_env *env, const struct cfg_net *n,
					    int fd, char *err, size_t errlen);
/* Open /dev/net/tun and attach to ifname with the flags above. */
int virtio_net_open_tap(const char *ifname, char *err, size_t errlen);
/* Main loop: the tap fd to poll for input, or -1 while the guest has no
 * receive buffers. virtio_net_rx moves pending frames into the guest. */
int virtio_net_rx_fd(struct virtio_dev *d);
void virtio_net_rx(struct virtio_dev *d);
void virtio_net_get_stats(struct virtio_dev *d, struct net_stats *s);

struct virtio_dev *virtio_rng_create(const struct virtio_env *env, char *err, size_t errlen);

struct virtio_dev *virtio_balloon_create(const struct virtio_env *env, uint64_t mem_bytes,
					 char *err, size_t errlen);
void virtio_balloon_set_target(struct virtio_dev *d, uint64_t target_mib);
/* Returns the latest guest statistics and asks the guest for fresh ones. */
void virtio_balloon_get_stats(struct virtio_dev *d, struct balloon_stats *s);
#endif
