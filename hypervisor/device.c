/* device.c: the device table's mechanics (device.h). */
#include "device.h"
#include "arch.h"
#include "vm.h"
#include "json.h"
#include "virtio/virtio_pci.h"

#include <stdio.h>

int device_add(struct vm *vm, const struct device_kind *k, struct virtio_dev *vdev, char *err, size_t errlen)
{
	if (!vdev)
		return -1; /* the constructor said why */
	if (vm->ndevices >= VM_MAX_DEVICES) {
		snprintf(err, errlen, "%s: more than %d devices", vdev->id, VM_MAX_DEVICES);
		return -1;
	}
	/* the transport: virtio-pci on every machine so far (virtio-mmio would
	 * attach here for machines without PCI; no device changes) */
	struct pci_dev *fn = virtio_pci_attach(vdev, vm_msi, vm);
	if (!fn) {
		snprintf(err, errlen, "%s: out of memory", vdev->id);
		return -1;
	}
	if (pci_bus_add(&vm->pci, fn, ARCH_PCI_MMIO_END) < 0) {
		snprintf(err, errlen, "%s: no PCI slot or MMIO space left", vdev->id);
		return -1;
	}
	vm->devices[vm->ndevices++] = (struct vm_device){ .kind = k, .vdev = vdev };
	return 0;
}

int device_create_all(struct vm *vm, const struct virtio_env *env, char *err, size_t errlen)
{
	for (const struct device_kind *const *k = device_kinds; *k; k++)
		if ((*k)->create(vm, env, err, errlen) < 0)
			return -1;
	return 0;
}

struct vm_device *device_find(struct vm *vm, const struct device_kind *k)
{
	for (int i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].kind == k)
			return &vm->devices[i];
	return NULL;
}

void device_stats_all(struct vm *vm, struct json_w *w)
{
	for (const struct device_kind *const *k = device_kinds; *k; k++) {
		if (!(*k)->stats_key || !(*k)->stats)
			continue;
		if ((*k)->stats_single) {
			struct vm_device *d = device_find(vm, *k);
			if (d) {
				json_w_key(w, (*k)->stats_key);
				json_w_obj_begin(w);
				(*k)->stats(d, w);
				json_w_obj_end(w);
			}
			continue;
		}
		json_w_key(w, (*k)->stats_key);
		json_w_arr_begin(w);
		for (int i = 0; i < vm->ndevices; i++)
			if (vm->devices[i].kind == *k) {
				json_w_obj_begin(w);
				(*k)->stats(&vm->devices[i], w);
				json_w_obj_end(w);
			}
		json_w_arr_end(w);
	}
}

void device_reset_all(struct vm *vm)
{
	for (int i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].kind->reset)
			vm->devices[i].kind->reset(&vm->devices[i]);
}

void device_reset_virtio(struct vm_device *d)
{
	virtio_dev_reset(d->vdev);
}

void device_save_all(struct vm *vm, struct state_w *w)
{
	for (int i = 0; i < vm->ndevices; i++)
		vm->devices[i].kind->save(&vm->devices[i], w, (uint32_t)i);
}

int device_load_all(struct vm *vm, struct state_r *r)
{
	for (int i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].kind->load(&vm->devices[i], r, (uint32_t)i))
			return -1;
	return 0;
}

void device_list(const struct vm *vm, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < vm->ndevices && used < n; i++) {
		int k = snprintf(out + used, n - used, "%s%s:%s", i ? "," : "", vm->devices[i].kind->name,
				 vm->devices[i].vdev->id);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

void device_save_virtio(struct vm_device *d, struct state_w *w, uint32_t instance)
{
	virtio_save(d->vdev, w, instance);
}

int device_load_virtio(struct vm_device *d, struct state_r *r, uint32_t instance)
{
	return virtio_load(d->vdev, r, instance);
}
