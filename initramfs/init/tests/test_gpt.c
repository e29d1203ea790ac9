/* test_gpt.c: GPT parsing and growth on a synthetic disk image file:
 * grown table valid at both ends, idempotent, refusals, corrupt tables,
 * a power cut between the backup and the primary write. */
#include "../init_gpt.h"
#include "wtest.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024ull * 1024)
static char path[] = "/tmp/wafer-gpt-test-XXXXXX";

static void p64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void p32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* Write a GPT for a disk of `bytes` with partitions (name, first MiB, size MiB). */
static int make_disk(uint64_t bytes, int nparts, const char *const *names, const int *start, const int *size)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)bytes) != 0)
		return -1;
	uint64_t last = bytes / 512 - 1;
	uint8_t ents[128 * 128] = { 0 }, hdr[512] = { 0 }, mbr[512] = { 0 };
	for (int i = 0; i < nparts; i++) {
		uint8_t *e = ents + 128 * i;
		memset(e, 0x11 + i, 16);      /* type */
		memset(e + 16, 0x21 + i, 16); /* unique */
		p64(e + 32, (uint64_t)start[i] * 2048);
		p64(e + 40, (uint64_t)(start[i] + size[i]) * 2048 - 1);
		for (int c = 0; names[i][c]; c++)
			e[56 + 2 * c] = (uint8_t)names[i][c];
	}
	uint32_t crc = crc32_ieee(ents, sizeof ents);
	for (int primary = 0; primary < 2; primary++) {
		memset(hdr, 0, sizeof hdr);
		memcpy(hdr, "EFI PART", 8);
		p32(hdr + 8, 0x10000);
		p32(hdr + 12, 92);
		p64(hdr + 24, primary ? 1 : last);
		p64(hdr + 32, primary ? last : 1);
		p64(hdr + 40, 34);
		p64(hdr + 48, last - 33);
		memset(hdr + 56, 0x42, 16);
		p64(hdr + 72, primary ? 2 : last - 32);
		p32(hdr + 80, 128);
		p32(hdr + 84, 128);
		p32(hdr + 88, crc);
		p32(hdr + 16, crc32_ieee(hdr, 92));
		pwrite(fd, hdr, 512, (off_t)(primary ? 512 : last * 512));
		pwrite(fd, ents, sizeof ents, (off_t)((primary ? 2 : last - 32) * 512));
	}
	mbr[450] = 0xee;
	p32(mbr + 454, 1);
	p32(mbr + 458, (uint32_t)last);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	pwrite(fd, mbr, 512, 0);
	return fd;
}

static const char *const names[] = { "WAFERBOOT", "WAFERCFG", "WAFERDATA" };
static const int starts[] = { 1, 41, 45 }, sizes[] = { 40, 4, 18 };

static void t_read(void)
{
	struct gpt g;
	char why[128];
	int fd = make_disk(64 * MIB, 3, names, starts, sizes);
	WT_CHECK(fd >= 0);
	WT_EQ_INT(gpt_read(fd, 512, 64 * MIB, &g, why, sizeof why), 0);
	WT_EQ_INT(g.nparts, 3);
	const struct gpt_part *p = gpt_find(&g, "WAFERCFG");
	WT_CHECK(p && p->index == 2 && p->first_lba == 41 * 2048);
	WT_CHECK(gpt_find(&g, "WAFERDATA") != NULL);
	WT_CHECK(gpt_find(&g, "NOPE") == NULL);
	/* unique GUIDs: 0x21 + i repeated, printed mixed-endian */
	char s[37];
	gpt_guid_str(p->uuid, s);
	WT_EQ_STR(s, "22222222-2222-2222-2222-222222222222");
	WT_CHECK(gpt_find_uuid(&g, "21212121-2121-2121-2121-212121212121") == gpt_find(&g, "WAFERBOOT"));
	WT_CHECK(gpt_find_uuid(&g, "23232323-2323-2323-2323-232323232323") == gpt_find(&g, "WAFERDATA"));
	WT_CHECK(gpt_find_uuid(&g, "24242424-2424-2424-2424-242424242424") == NULL);
	WT_CHECK(gpt_find_uuid(&g, "") == NULL);
	static const uint8_t mixed[16] = { 0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
					   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xCD, 0xEF };
	gpt_guid_str(mixed, s);
	WT_EQ_STR(s, "12345678-9abc-def0-0123-456789abcdef");
	/* primary destroyed: the backup at the end is used */
	uint8_t junk[512] = { 0 };
	pwrite(fd, junk, 512, 512);
	WT_EQ_INT(gpt_read(fd, 512, 64 * MIB, &g, why, sizeof why), 0);
	WT_EQ_INT(g.nparts, 3);
	/* a header claiming to be larger than a sector is refused, not copied */
	uint8_t big[512];
	pread(fd, big, 512, (off_t)(64 * MIB - 512));
	p32(big + 12, 4000);
	pwrite(fd, big, 512, (off_t)(64 * MIB - 512));
	WT_EQ_INT(gpt_read(fd, 512, 64 * MIB, &g, why, sizeof why), -1);
	/* both gone */
	pwrite(fd, junk, 512, (off_t)(64 * MIB - 512));
	WT_EQ_INT(gpt_read(fd, 512, 64 * MIB, &g, why, sizeof why), -1);
	WT_CHECK(strstr(why, "no GPT header") != NULL);
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/wafer-gpt-test-XXXXXX");
}

