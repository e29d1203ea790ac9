/* virtio_pci.h: the modern virtio-pci transport (virtio 1.x, no legacy
 * interface): vendor capabilities and MSI-X in config space; common
 * configuration, ISR, device configuration, notifications and the MSI-X
 * table/PBA in BAR 0. It attaches to any virtio_dev (virtio.h). */
#ifndef VMM_VIRTIO_PCI_H
#define VMM_VIRTIO_PCI_H
#include "devices/pci.h"
#include "virtio/virtio.h"

#define VIRTIO_MSIX_VECS 8

/* BAR 0 layout */
#define VIRTIO_BAR_SIZE 0x8000
#define VIRTIO_OFF_COMMON 0x0000
#define VIRTIO_OFF_ISR 0x1000
#define VIRTIO_OFF_DEVCFG 0x2000
#define VIRTIO_OFF_NOTIFY 0x3000
#define VIRTIO_OFF_MSIX 0x4000
#define VIRTIO_OFF_PBA 0x5000
#define VIRTIO_NOTIFY_MULT 4

/* Give d a PCI function (for pci_bus_add); MSI-X messages go to
 * msi(opaque, address, data). NULL when out of memory. */
struct pci_dev *virtio_pci_attach(struct virtio_dev *d, void (*msi)(void *, uint64_t, uint32_t),
				  void *opaque);
/* The PCI function of an attached device. */
struct pci_dev *virtio_pci_function(struct virtio_dev *d);
/* Free what virtio_pci_attach allocated (the device stays). */
void virtio_pci_detach(struct virtio_dev *d);
#endif
