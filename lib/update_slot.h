/* update_slot.h: writes a verified update bundle's parts into a slot folder
 * of the mounted boot partition (e.g. /boot/B): each part goes to NAME.new
 * while it streams, and only after the whole bundle verified are the .new
 * files fsync'ed, renamed over the slot's files, read back from the medium
 * (page cache dropped) and compared with the signed SHA-256 (docs/updates.md).
 * Wire it into the reader's callbacks; on any failure call upd_slot_abort. */
#ifndef WAFER_UPDATE_SLOT_H
#define WAFER_UPDATE_SLOT_H
#include <stdint.h>

#include "update_bundle.h"

struct upd_slot_writer {
	char dir[256];
	struct upd_info info;
	int fd;                 /* the open .new file, or -1 */
	int part;               /* the part being written, or -1 */
	uint64_t written;       /* payload bytes written so far (both parts) */
	char err[256];
};

/* The slot folder to write (it must exist). 0, or -1 with w->err. */
int upd_slot_init(struct upd_slot_writer *w, const char *dir);
/* The verified header (call from the reader's header callback). */
int upd_slot_header(struct upd_slot_writer *w, const struct upd_info *info);
int upd_slot_data(struct upd_slot_writer *w, enum upd_part part, const uint8_t *buf, size_t len);
int upd_slot_part_done(struct upd_slot_writer *w, enum upd_part part);
/* After upd_reader_finish succeeded: rename into place, write DIR/version,
 * fsync, read back and compare. 0, or -1 with w->err. */
int upd_slot_commit(struct upd_slot_writer *w);
/* Remove the .new files (the slot's current files stay as they were). */
void upd_slot_abort(struct upd_slot_writer *w);

/* Callbacks that only write (no version policy): ctx is the writer. */
struct upd_callbacks upd_slot_callbacks(struct upd_slot_writer *w);

#endif
