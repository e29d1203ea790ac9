/* wafer-guest-tool.c: test helper run inside the test guest (system tests
 * only). "boot-done" writes the boot-timer magic to port 0x3f0; "hostile"
 * unbinds the virtio-rng driver and drives the device from user space with
 * malformed virtqueues (descriptor loops, out-of-range buffers, index jumps,
 * bad ring addresses, random garbage) to check that the VMM contains them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

#define QSZ 8
static volatile uint8_t *bar;
static uint8_t *page;
static uint64_t page_phys;
static char devpath[300];

static void w8(unsigned off, uint8_t v) { bar[off] = v; }
static void w16(unsigned off, uint16_t v) { *(volatile uint16_t *)(bar + off) = v; }
static void w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }
static uint8_t r8(unsigned off) { return bar[off]; }

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int find_rng(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[300], buf[32] = "";
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (!strncmp(buf, "0x1044", 6)) {
			snprintf(devpath, sizeof(devpath), "/sys/bus/pci/devices/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	if (d)
		closedir(d);
	return -1;
}

static uint64_t virt_to_phys(void *v)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t ent = 0;
	if (fd < 0 || pread(fd, &ent, 8, (off_t)((uintptr_t)v / 4096) * 8) != 8)
		ent = 0;
	if (fd >= 0)
		close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * 4096;
}

static int setup_device(void)
{
	char p[340];
	snprintf(p, sizeof(p), "%s/driver/unbind", devpath);
	write_file(p, strrchr(devpath, '/') + 1);
	snprintf(p, sizeof(p), "%s/enable", devpath);
	write_file(p, "1");
	snprintf(p, sizeof(p), "%s/resource0", devpath);
	int fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0)
		return -1;
	void *m = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	bar = m;
	if (posix_memalign((void **)&page, 4096, 4096))
		return -1;
	memset(page, 0, 4096);
	mlock(page, 4096);
	page_phys = virt_to_phys(page);
	return page_phys ? 0 : -1;
}

/* Reset, negotiate VERSION_1 and enable queue 0 at the given addresses. */
static void start_queue(uint64_t desc, uint64_t avail, uint64_t used)
{
	w8(0x14, 0);
	w8(0x14, 1 | 2);
	w32(0x08, 1);
	w32(0x0c, 1);                      /* VIRTIO_F_VERSION_1 */
	w8(0x14, 1 | 2 | 8);
	w16(0x16, 0);
	w16(0x18, QSZ);
	w32(0x20, (uint32_t)desc); w32(0x24, (uint32_t)(desc >> 32));
	w32(0x28, (uint32_t)avail); w32(0x2c, (uint32_t)(avail >> 32));
	w32(0x30, (uint32_t)used); w32(0x34, (uint32_t)(used >> 32));
	w16(0x1c, 1);
	w8(0x14, 1 | 2 | 8 | 4);
}

static void set_desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = page + 16 * i;
	memcpy(d, &addr, 8); memcpy(d + 8, &len, 4); memcpy(d + 12, &flags, 2); memcpy(d + 14, &next, 2);
}

static void offer(uint16_t head, uint16_t idx)
{
	uint8_t *avail = page + 256;
	memcpy(avail + 4 + 2 * ((idx - 1) % QSZ), &head, 2);
	__sync_synchronize();
	memcpy(avail + 2, &idx, 2);
	__sync_synchronize();
	w16(0x3000, 0);                    /* notify queue 0 */
}

static int report(const char *name)
{
	uint8_t st = r8(0x14);
	int broken = (st & 0x40) != 0;
	printf("GUEST hostile %s: status=0x%02x %s\n", name, st, broken ? "contained" : "NOT-BROKEN");
	fflush(stdout);
	return broken;
}

static int hostile(void)
{
	if (find_rng() < 0 || setup_device() < 0) {
		printf("GUEST hostile: cannot set up the virtio-rng device: %s\n", strerror(errno));
		return 2;
	}
	int ok = 0, n = 0;
	uint64_t p = page_phys;
	start_queue(p, p + 256, p + 512);
	set_desc(0, p + 1024, 16, 1 | 2, 1);
	set_desc(1, p + 1040, 16, 1 | 2, 0);
	offer(0, 1);
	ok += report("descriptor-loop"); n++;
	memset(page, 0, 1024);
	start_queue(p, p + 256, p + 512);
	set_desc(0, 0xfffffff00000ULL, 4096, 2, 0);
	offer(0, 1);
	ok += report("buffer-out-of-range"); n++;
	memset(page, 0, 1024);
	start_queue(p, p + 256, p + 512);
	set_desc(0, p + 1024, 16, 2, 0);
	offer(0, 1000);
	ok += report("avail-index-jump"); n++;
	memset(page, 0, 1024);
	start_queue(p, p + 256, p + 512);
	offer(77, 1);
	ok += report("head-out-of-range"); n++;
	start_queue(0x7ffffff00000ULL, p + 256, p + 512);
	ok += report("ring-out-of-range"); n++;
	for (int round = 0; round < 50; round++) {   /* random garbage, device must survive */
		start_queue(p, p + 256, p + 512);
		for (int i = 0; i < 1024; i++)
			page[i] = (uint8_t)rand();
		w16(0x3000, 0);
		for (int i = 0; i < 16; i++)          /* random common-config writes */
			w8((unsigned)(rand() % 0x38), (uint8_t)rand());
	}
	start_queue(p, p + 256, p + 512);
	set_desc(0, p + 1024, 16, 1 | 2, 0);       /* final: loop to itself, stays broken */
	offer(0, 1);
	ok += report("self-loop-final"); n++;
	printf("GUEST hostile summary: %d/%d contained\n", ok, n);
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "boot-done")) {
		if (ioperm(0x3f0, 1, 1) < 0) {
			perror("ioperm");
			return 1;
		}
		outb(123, 0x3f0);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "hostile"))
		return hostile();
	fprintf(stderr, "usage: wafer-guest-tool boot-done|hostile\n");
	return 2;
}
