/* device.h: the VMM's device table. Every kind of device registers once
 * (device_table.c) with its operations; a VM holds a list of devices, not
 * named arrays, and the core (machine setup, main loop, control socket)
 * goes through the operations. docs/vmm.md, "Devices", shows how to add one. */
#ifndef VMM_DEVICE_H
#define VMM_DEVICE_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct json_w;
struct virtio_env;
struct virtio_dev;
struct vm_device;
struct state_w;
struct state_r;

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
	/* Saved state (docs/vmm.md, "Saved state"): write the device's sections
	 * under its number in the VM's list; read them back into the device just
	 * created from the same configuration (0, or -1 with the reader's err).
	 * device_save_virtio/device_load_virtio for every virtio kind. */
	void (*save)(struct vm_device *d, struct state_w *w, uint32_t instance);
	int (*load)(struct vm_device *d, struct state_r *r, uint32_t instance);
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
/* Saved state of every device, in list order; the list as "kind:id,..."
 * for the stream's machine section. Load: 0, or -1 with r's err. */
void device_save_all(struct vm *vm, struct state_w *w);
int device_load_all(struct vm *vm, struct state_r *r);
void device_list(const struct vm *vm, char *out, size_t n);
void device_save_virtio(struct vm_device *d, struct state_w *w, uint32_t instance);
int device_load_virtio(struct vm_device *d, struct state_r *r, uint32_t instance);
#endif
