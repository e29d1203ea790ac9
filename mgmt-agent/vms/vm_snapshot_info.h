/* vm_snapshot_info.h: a snapshot's record, snapshot.json in its folder
 * (vm_snapshot.c): the Snapshot object of the API and, in the file, the VM's
 * definition at that instant and which disks have files. */
#ifndef WAFER_VM_SNAPSHOT_INFO_H
#define WAFER_VM_SNAPSHOT_INFO_H
#include "json.h"
#include "vm.h"

#include <stdbool.h>
#include <stdint.h>

struct vm_snap_info {
	char name[WAFER_NAME_SIZE];
	char vm_state[16];        /* the VM's state when it was taken */
	bool memory;              /* state.sav: memory and device state */
	uint64_t created_ms;      /* wall clock: the instant the snapshot is of */
	uint64_t disk_bytes;      /* disks' sizes */
	uint64_t memory_bytes;    /* state.sav's size */
	uint64_t size_bytes;      /* what it takes on the datastore */
	uint64_t pause_ms;        /* how long a running guest was paused for it */
	uint64_t duration_ms;     /* the whole snapshot */
	int disks;                /* disks in its definition */
	uint32_t disk_files;      /* bit i: diskN.img kept (a disk never started has no file) */
};

/* The record s into w: with spec, the file's form (the definition and
 * disk_files too); with spec NULL, the API's Snapshot object. */
void vm_snap_info_write(struct json_w *w, const struct vm_snap_info *s, const struct vm_spec *spec);
/* snapshot.json's text into s: 0; -1 (err) when it is damaged (not JSON,
 * a member missing or of the wrong type, a definition that does not parse,
 * disk files beyond its disks); with spec, its definition checked against
 * lim too into spec: -2 (err) when the host cannot run it (an image gone,
 * more memory than the host has). */
int vm_snap_info_parse(const char *text, size_t len, const struct vm_limits *lim, struct vm_snap_info *s,
		       struct vm_spec *spec, char *err, size_t errlen);
#endif
