/* test_boot.c: bzImage header parsing of valid, truncated and corrupted
 * images, and loading into a fake guest memory (zero page, e820, initrd). */
#include "wtest.h"
#include "boot.h"

#include <stdlib.h>
#include <string.h>

static char err[256];

static uint8_t *fake_bzimage(size_t len)
{
	uint8_t *k = calloc(1, len);
	k[0x1f1] = 4;                         /* setup_sects */
	k[0x1fe] = 0x55; k[0x1ff] = 0xaa;
	k[0x201] = 0x6a;                      /* header end 0x26c */
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f; k[0x207] = 0x02;     /* 2.15 */
	k[0x211] = 0x01;                      /* LOADED_HIGH */
	k[0x22c] = 0xff; k[0x22d] = 0xff; k[0x22e] = 0xff; k[0x22f] = 0x7f;
	k[0x234] = 1;
	k[0x236] = 0x03;                      /* XLF_KERNEL_64 | above 4G */
	k[0x238] = 0xff; k[0x239] = 0x07;     /* cmdline_size 2047 */
	uint32_t init_size = (uint32_t)len * 2;
	memcpy(k + 0x260, &init_size, 4);
	return k;
}

static void t_valid(void)
{
	uint8_t *k = fake_bzimage(64 * 1024);
	struct bzimage_info bi;
	WT_EQ_INT(boot_parse_bzimage(k, 64 * 1024, &bi, err, sizeof(err)), 0);
	WT_EQ_INT(bi.setup_size, 5 * 512);
	WT_EQ_INT(bi.kernel_size, 64 * 1024 - 5 * 512);
	WT_EQ_INT(bi.version, 0x020f);
	WT_EQ_INT(bi.cmdline_size, 2047);
	free(k);
}

static void t_truncated(void)
{
	uint8_t *k = fake_bzimage(64 * 1024);
	struct bzimage_info bi;
	size_t lens[] = { 0, 1, 0x1f0, 0x200, 0x26f };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		WT_EQ_INT(boot_parse_bzimage(k, lens[i], &bi, err, sizeof(err)), -1);
		WT_CHECK(strstr(err, "too small") != NULL);
	}
	/* setup sectors reach past the end of a short file */
	WT_EQ_INT(boot_parse_bzimage(k, 5 * 512, &bi, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "truncated") != NULL);
	free(k);
}

static void t_corrupted(void)
{
	struct bzimage_info bi;
	uint8_t *k = fake_bzimage(8192);
	k[0x1fe] = 0;
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "not a bzImage") != NULL);
	free(k);
	k = fake_bzimage(8192);
	k[0x202] = 'X';
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	free(k);
	k = fake_bzimage(8192);
	k[0x206] = 0x02;                      /* protocol 2.02 */
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "too old") != NULL);
	free(k);
	k = fake_bzimage(8192);
	k[0x236] = 0;                         /* no 64-bit entry */
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "64-bit") != NULL);
	free(k);
	k = fake_bzimage(8192);
	memset(k + 0x260, 0, 4);              /* init_size smaller than payload */
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "init_size") != NULL);
	free(k);
	k = fake_bzimage(8192);
	k[0x1f1] = 255;                       /* huge setup */
	WT_EQ_INT(boot_parse_bzimage(k, 8192, &bi, err, sizeof(err)), -1);
	free(k);
	/* random corruption never crashes */
	srand(7);
	for (int i = 0; i < 5000; i++) {
		k = fake_bzimage(4096);
		for (int j = 0; j < 8; j++)
			k[0x1f0 + rand() % 0x80] = (uint8_t)rand();
		boot_parse_bzimage(k, 4096, &bi, err, sizeof(err));
		free(k);
	}
}

static void t_load(void)
{
	size_t msz = 64u << 20;
	uint8_t *ram = calloc(1, msz);
	struct guest_mem m;
	mem_init_buffer(&m, ram, msz);
	uint8_t *k = fake_bzimage(64 * 1024);
	memset(k + 5 * 512, 0xcc, 16);
	struct bzimage_info bi;
	struct boot_params_out bp;
	uint8_t initrd[5000];
	memset(initrd, 0x5a, sizeof(initrd));
	WT_EQ_INT(boot_parse_bzimage(k, 64 * 1024, &bi, err, sizeof(err)), 0);
	WT_EQ_INT(boot_load_bzimage(&m, k, 64 * 1024, &bi, initrd, sizeof(initrd), "console=ttyS0",
				    0xe0000, &bp, err, sizeof(err)), 0);
	WT_EQ_INT(bp.entry, 0x100200);
	WT_EQ_INT(ram[0x100000], 0xcc);
	WT_EQ_STR((char *)ram + BOOT_CMDLINE_ADDR, "console=ttyS0");
	uint8_t *zp = ram + BOOT_ZEROPAGE_ADDR;
	WT_EQ_INT(zp[0x210], 0xff);                   /* type_of_loader */
	WT_CHECK(zp[0x1e8] >= 4);                     /* e820 entries */
	uint32_t rd;
	memcpy(&rd, zp + 0x218, 4);
	WT_EQ_INT(rd, bp.initrd_addr);
	WT_CHECK(rd % 4096 == 0 && rd + sizeof(initrd) <= msz);
	WT_EQ_INT(ram[rd], 0x5a);
	/* command line longer than the kernel accepts */
	char longcmd[3000];
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	WT_EQ_INT(boot_load_bzimage(&m, k, 64 * 1024, &bi, NULL, 0, longcmd, 0, &bp, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "cmdline") != NULL);
	/* initrd larger than memory */
	WT_EQ_INT(boot_load_bzimage(&m, k, 64 * 1024, &bi, ram, msz, "", 0, &bp, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "initrd") != NULL);
	WT_EQ_INT(boot_build_pagetables(&m), 0);
	free(k);
	free(ram);
}

WTEST_MAIN("vmm_boot", WT_CASE(t_valid), WT_CASE(t_truncated), WT_CASE(t_corrupted), WT_CASE(t_load))
