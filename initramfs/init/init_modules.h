/* init_modules.h: kernel module loading: coldplug (every modalias under /sys),
 * hotplug (uevents from the kernel), KVM by CPU vendor. */
#ifndef INIT_MODULES_H
#define INIT_MODULES_H

/* Read modules.alias/modules.dep of the running kernel; returns 0 or -1. */
int modules_init(void);
/* Load a module and its dependencies by name; 0 ok/already loaded, -1 error. */
int modules_load(const char *name);
/* Load by module name or by alias (e.g. "crypto-crc32c"); 0 or -1. */
int modules_load_any(const char *name_or_alias);
/* wafer-init run as modprobe by the kernel's request_module(). */
int modprobe_main(int argc, char **argv);
#define MODPROBE_PATH "/usr/libexec/wafer/modprobe"
/* Walk /sys/bus/\*\/devices/\*\/modalias and load what matches, repeating
 * while new modules bring new devices. Returns the number of modules loaded. */
int modules_coldplug(void);
/* The KVM module for this CPU (kvm_intel/kvm_amd), or NULL with a reason. */
const char *modules_kvm_module(char *why, unsigned long whylen);
/* After loading: 1 if /dev/kvm works (API version 12, a VM can be created
 * and is closed again), 0 if not (with a reason in why). */
int modules_kvm_check(char *why, unsigned long whylen);
/* Open the uevent netlink socket (returns fd or -1; open it before the
 * coldplug so that no device added meanwhile is missed) and handle its
 * input: loads modules for added devices; returns a mask of UEV_* bits. */
#define UEV_NETBLOCK 1 /* a net or block device was added or removed */
#define UEV_STORAGE 2  /* a device was added on a bus that leads to disks
			* (usb, scsi, block, pci, mmc, nvme): enumeration is
			* still going on */
int modules_uevent_open(void);
int modules_uevent_handle(int fd);
#endif
