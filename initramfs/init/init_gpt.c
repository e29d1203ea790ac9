/* init_gpt.c: parses GPT headers and entries (with CRC checks), finds
 * partitions by name, and rewrites the table so the last partition fills a
 * larger disk. */
#include "init_gpt.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define GPT_SIG "EFI PART"
#define HDR_SIZE 92

static uint64_t le64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t put = 0;
	while (put < n) {
		ssize_t r = pwrite(fd, (const char *)buf + put, n - put, (off_t)(off + put));
		if (r <= 0)
			return -1;
		put += (size_t)r;
	}
	return 0;
}

/* Read and check the header at lba and its entries; fills raw buffers. */
static int read_table(int fd, unsigned sector, uint64_t lba, uint8_t *hdr, uint8_t **ents,
		      char *why, size_t wl)
{
	*ents = NULL;
	if (pread_all(fd, hdr, sector, lba * sector) != 0) {
		snprintf(why, wl, "cannot read LBA %llu", (unsigned long long)lba);
		return -1;
	}
	uint32_t hsize = le32(hdr + 12);
	if (memcmp(hdr, GPT_SIG, 8) != 0 || hsize < HDR_SIZE || hsize > 512 || hsize > sector) {
		snprintf(why, wl, "no GPT header at LBA %llu", (unsigned long long)lba);
		return -1;
	}
	uint8_t tmp[512];
	memcpy(tmp, hdr, hsize);
	memset(tmp + 16, 0, 4);
	if (crc32_ieee(tmp, hsize) != le32(hdr + 16)) {
		snprintf(why, wl, "GPT header CRC mismatch at LBA %llu", (unsigned long long)lba);
		return -1;
	}
	uint32_t n = le32(hdr + 80), esz = le32(hdr + 84);
	if (n == 0 || n > 1024 || esz < 128 || esz > 1024 || esz % 8) {
		snprintf(why, wl, "GPT entry array %u x %u unsupported", n, esz);
		return -1;
	}
	*ents = malloc((size_t)n * esz);
	if (!*ents || pread_all(fd, *ents, (size_t)n * esz, le64(hdr + 72) * sector) != 0 ||
	    crc32_ieee(*ents, (size_t)n * esz) != le32(hdr + 88)) {
		snprintf(why, wl, "GPT entries unreadable or CRC mismatch (LBA %llu)", (unsigned long long)lba);
		free(*ents);
		*ents = NULL;
		return -1;
	}
	return 0;
}

static void fill(struct gpt *g, const uint8_t *hdr, const uint8_t *ents)
{
	g->alt_lba = le64(hdr + 32);
	g->first_usable = le64(hdr + 40);
	g->last_usable = le64(hdr + 48);
	memcpy(g->guid, hdr + 56, 16);
	g->entries_lba = le64(hdr + 72);
	g->nentries = le32(hdr + 80);
	g->entry_size = le32(hdr + 84);
	g->nparts = 0;
	for (uint32_t i = 0; i < g->nentries && g->nparts < GPT_MAX_PARTS; i++) {
		const uint8_t *e = ents + (size_t)i * g->entry_size;
		static const uint8_t zero[16];
		if (memcmp(e, zero, 16) == 0)
			continue;
		struct gpt_part *p = &g->part[g->nparts++];
		p->index = (int)i + 1;
		memcpy(p->type, e, 16);
		memcpy(p->uuid, e + 16, 16);
		p->first_lba = le64(e + 32);
		p->last_lba = le64(e + 40);
		for (int c = 0; c < 36; c++) {
			uint16_t u = (uint16_t)(e[56 + 2 * c] | e[57 + 2 * c] << 8);
			p->name[c] = u == 0 ? '\0' : (u < 0x80 ? (char)u : '?');
			if (!u)
				break;
		}
		p->name[36] = '\0';
	}
}

int gpt_read(int fd, unsigned sector, uint64_t disk_bytes, struct gpt *g, char *why, size_t wl)
{
	uint8_t hdr[4096];
	uint8_t *ents;
	memset(g, 0, sizeof *g);
	if (sector < 512 || sector > sizeof hdr || disk_bytes < 64ull * sector) {
		snprintf(why, wl, "disk too small or odd sector size %u", sector);
		return -1;
	}
	g->sector = sector;
	g->disk_sectors = disk_bytes / sector;
	char why2[128];
	if (read_table(fd, sector, 1, hdr, &ents, why, wl) != 0 &&
	    read_table(fd, sector, g->disk_sectors - 1, hdr, &ents, why2, sizeof why2) != 0)
		return -1;
	fill(g, hdr, ents);
	free(ents);
	return 0;
}

const struct gpt_part *gpt_find(const struct gpt *g, const char *name)
{
	for (int i = 0; i < g->nparts; i++)
		if (strcmp(g->part[i].name, name) == 0)
			return &g->part[i];
	return NULL;
}

