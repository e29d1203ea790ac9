/* device.h: the VMM's device table. Every kind of device registers once
 * (device_table.c) with its operations; a VM holds a list of devices, not
 * named arrays, and the core (machine setup, main loop, control socket)
 * goes through the operations. docs/vmm.md, "Devices", shows how to add one. */
#ifndef VMM_DEVICE_H
#define VMM_DEVICE_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

struct vm;
struct json_w;
struct virtio_env;
struct virtio_dev;
struct vm_device;

struct device_kind {
	const char *name;        /* "virtio-blk" */
	/* Stats for the control socket: the key they go under, as an array of
	 * one object per device ("disks", "nets") or, single, one object
	 * ("balloon"); NULL: none. */
	const char *stats_key;
	bool stats_single;
	/* Create every device of this kind the VM's configuration asks for,
	 * each added with device_add(). 0, or -1 with err. */
	int (*create)(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen);
	/* Back to the state right after create, as at a machine reset: the
	 * guest's driver must set the device up again (NULL: nothing to do).
	 * device_reset_virtio does it for any virtio device. */
	void (*reset)(struct vm_device *d);
	/* The members of one device's stats object (NULL: none). */
	void (*stats)(const struct vm_device *d, struct json_w *w);
	/* Saved state (the saved-state issue fills these in): 0, or -ENOTSUP. */
	int (*save)(const struct vm_device *d, void *stream);
	int (*load)(struct vm_device *d, void *stream);
	/* Main loop input: an fd to poll (or -1 now), and what to do when it is
	 * readable. NULL: the device has none. */
	int (*poll_fd)(const struct vm_device *d);
	void (*poll_in)(struct vm_device *d);
	/* Release what the device holds (NULL: nothing beyond memory). */
	void (*destroy)(struct vm_device *d);
};

struct vm_device {
	const struct device_kind *kind;
	struct virtio_dev *vdev; /* the device's virtio function */
};

#define VM_MAX_DEVICES 24

/* device_table.c: every kind, in the order their stats are reported. */
extern const struct device_kind *const device_kinds[];

/* Create the devices of every registered kind. */
int device_create_all(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen);
/* Put a created virtio device on the VM's PCI bus and in its list. */
int device_add(struct vm *vm, const struct device_kind *k, struct virtio_dev *vdev, char *err, size_t errlen);
/* The first device of kind k, or NULL. */
struct vm_device *device_find(struct vm *vm, const struct device_kind *k);
/* Every device's stats, grouped by kind, into w (an open object). */
void device_stats_all(struct vm *vm, struct json_w *w);
/* Reset every device (kind->reset), e.g. before loading saved state. */
void device_reset_all(struct vm *vm);
void device_reset_virtio(struct vm_device *d);
/* For kinds without saved state yet. */
int device_save_unsupported(const struct vm_device *d, void *stream);
int device_load_unsupported(struct vm_device *d, void *stream);
#endif
