/* init_trial.h: the trial watchdog's decisions (pure code plus the state
 * file, through lib/abstate): which A/B state file governs this boot path,
 * whether this boot is a trial of a freshly written slot, and what to do when
 * the trial's time is up (docs/updates.md, "Rollback"). init_trialwatch.c
 * mounts the ESP and runs the timer around these. */
#ifndef INIT_TRIAL_H
#define INIT_TRIAL_H
#include "abstate.h"
#include <stddef.h>
#include <stdint.h>

/* The state file of a boot path (relative to the ESP's root) and its format:
 * grub-bios/grub-uefi -> grub/grubenv, u-boot -> uboot-ab.env; NULL for PXE
 * or anything else (no state: nothing to watch). */
const char *trial_state_file(const char *boot_path, enum ab_format *fmt);
/* 'A' or 'B' from wafer.slot=, else 0. */
char trial_slot(const char *slot);

enum trial_verdict {
	TRIAL_NONE,       /* not (or no longer) a trial: nothing to do */
	TRIAL_RUNNING,    /* the running slot is still being tried (not committed) */
	TRIAL_COMMITTED,  /* the running slot became the committed one */
};
enum trial_verdict trial_verdict(const struct ab_state *s, char running);

/* The deadline, in CLOCK_MONOTONIC ms (which starts with the kernel). */
int64_t trial_deadline_ms(int timeout_s);

/* Ends a trial that ran out: tries_left = 0, keeping trying/attempted, so
 * the bootloader boots the committed slot next and the old system sees
 * "rolled-back". Returns 0, or -1 when the state is not a running trial. */
int trial_end(struct ab_state *s, char running);

/* Load the state file at path and give the verdict (and the state in *s).
 * With end set and a verdict of TRIAL_RUNNING, also trial_end + store it
 * (ab_state_put, ab_file_store: GRUB's block in place, U-Boot's by rename).
 * Returns the verdict, or -1 with err (unreadable, bad content, store failed). */
int trial_check_file(const char *path, enum ab_format fmt, char running, int end, struct ab_state *s,
		     char *err, size_t errlen);
#endif
