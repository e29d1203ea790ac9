/* init_gpt.h: GUID partition table reading and growing (pure code over a
 * file descriptor, so unit tests run it on an image file). */
#ifndef INIT_GPT_H
#define INIT_GPT_H
#include <stddef.h>
#include <stdint.h>
#include "crc32.h"

#define GPT_MAX_PARTS 128
#define GPT_ALIGN_BYTES (1024 * 1024)

struct gpt_part {
	int index;              /* 1-based partition number */
	uint64_t first_lba, last_lba;
	char name[37];          /* ASCII rendering of the UTF-16LE name */
	uint8_t type[16];
	uint8_t uuid[16];       /* unique partition GUID (on-disk byte order) */
};

struct gpt {
	unsigned sector;        /* logical sector size */
	uint64_t disk_sectors;
	uint64_t alt_lba, first_usable, last_usable, entries_lba;
	uint32_t nentries, entry_size;
	uint8_t guid[16];
	struct gpt_part part[GPT_MAX_PARTS];
	int nparts;             /* used entries */
};

/* Read the primary GPT (falling back to the backup at the last sector).
 * Returns 0, or -1 with a reason in why. */
int gpt_read(int fd, unsigned sector, uint64_t disk_bytes, struct gpt *g, char *why, size_t wl);
/* The partition with this name, or NULL. */
const struct gpt_part *gpt_find(const struct gpt *g, const char *name);
/* A GUID in its text form (8-4-4-4-12, lowercase; the first three fields
 * little-endian on disk, as GRUB, U-Boot and blkid print it); out has 37. */
void gpt_guid_str(const uint8_t guid[16], char out[37]);
/* The partition whose unique GUID is text (any case), or NULL. */
const struct gpt_part *gpt_find_uuid(const struct gpt *g, const char *text);
/* Grow partition `name` (which must be the last one on the disk) to the end
 * of a disk of disk_bytes (aligned down to 1 MiB). Power-cut-safe order: the
 * new backup table at the disk's end first, then the primary entries, then
 * the primary header, then the protective MBR. Returns 1 if grown, 0 if
 * nothing to do, -1 with a reason in why. *new_last gets the last LBA. */
int gpt_grow(int fd, unsigned sector, uint64_t disk_bytes, const char *name,
	     uint64_t *new_last, char *why, size_t wl);
/* ext4 superblock (the 1024 bytes at offset 1024): block count and size.
 * Returns 0, or -1 when it is not ext2/3/4. */
int ext4_sb_size(const uint8_t *sb, uint64_t *blocks, uint32_t *block_size);
#endif