static void t_corrupt_entries(void)
{
	struct gpt g;
	char why[128];
	int fd = make_disk(64 * MIB, 3, names, starts, sizes);
	uint8_t b = 0x99;
	pwrite(fd, &b, 1, 2 * 512 + 60);          /* primary entries */
	pwrite(fd, &b, 1, (off_t)(64 * MIB - 33 * 512 + 60)); /* backup entries */
	WT_EQ_INT(gpt_read(fd, 512, 64 * MIB, &g, why, sizeof why), -1);
	WT_CHECK(strstr(why, "CRC") != NULL);
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/wafer-gpt-test-XXXXXX");
}

static void verify_grown(int fd, uint64_t disk)
{
	struct gpt g;
	char why[128];
	WT_EQ_INT(gpt_read(fd, 512, disk, &g, why, sizeof why), 0);
	const struct gpt_part *d = gpt_find(&g, "WAFERDATA");
	WT_CHECK(d && d->first_lba == 45 * 2048);
	WT_CHECK(d && (d->last_lba + 1) % 2048 == 0);
	WT_CHECK(d && d->last_lba <= g.last_usable && g.last_usable == disk / 512 - 34);
	WT_EQ_INT(g.alt_lba, disk / 512 - 1);
	/* the backup at the new end is valid on its own */
	uint8_t junk[512] = { 0 }, save[512];
	pread(fd, save, 512, 512);
	pwrite(fd, junk, 512, 512);
	WT_EQ_INT(gpt_read(fd, 512, disk, &g, why, sizeof why), 0);
	d = gpt_find(&g, "WAFERDATA");
	WT_CHECK(d && d->last_lba == disk / 512 - 34 - (disk / 512 - 34 + 1) % 2048);
	pwrite(fd, save, 512, 512);
}

static void t_grow(void)
{
	char why[128];
	uint64_t last;
	int fd = make_disk(64 * MIB, 3, names, starts, sizes);
	/* same size: the last MiB is taken by the backup table, nothing to grow */
	WT_EQ_INT(gpt_grow(fd, 512, 64 * MIB, "WAFERDATA", &last, why, sizeof why), 0);
	WT_EQ_INT(ftruncate(fd, (off_t)(1024 * MIB + 7 * 512)), 0); /* odd size */
	uint64_t disk = 1024 * MIB + 7 * 512;
	WT_EQ_INT(gpt_grow(fd, 512, disk, "WAFERDATA", &last, why, sizeof why), 1);
	WT_EQ_INT((last + 1) % 2048, 0);
	verify_grown(fd, disk);
	uint8_t mbr[512];
	pread(fd, mbr, 512, 0);
	WT_EQ_INT(mbr[458] | mbr[459] << 8 | mbr[460] << 16 | (uint32_t)mbr[461] << 24, disk / 512 - 1);
	/* idempotent */
	WT_EQ_INT(gpt_grow(fd, 512, disk, "WAFERDATA", &last, why, sizeof why), 0);
	if (system("command -v sgdisk >/dev/null 2>&1") == 0) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "sgdisk -v %s 2>&1 | grep -q 'No problems found'", path);
		WT_EQ_INT(system(cmd), 0);
	}
	/* refusals: not the last partition; unknown name */
	WT_EQ_INT(gpt_grow(fd, 512, disk, "WAFERCFG", &last, why, sizeof why), -1);
	WT_CHECK(strstr(why, "not the last partition") != NULL);
	WT_EQ_INT(gpt_grow(fd, 512, disk, "XYZ", &last, why, sizeof why), -1);
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/wafer-gpt-test-XXXXXX");
}

/* A power cut after the backup was written but before the primary: the old
 * primary is still valid and a second run completes the growth. */
static void t_power_cut(void)
{
	char why[128];
	uint64_t last, disk = 256 * MIB;
	int fd = make_disk(64 * MIB, 3, names, starts, sizes);
	ftruncate(fd, (off_t)disk);
	uint8_t prim[512 * 34];
	pread(fd, prim, sizeof prim, 0);
	WT_EQ_INT(gpt_grow(fd, 512, disk, "WAFERDATA", &last, why, sizeof why), 1);
	pwrite(fd, prim, sizeof prim, 0); /* undo the primary write: the cut */
	struct gpt g;
	WT_EQ_INT(gpt_read(fd, 512, disk, &g, why, sizeof why), 0);
	const struct gpt_part *d = gpt_find(&g, "WAFERDATA");
	WT_CHECK(d && d->last_lba == 63 * 2048 - 1); /* old layout, data intact */
	WT_EQ_INT(gpt_grow(fd, 512, disk, "WAFERDATA", &last, why, sizeof why), 1);
	verify_grown(fd, disk);
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/wafer-gpt-test-XXXXXX");
}

static void t_ext4_sb(void)
{
	uint8_t sb[1024] = { 0 };
	uint64_t blocks;
	uint32_t bs;
	WT_EQ_INT(ext4_sb_size(sb, &blocks, &bs), -1);
	sb[56] = 0x53;
	sb[57] = 0xef;
	p32(sb + 4, 4608);
	p32(sb + 24, 2);
	WT_EQ_INT(ext4_sb_size(sb, &blocks, &bs), 0);
	WT_EQ_INT(blocks, 4608);
	WT_EQ_INT(bs, 4096);
	p32(sb + 96, 0x80);
	p32(sb + 0x150, 1);
	ext4_sb_size(sb, &blocks, &bs);
	WT_EQ_INT(blocks, (1ull << 32) + 4608);
	p32(sb + 24, 40);
	WT_EQ_INT(ext4_sb_size(sb, &blocks, &bs), -1);
	WT_EQ_INT(crc32_ieee("123456789", 9), 0xcbf43926u);
}

WTEST_MAIN("init_gpt", WT_CASE(t_read), WT_CASE(t_corrupt_entries), WT_CASE(t_grow),
	   WT_CASE(t_power_cut), WT_CASE(t_ext4_sb))
