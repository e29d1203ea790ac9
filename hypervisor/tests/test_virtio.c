/* test_virtio.c: the virtio-pci transport and virtio-blk against a fake
 * guest: feature negotiation (refuses missing VERSION_1 or unknown bits),
 * queue enable with bad rings marks the device broken, MSI-X masking and
 * pending delivery, blk read/write/flush/get-id, out-of-range sectors,
 * read-only images, requests without a status byte, hostile notifications. */
#include "wtest.h"
#include "virtio/devices.h"
#include "virtio/virtio_pci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define MEMSZ (4u << 20)
#define DESC 0x10000
#define AVAIL 0x11000
#define USED 0x12000
#define DATA 0x20000

static uint8_t *ram;
static struct guest_mem mem;
static int msis;
static uint32_t last_msi_data;
static void msi(void *o, uint64_t a, uint32_t d) { (void)o; (void)a; msis++; last_msi_data = d; }
static void wake(void *o) { (void)o; }

static void bar_w(struct virtio_dev *d, unsigned off, uint64_t v, unsigned len)
{
	uint8_t b[8];
	memcpy(b, &v, 8);
	virtio_pci_function(d)->bar_access(virtio_pci_function(d), 0, off, b, len, 1);
}

static uint64_t bar_r(struct virtio_dev *d, unsigned off, unsigned len)
{
	uint8_t b[8] = { 0 };
	virtio_pci_function(d)->bar_access(virtio_pci_function(d), 0, off, b, len, 0);
	uint64_t v = 0;
	memcpy(&v, b, len);
	return v;
}

static struct virtio_dev *make_blk(const char *path, int ro)
{
	struct virtio_env env = { &mem, wake, NULL };
	struct cfg_disk cd = { .path = path, .fd = -1, .readonly = ro };
	snprintf(cd.id, sizeof(cd.id), "testdisk");
	char err[160];
	int fd = open(path, ro ? O_RDONLY : O_RDWR);
	struct virtio_dev *d = virtio_blk_create(&env, &cd, fd, err, sizeof(err));
	virtio_pci_attach(d, msi, NULL)->cfg[0x04] |= 0x02;
	return d;
}

/* Negotiate features f and bring queue 0 up at the standard rings. */
static uint8_t bring_up(struct virtio_dev *d, uint64_t f, uint64_t desc)
{
	bar_w(d, 0x14, 0, 1);
	bar_w(d, 0x14, 3, 1);
	bar_w(d, 0x08, 0, 4); bar_w(d, 0x0c, (uint32_t)f, 4);
	bar_w(d, 0x08, 1, 4); bar_w(d, 0x0c, (uint32_t)(f >> 32), 4);
	bar_w(d, 0x14, 3 | 8, 1);
	uint8_t st = (uint8_t)bar_r(d, 0x14, 1);
	if (!(st & 8))
		return st;
	bar_w(d, 0x16, 0, 2);
	bar_w(d, 0x18, 16, 2);
	bar_w(d, 0x1a, 1, 2);                 /* MSI-X vector 1 */
	bar_w(d, 0x20, desc, 8);
	bar_w(d, 0x28, AVAIL, 4); bar_w(d, 0x2c, 0, 4);
	bar_w(d, 0x30, USED, 8);
	bar_w(d, 0x1c, 1, 2);
	bar_w(d, 0x14, 3 | 8 | 4, 1);
	return (uint8_t)bar_r(d, 0x14, 1);
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = ram + DESC + 16 * i;
	memcpy(p, &addr, 8); memcpy(p + 8, &len, 4); memcpy(p + 12, &flags, 2); memcpy(p + 14, &next, 2);
}

static uint16_t avail_idx;
static void kick(struct virtio_dev *d, uint16_t head)
{
	memcpy(ram + AVAIL + 4 + 2 * (avail_idx % 16), &head, 2);
	avail_idx++;
	memcpy(ram + AVAIL + 2, &avail_idx, 2);
	bar_w(d, VIRTIO_OFF_NOTIFY, 0, 2);
}