/* Build a header for the new layout: primary (at LBA 1) or backup. */
static void make_header(uint8_t *h, const uint8_t *old, int primary, uint64_t last_sector,
			uint64_t last_usable, uint64_t entries_lba, uint32_t ents_crc)
{
	uint32_t hsize = le32(old + 12);
	memset(h, 0, 4096); /* a whole sector is written, up to 4 KiB */
	memcpy(h, old, hsize);
	put64(h + 24, primary ? 1 : last_sector);
	put64(h + 32, primary ? last_sector : 1);
	put64(h + 48, last_usable);
	put64(h + 72, entries_lba);
	put32(h + 88, ents_crc);
	put32(h + 16, 0);
	put32(h + 16, crc32_ieee(h, hsize));
}

static int grow_plan(const struct gpt *g, const char *name, uint64_t disk_sectors,
		     uint64_t *last_usable, uint64_t *new_last, int *slot, char *why, size_t wl)
{
	const struct gpt_part *p = gpt_find(g, name);
	if (!p) {
		snprintf(why, wl, "no partition named %s", name);
		return -1;
	}
	for (int i = 0; i < g->nparts; i++)
		if (g->part[i].first_lba > p->last_lba) {
			snprintf(why, wl, "%s is not the last partition", name);
			return -1;
		}
	uint64_t ent_sectors = ((uint64_t)g->nentries * g->entry_size + g->sector - 1) / g->sector;
	*last_usable = disk_sectors - 2 - ent_sectors;
	uint64_t align = GPT_ALIGN_BYTES / g->sector;
	*new_last = (*last_usable + 1) / align * align - 1;
	*slot = p->index - 1;
	return *new_last > p->last_lba ? 1 : 0;
}

int gpt_grow(int fd, unsigned sector, uint64_t disk_bytes, const char *name,
	     uint64_t *new_last, char *why, size_t wl)
{
	struct gpt *g = malloc(sizeof *g);
	uint8_t old[4096], hdr[4096];
	uint8_t *ents = NULL;
	int rc = -1, slot;
	uint64_t last_usable;
	if (!g || gpt_read(fd, sector, disk_bytes, g, why, wl) != 0)
		goto out;
	/* work from the valid primary (gpt_read fell back to the backup if not) */
	if (read_table(fd, sector, 1, old, &ents, why, wl) != 0 &&
	    read_table(fd, sector, g->disk_sectors - 1, old, &ents, why, wl) != 0)
		goto out;
	int plan = grow_plan(g, name, g->disk_sectors, &last_usable, new_last, &slot, why, wl);
	if (plan <= 0) {
		rc = plan;
		goto out;
	}
	size_t esz = (size_t)g->nentries * g->entry_size;
	put64(ents + (size_t)slot * g->entry_size + 40, *new_last);
	uint32_t crc = crc32_ieee(ents, esz);
	uint64_t last = g->disk_sectors - 1, bent = last - (esz + sector - 1) / sector;
	/* 1: backup entries + header at the new end of the disk */
	make_header(hdr, old, 0, last, last_usable, bent, crc);
	if (pwrite_all(fd, ents, esz, bent * sector) || pwrite_all(fd, hdr, sector, last * sector) || fsync(fd))
		goto io;
	/* 2: primary entries, 3: primary header */
	uint64_t pent = le64(old + 24) == 1 ? le64(old + 72) : 2;
	make_header(hdr, old, 1, last, last_usable, pent, crc);
	if (pwrite_all(fd, ents, esz, pent * sector) || fsync(fd) ||
	    pwrite_all(fd, hdr, sector, sector) || fsync(fd))
		goto io;
	/* 4: protective MBR covers the whole disk (capped at 2^32-1 sectors) */
	uint8_t mbr[512];
	if (pread_all(fd, mbr, 512, 0) == 0 && mbr[450] == 0xee) {
		put32(mbr + 458, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
		if (pwrite_all(fd, mbr, 512, 0) || fsync(fd))
			goto io;
	}
	rc = 1;
	goto out;
io:
	snprintf(why, wl, "writing the partition table: %s", strerror(errno));
out:
	free(ents);
	free(g);
	return rc;
}

int ext4_sb_size(const uint8_t *sb, uint64_t *blocks, uint32_t *block_size)
{
	if (sb[56] != 0x53 || sb[57] != 0xef)
		return -1;
	uint32_t log = le32(sb + 24);
	if (log > 6)
		return -1;
	*block_size = 1024u << log;
	*blocks = le32(sb + 4);
	if (le32(sb + 96) & 0x80) /* INCOMPAT_64BIT */
		*blocks |= (uint64_t)le32(sb + 0x150) << 32;
	return 0;
}

void gpt_guid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

const struct gpt_part *gpt_find_uuid(const struct gpt *g, const char *text)
{
	char s[37];
	for (int i = 0; i < g->nparts; i++) {
		gpt_guid_str(g->part[i].uuid, s);
		if (strcasecmp(s, text) == 0)
			return &g->part[i];
	}
	return NULL;
}
