/* fuzz_virtq: a hostile guest's virtqueues, through the virtio-pci
 * transport (virtio/pci.c on virtio/core.c) into each device model (hypervisor/virtio: the descriptor walk
 * of queue.c, then virtio-blk's, virtio-rng's and virtio-balloon's request
 * handling, virtio-net's transmit and receive paths over a datagram socket
 * standing in for the tap, with frames the fuzzer also chooses). The input
 * is the guest: its first bytes choose the device, the
 * queue and the feature bits; the rest is guest memory from the descriptor
 * table on (rings, descriptors, request headers, data), so every address,
 * length, flag, index and chain is the fuzzer's. A broken device is fine
 * (that is the defence); a crash or a sanitizer report is not. */
#include "virtio/devices.h"
#include "virtio/virtio_pci.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEMSZ (256u << 10)
#define DESC 0x1000u
#define AVAIL 0x3000u
#define USED 0x4000u

static uint8_t *ram;
static struct guest_mem mem;
static int disk = -1;
static int wire[2] = { -1, -1 };
static void msi(void *o, uint64_t a, uint32_t d) { (void)o; (void)a; (void)d; }
static void wake(void *o) { (void)o; }

static void bar_w(struct virtio_dev *d, unsigned off, uint64_t v, unsigned len)
{
	uint8_t b[8];
	memcpy(b, &v, 8);
	virtio_pci_function(d)->bar_access(virtio_pci_function(d), 0, off, b, len, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 6)
		return 0;
	if (!ram) {
		ram = mmap(NULL, MEMSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		disk = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (ram == MAP_FAILED || disk < 0 || ftruncate(disk, 64 << 10) != 0)
			abort();
	}
	memset(ram, 0, MEMSZ);
	mem_init_buffer(&mem, ram, MEMSZ);
	unsigned which = data[0] % 4, queue = data[1] % 3, kicks = 1 + data[2] % 4;
	uint64_t feat = VIRTIO_F_VERSION_1 | ((uint64_t)data[3] << 24) | data[4];
	uint16_t qsize = (uint16_t)(1u << (data[5] % 9)); /* 1..256 */
	int ro = data[5] & 0x80;
	data += 6;
	size -= 6;
	if (size > MEMSZ - DESC)
		size = MEMSZ - DESC;
	memcpy(ram + DESC, data, size);

	struct virtio_env env = { &mem, wake, NULL };
	char err[160];
	struct virtio_dev *d = NULL;
	if (which == 0) {
		struct cfg_disk cd = { .path = "fuzz", .fd = -1, .readonly = ro != 0 };
		memcpy(cd.id, "fuzzdisk", 9);
		d = virtio_blk_create(&env, &cd, dup(disk), err, sizeof err);
	} else if (which == 3) {
		struct cfg_net cn = { .fd = -1, .mac = { 2, 0, 0, 0, 0, 1 } };
		memcpy(cn.id, "fuzznet", 8);
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, wire) != 0)
			abort();
		d = virtio_net_create_frames(&env, &cn, wire[0], err, sizeof err);
		queue &= 1;
	} else if (which == 1) {
		d = virtio_rng_create(&env, err, sizeof err);
	} else {
		d = virtio_balloon_create(&env, MEMSZ, err, sizeof err);
	}
	if (!d)
		abort();
	struct pci_dev *fn = virtio_pci_attach(d, msi, NULL);
	if (!fn)
		abort();
	fn->cfg[0x04] |= 0x02; /* memory space enabled */
	bar_w(d, 0x14, 0, 1);
	bar_w(d, 0x14, 3, 1);
	bar_w(d, 0x08, 0, 4);
	bar_w(d, 0x0c, (uint32_t)feat, 4);
	bar_w(d, 0x08, 1, 4);
	bar_w(d, 0x0c, (uint32_t)(feat >> 32), 4);
	bar_w(d, 0x14, 3 | 8, 1);
	bar_w(d, 0x16, queue, 2);
	bar_w(d, 0x18, qsize, 2);
	bar_w(d, 0x1a, 1, 2);
	bar_w(d, 0x20, DESC, 8);
	bar_w(d, 0x28, AVAIL, 4);
	bar_w(d, 0x2c, 0, 4);
	bar_w(d, 0x30, USED, 8);
	bar_w(d, 0x1c, 1, 2);
	bar_w(d, 0x14, 3 | 8 | 4, 1);
	for (unsigned k = 0; k < kicks; k++) {
		bar_w(d, VIRTIO_OFF_NOTIFY + VIRTIO_NOTIFY_MULT * queue, queue, 2);
		if (which == 3 && queue == 0) {
			/* frames from the wire: sizes and bytes from the input's tail */
			size_t len = size > 64 ? (size_t)data[size - 1 - k] * 8 % 2048 : 0;
			if (len >= size)
				len = size;
			if (send(wire[1], data + size - len, len, MSG_DONTWAIT) < 0 && k == 0)
				abort();
			virtio_net_rx(d);
		}
	}
	bar_w(d, 0x14, 0, 1); /* reset with requests in flight */
	virtio_pci_detach(d);
	if (which == 3) {
		char drain[4096];
		while (recv(wire[1], drain, sizeof drain, MSG_DONTWAIT) > 0)
			;
		close(wire[0]);
		close(wire[1]);
		free(d); /* virtio-net has no destructor: the VMM frees it as it exits */
	} else if (which == 0)
		virtio_blk_destroy(d);
	else
		free(d); /* rng and balloon have no destructor: their state is one allocation */
	return 0;
}