/* One blk request: header at DATA, data at DATA+0x100, status at DATA+0x80. */
static uint8_t blk_req(struct virtio_dev *d, uint32_t type, uint64_t sector, uint32_t len, int write)
{
	memcpy(ram + DATA, &type, 4);
	memset(ram + DATA + 4, 0, 4);
	memcpy(ram + DATA + 8, &sector, 8);
	ram[DATA + 0x80] = 0xee;
	desc(0, DATA, 16, 1, 1);
	if (len) {
		desc(1, DATA + 0x100, len, (uint16_t)(1 | (write ? 0 : 2)), 2);
		desc(2, DATA + 0x80, 1, 2, 0);
	} else {
		desc(1, DATA + 0x80, 1, 2, 0);
	}
	kick(d, 0);
	return ram[DATA + 0x80];
}

static char path[64];
static struct virtio_dev *setup(int ro)
{
	memset(ram, 0, MEMSZ);
	mem_init_buffer(&mem, ram, MEMSZ);
	avail_idx = 0;
	msis = 0;
	snprintf(path, sizeof(path), "/tmp/vmm-test-disk-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	fseek(f, 1 << 20, SEEK_SET);
	fputc(0, f);
	fclose(f);
	truncate(path, 1 << 20);
	return make_blk(path, ro);
}

static void t_features(void)
{
	struct virtio_dev *d = setup(0);
	WT_EQ_INT(bring_up(d, 0, DESC) & 8, 0);                 /* no VERSION_1: refused */
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1 | (1ULL << 40), DESC) & 8, 0);   /* unknown bit */
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1, DESC), 0x0f);
	WT_EQ_INT(d->broken, 0);
	WT_EQ_INT(bar_r(d, 0x12, 2), 1);                        /* num_queues */
	WT_EQ_INT(bar_r(d, VIRTIO_OFF_DEVCFG, 8), 2048);        /* capacity in sectors */
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

static void t_bad_ring_enable(void)
{
	struct virtio_dev *d = setup(0);
	uint8_t st = bring_up(d, VIRTIO_F_VERSION_1, MEMSZ - 64);
	WT_CHECK(d->broken);
	WT_CHECK(st & 0x40);                                    /* NEEDS_RESET */
	WT_CHECK(strstr(d->broken_reason, "outside guest memory") != NULL);
	bar_w(d, 0x14, 0, 1);                                   /* reset clears it */
	WT_CHECK(!d->broken);
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1, DESC), 0x0f);
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

/* A machine reset (the device table's reset: virtio_dev_reset) undoes what
 * the driver set up, the transport's MSI-X vectors included. */
static void t_device_reset(void)
{
	struct virtio_dev *d = setup(0);
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1, DESC), 0x0f);
	WT_EQ_INT(bar_r(d, 0x1a, 2), 1);                        /* queue 0's vector */
	virtio_dev_reset(d);
	WT_EQ_INT(bar_r(d, 0x14, 1), 0);                        /* status */
	WT_EQ_INT(d->drv_features, 0);
	WT_CHECK(!d->vq[0].ready);
	WT_EQ_INT(bar_r(d, 0x1a, 2), 0xffff);
	WT_EQ_INT(bar_r(d, 0x1c, 2), 0);                        /* queue_enable */
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1, DESC), 0x0f);  /* and it comes up again */
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

static void t_blk_io(void)
{
	struct virtio_dev *d = setup(0);
	bring_up(d, VIRTIO_F_VERSION_1, DESC);
	memcpy(ram + DATA + 0x100, "persistent data!", 16);
	WT_EQ_INT(blk_req(d, 1, 3, 512, 1), 0);                 /* write sector 3 */
	memset(ram + DATA + 0x100, 0, 512);
	WT_EQ_INT(blk_req(d, 0, 3, 512, 0), 0);                 /* read it back */
	WT_CHECK(!memcmp(ram + DATA + 0x100, "persistent data!", 16));
	WT_EQ_INT(blk_req(d, 4, 0, 0, 0), 0);                   /* flush */
	WT_EQ_INT(blk_req(d, 8, 0, 20, 0), 0);                  /* get id */
	WT_EQ_STR((char *)ram + DATA + 0x100, "testdisk");
	WT_EQ_INT(blk_req(d, 0, 2047, 1024, 0), 1);             /* crosses the end: IOERR */
	WT_EQ_INT(blk_req(d, 0, UINT64_MAX / 256, 512, 0), 1);  /* overflowing sector */
	WT_EQ_INT(blk_req(d, 77, 0, 0, 0), 2);                  /* unknown type: UNSUPP */
	struct blk_stats s;
	virtio_blk_get_stats(d, &s);
	WT_EQ_INT(s.wr_ops, 1);
	WT_EQ_INT(s.rd_ops, 1);
	WT_EQ_INT(s.rd_bytes, 512);
	WT_EQ_INT(msis, 0);                                     /* MSI-X not enabled */
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

/* Saved state: a device in use saved, loaded into a fresh device of the
 * same configuration, carries on with the same rings; loads into another
 * device or onto rings outside guest memory are refused. */
static uint8_t *save_dev(struct virtio_dev *d, size_t *len)
{
	struct state_machine m = { "x86_64", 1, 1, "virtio-blk:testdisk" };
	struct state_w w;
	state_w_init(&w, &m);
	virtio_save(d, &w, 0);
	WT_EQ_INT(state_w_finish(&w), 0);
	*len = w.len;
	return w.buf;
}

static int load_dev(struct virtio_dev *d, const uint8_t *p, size_t n, char *err)
{
	struct state_r r;
	struct state_machine m;
	int rc = state_r_open(&r, p, n, &m) || virtio_load(d, &r, 0) || state_r_close(&r) ? -1 : 0;
	snprintf(err, 200, "%s", r.err);
	return rc;
}

static void t_saved_state(void)
{
	char err[200];
	size_t n;
	struct virtio_dev *d = setup(0);
	WT_EQ_INT(bring_up(d, VIRTIO_F_VERSION_1, DESC), 0x0f);
	virtio_pci_function(d)->cfg[0x87] = 0x80;               /* MSI-X on */
	bar_w(d, VIRTIO_OFF_MSIX + 16, 0xfee00000, 4);          /* vector 1 */
	bar_w(d, VIRTIO_OFF_MSIX + 24, 0x41, 4);
	bar_w(d, VIRTIO_OFF_MSIX + 28, 0, 4);
	memcpy(ram + DATA + 0x100, "before the save!", 16);
	WT_EQ_INT(blk_req(d, 1, 5, 512, 1), 0);
	uint8_t before[0x38];
	for (unsigned o = 0; o < sizeof before; o++)
		before[o] = (uint8_t)bar_r(d, o, 1);
	uint8_t *st = save_dev(d, &n);
	virtio_pci_detach(d);
	virtio_blk_destroy(d);

	/* a new device (a new VMM); guest memory as it was */
	struct virtio_dev *d2 = make_blk(path, 0);
	WT_EQ_INT(load_dev(d2, st, n, err), 0);
	for (unsigned o = 0; o < sizeof before; o++)
		WT_EQ_INT(bar_r(d2, o, 1), before[o]);
	WT_EQ_INT(bar_r(d2, VIRTIO_OFF_MSIX + 24, 4), 0x41);
	int m0 = msis;
	memset(ram + DATA + 0x100, 0, 512);
	WT_EQ_INT(blk_req(d2, 0, 5, 512, 0), 0);                /* the next request on the same rings */
	WT_CHECK(!memcmp(ram + DATA + 0x100, "before the save!", 16));
	uint16_t used;
	memcpy(&used, ram + USED + 2, 2);
	WT_EQ_INT(used, 2);
	WT_EQ_INT(msis, m0 + 1);
	WT_EQ_INT(last_msi_data, 0x41);
	virtio_pci_detach(d2);
	virtio_blk_destroy(d2);

	/* another device: a read-only disk offers other features */
	struct virtio_dev *ro = make_blk(path, 1);
	WT_EQ_INT(load_dev(ro, st, n, err), -1);
	WT_CHECK(strstr(err, "offered features") != NULL);
	WT_EQ_INT(bar_r(ro, 0x14, 1), 0);                       /* left as it was */
	virtio_pci_detach(ro);
	virtio_blk_destroy(ro);
	free(st);

	/* rings outside guest memory */
	struct virtio_dev *d3 = make_blk(path, 0);
	WT_EQ_INT(bring_up(d3, VIRTIO_F_VERSION_1, DESC), 0x0f);
	d3->vq[0].used_gpa = MEMSZ;
	st = save_dev(d3, &n);
	struct virtio_dev *d4 = make_blk(path, 0);
	WT_EQ_INT(load_dev(d4, st, n, err), -1);
	WT_CHECK(strstr(err, "queue 0: ring outside guest memory") != NULL);
	WT_EQ_INT(d4->status, 0);
	free(st);
	virtio_pci_detach(d3);
	virtio_blk_destroy(d3);
	virtio_pci_detach(d4);
	virtio_blk_destroy(d4);
	unlink(path);
}

/* The balloon's own state (target, what the guest reports) follows the
 * common part; a target beyond a smaller machine's memory is refused. */
static void t_balloon_state(void)
{
	char err[200];
	memset(ram, 0, MEMSZ);
	mem_init_buffer(&mem, ram, MEMSZ);
	struct virtio_env env = { &mem, wake, NULL };
	struct virtio_dev *a = virtio_balloon_create(&env, 64u << 20, err, sizeof err);
	virtio_pci_attach(a, msi, NULL)->cfg[0x04] |= 0x02;
	virtio_balloon_set_target(a, 16);                 /* keep 16 MiB of 64: give back 48 */
	bar_w(a, VIRTIO_OFF_DEVCFG + 4, 1234, 4);        /* the guest reports its size */
	WT_EQ_INT(bar_r(a, VIRTIO_OFF_DEVCFG, 4), 48 * 256);
	struct state_machine m = { "x86_64", 1, 1, "virtio-balloon:balloon0" };
	struct state_w w;
	state_w_init(&w, &m);
	virtio_save(a, &w, 0);
	WT_EQ_INT(state_w_finish(&w), 0);
	struct virtio_dev *b = virtio_balloon_create(&env, 64u << 20, err, sizeof err);
	virtio_pci_attach(b, msi, NULL);
	WT_EQ_INT(load_dev(b, w.buf, w.len, err), 0);
	WT_EQ_INT(bar_r(b, VIRTIO_OFF_DEVCFG, 4), 48 * 256);
	WT_EQ_INT(bar_r(b, VIRTIO_OFF_DEVCFG + 4, 4), 1234);
	struct virtio_dev *small = virtio_balloon_create(&env, 8u << 20, err, sizeof err);
	virtio_pci_attach(small, msi, NULL);
	WT_EQ_INT(load_dev(small, w.buf, w.len, err), -1);
	WT_CHECK(strstr(err, "does not fit this device") != NULL);
	state_w_free(&w);
	struct virtio_dev *all[3] = { a, b, small };
	for (int i = 0; i < 3; i++) {
		virtio_pci_detach(all[i]);
		free(all[i]);   /* the balloon is one allocation */
	}
}

static void t_msix_mask(void)
{
	struct virtio_dev *d = setup(0);
	bring_up(d, VIRTIO_F_VERSION_1, DESC);
	/* MSI-X disabled: no message at all */
	msis = 0;
	blk_req(d, 4, 0, 0, 0);
	WT_EQ_INT(msis, 0);
	/* enable MSI-X with vector 1 masked: pending bit set, sent on unmask */
	virtio_pci_function(d)->cfg[0x87] = 0x80;
	bar_w(d, VIRTIO_OFF_MSIX + 16, 0xfee00000, 4);
	bar_w(d, VIRTIO_OFF_MSIX + 24, 0x4041, 4);
	blk_req(d, 4, 0, 0, 0);
	WT_EQ_INT(msis, 0);
	WT_EQ_INT(bar_r(d, VIRTIO_OFF_PBA, 4), 2);
	bar_w(d, VIRTIO_OFF_MSIX + 28, 0, 4);                   /* unmask */
	WT_EQ_INT(msis, 1);
	WT_EQ_INT(last_msi_data, 0x4041);
	WT_EQ_INT(bar_r(d, VIRTIO_OFF_PBA, 4), 0);
	blk_req(d, 4, 0, 0, 0);
	WT_EQ_INT(msis, 2);
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

static void t_readonly(void)
{
	struct virtio_dev *d = setup(1);
	WT_CHECK(d->features & (1ULL << 5));                    /* VIRTIO_BLK_F_RO */
	bring_up(d, VIRTIO_F_VERSION_1 | (1ULL << 5), DESC);
	WT_EQ_INT(blk_req(d, 1, 0, 512, 1), 1);                 /* write refused */
	WT_EQ_INT(blk_req(d, 0, 0, 512, 0), 0);
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

static void t_hostile(void)
{
	struct virtio_dev *d = setup(0);
	bring_up(d, VIRTIO_F_VERSION_1, DESC);
	desc(0, DATA, 16, 0, 0);                                /* no status byte */
	kick(d, 0);
	WT_CHECK(d->broken);
	uint16_t used;
	memcpy(&used, ram + USED + 2, 2);
	bar_w(d, 0x14, 0, 1);
	avail_idx = 0;
	memset(ram + AVAIL, 0, 0x1000);                         /* fresh rings after reset */
	memset(ram + USED, 0, 0x1000);
	bring_up(d, VIRTIO_F_VERSION_1, DESC);
	desc(0, DATA, 16, 1, 0);
	kick(d, 0);
	WT_CHECK(d->broken);                                    /* self loop */
	WT_CHECK(strstr(d->broken_reason, "loop") != NULL);
	/* garbage config/common writes and notifications never crash */
	srand(99);
	for (int i = 0; i < 20000; i++) {
		unsigned off = (unsigned)(rand() % 0x6000);
		unsigned len = 1u << (rand() % 4);
		bar_w(d, off & ~(len - 1), ((uint64_t)rand() << 32) | (uint64_t)rand(), len);
		if (i % 50 == 0)
			for (int k = DESC; k < DESC + 0x3000; k += 4) {
				uint32_t r = (uint32_t)rand();
				memcpy(ram + k, &r, 4);
			}
		bar_w(d, VIRTIO_OFF_NOTIFY, 0, 2);
	}
	WT_CHECK(1);
	virtio_pci_detach(d);
	virtio_blk_destroy(d);
	unlink(path);
}

int main(void)
{
	ram = malloc(MEMSZ);
	static const struct wtest_case c[] = {
		WT_CASE(t_features), WT_CASE(t_bad_ring_enable), WT_CASE(t_device_reset), WT_CASE(t_blk_io),
		WT_CASE(t_saved_state), WT_CASE(t_balloon_state), WT_CASE(t_msix_mask), WT_CASE(t_readonly), WT_CASE(t_hostile),
	};
	int r = wtest_run("vmm_virtio", c, sizeof(c) / sizeof(c[0]));
	free(ram);
	return r;
}
