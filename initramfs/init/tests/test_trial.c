/* test_trial.c: the trial watchdog's decisions (init_trial.c): which state
 * file a boot path uses, when a boot is a trial, and the end of a trial that
 * ran out, on real GRUB and U-Boot state files: tries_left=0, trying and
 * attempted kept (the bootloader then boots the committed slot and the old
 * system sees rolled-back), a commit by the agent is never undone, and bad
 * files are errors, not rollbacks. */
#include "../init_trial.h"
#include "wtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/test_trial.XXXXXX";

/* A state file as the agent leaves it after writing slot B of an update to
 * version, with the bootloader's boots counted (tries_left), plus a foreign key. */
static void write_try(const char *path, enum ab_format fmt, int tries_left, const char *version)
{
	struct ab_env e = { .fmt = fmt };
	struct ab_state s = { .committed = 'A' };
	char err[200] = "";
	WT_EQ_INT(ab_env_set(&e, "saved_entry", "keep-me"), 0);
	WT_EQ_INT(ab_try(&s, 'B', 3, version, err, sizeof err), 0);
	s.tries_left = tries_left;
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	if (fmt == AB_FMT_GRUBENV) { /* GRUB's block must exist to be overwritten in place */
		FILE *f = fopen(path, "w");
		WT_CHECK(f != NULL);
		for (int i = 0; i < AB_GRUBENV_SIZE; i++)
			fputc('#', f);
		fclose(f);
	}
	WT_EQ_INT(ab_file_store(path, &e, err, sizeof err), 0);
}

static void load(const char *path, enum ab_format fmt, struct ab_env *e, struct ab_state *s)
{
	char err[200] = "";
	WT_EQ_INT(ab_file_load(path, fmt, e, err, sizeof err), 0);
	ab_state_get(e, s);
}

static void t_paths(void)
{
	enum ab_format f = AB_FMT_UBOOT;
	WT_EQ_STR(trial_state_file("grub-bios", &f), "grub/grubenv");
	WT_EQ_INT(f, AB_FMT_GRUBENV);
	f = AB_FMT_UBOOT;
	WT_EQ_STR(trial_state_file("grub-uefi", &f), "grub/grubenv");
	WT_EQ_INT(f, AB_FMT_GRUBENV);
	WT_EQ_STR(trial_state_file("u-boot", &f), "uboot-ab.env");
	WT_EQ_INT(f, AB_FMT_UBOOT);
	WT_CHECK(trial_state_file("pxe", &f) == NULL);
	WT_CHECK(trial_state_file("", &f) == NULL);
	WT_CHECK(trial_state_file("grub-bios2", &f) == NULL);
	WT_EQ_INT(trial_slot("A"), 'A');
	WT_EQ_INT(trial_slot("B"), 'B');
	WT_EQ_INT(trial_slot("pxe"), 0);
	WT_EQ_INT(trial_slot("?"), 0);
	WT_EQ_INT(trial_slot("BB"), 0);
	WT_EQ_INT(trial_deadline_ms(600), 600000);
	WT_EQ_INT(trial_deadline_ms(86400), 86400000LL);
	WT_EQ_INT(trial_deadline_ms(-1), 0);
}

static void t_verdict(void)
{
	char err[200];
	struct ab_state s = { .committed = 'A' };
	WT_EQ_INT(trial_verdict(&s, 'A'), TRIAL_COMMITTED);      /* steady: never a trial */
	WT_EQ_INT(trial_verdict(&s, 0), TRIAL_NONE);             /* PXE */
	WT_EQ_INT(ab_try(&s, 'B', 3, "0.1.1", err, sizeof err), 0);
	WT_EQ_INT(trial_verdict(&s, 'A'), TRIAL_NONE);           /* pending: reboot not done yet */
	s.tries_left = 2;                                        /* the bootloader booted B */
	WT_EQ_INT(trial_verdict(&s, 'B'), TRIAL_RUNNING);
	s.tries_left = 0;                                        /* last try: still a trial */
	WT_EQ_INT(trial_verdict(&s, 'B'), TRIAL_RUNNING);
	struct ab_state ended = s;
	ended.tries_left = 2;
	WT_EQ_INT(trial_end(&ended, 'B'), 0);
	WT_EQ_INT(ended.tries_left, 0);
	WT_EQ_INT(ended.trying, 'B');                            /* kept: the bootloader clears it */
	WT_EQ_INT(ended.attempted, 'B');
	WT_EQ_STR(ended.attempted_version, "0.1.1");
	WT_EQ_INT(ended.committed, 'A');
	WT_EQ_INT(ab_commit(&s, 'B', err, sizeof err), 0);
	WT_EQ_INT(trial_verdict(&s, 'B'), TRIAL_COMMITTED);
	WT_EQ_INT(trial_end(&s, 'B'), -1);                       /* a commit is never undone */
	WT_EQ_INT(s.committed, 'B');
	/* Rolled back: A runs again with B still recorded as attempted. */
	struct ab_state rb = { .committed = 'A', .attempted = 'B' };
	WT_EQ_INT(trial_verdict(&rb, 'A'), TRIAL_COMMITTED);
	WT_EQ_INT(trial_end(&rb, 'A'), -1);
}

/* The whole path on a file of each format. */
static void end_on_file(enum ab_format fmt)
{
	char path[128], err[200] = "", before[AB_GRUBENV_SIZE * 2], after[sizeof before];
	struct ab_state s;
	struct ab_env e;
	struct stat st0, st1;
	snprintf(path, sizeof path, "%s/%s", dir, fmt == AB_FMT_GRUBENV ? "grubenv" : "uboot-ab.env");
	write_try(path, fmt, 2, "0.1.1");
	FILE *f = fopen(path, "rb");
	size_t n0 = fread(before, 1, sizeof before, f);
	fclose(f);
	WT_EQ_INT(stat(path, &st0), 0);

	/* Looking does not write. */
	WT_EQ_INT(trial_check_file(path, fmt, 'B', 0, &s, err, sizeof err), TRIAL_RUNNING);
	WT_EQ_INT(s.tries_left, 2);
	f = fopen(path, "rb");
	size_t n1 = fread(after, 1, sizeof after, f);
	fclose(f);
	WT_CHECK(n0 == n1 && memcmp(before, after, n0) == 0);
	/* The running slot A (reboot pending) is not a trial. */
	WT_EQ_INT(trial_check_file(path, fmt, 'A', 1, &s, err, sizeof err), TRIAL_NONE);

	/* The deadline passed: end it. */
	WT_EQ_INT(trial_check_file(path, fmt, 'B', 1, &s, err, sizeof err), TRIAL_RUNNING);
	load(path, fmt, &e, &s);
	WT_EQ_INT(s.committed, 'A');
	WT_EQ_INT(s.trying, 'B');
	WT_EQ_INT(s.tries_left, 0);
	WT_EQ_INT(s.attempted, 'B');
	WT_EQ_STR(s.attempted_version, "0.1.1");
	WT_EQ_STR(ab_env_get(&e, "saved_entry"), "keep-me");
	WT_EQ_INT(stat(path, &st1), 0);
	if (fmt == AB_FMT_GRUBENV) { /* in place: same file, same size */
		WT_EQ_INT(st1.st_ino, st0.st_ino);
		WT_EQ_INT(st1.st_size, AB_GRUBENV_SIZE);
	}
	/* What the bootloader does next (image/grub.cfg, u-boot.cmd): tries_left
	 * is 0, so it clears trying and boots the committed slot, where the
	 * agent sees the update rolled back. */
	s.trying = 0;
	WT_EQ_INT(ab_outcome(&s, s.committed), AB_ROLLED_BACK);

	/* The agent committed before the deadline: nothing is written. */
	write_try(path, fmt, 2, "0.1.1");
	load(path, fmt, &e, &s);
	WT_EQ_INT(ab_commit(&s, 'B', err, sizeof err), 0);
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	WT_EQ_INT(ab_file_store(path, &e, err, sizeof err), 0);
	WT_EQ_INT(stat(path, &st0), 0);
	WT_EQ_INT(trial_check_file(path, fmt, 'B', 1, &s, err, sizeof err), TRIAL_COMMITTED);
	WT_EQ_INT(stat(path, &st1), 0);
	WT_EQ_INT(st1.st_ino, st0.st_ino);
	load(path, fmt, &e, &s);
	WT_EQ_INT(s.committed, 'B');
	WT_EQ_INT(s.trying, 0);
	unlink(path);
}

static void t_end_grub(void) { end_on_file(AB_FMT_GRUBENV); }
static void t_end_uboot(void) { end_on_file(AB_FMT_UBOOT); }

static void t_bad_files(void)
{
	char path[128], err[200] = "";
	struct ab_state s;
	snprintf(path, sizeof path, "%s/missing", dir);
	WT_EQ_INT(trial_check_file(path, AB_FMT_GRUBENV, 'B', 1, &s, err, sizeof err), -1);
	WT_CHECK(strstr(err, "missing") != NULL);
	WT_CHECK(access(path, F_OK) != 0);  /* not created */
	snprintf(path, sizeof path, "%s/short", dir);
	FILE *f = fopen(path, "w");
	fputs("# GRUB Environment Block\ntrying=B\n", f);  /* not 1024 bytes */
	fclose(f);
	err[0] = '\0';
	WT_EQ_INT(trial_check_file(path, AB_FMT_GRUBENV, 'B', 1, &s, err, sizeof err), -1);
	WT_CHECK(err[0] != '\0');
	struct stat st;
	WT_EQ_INT(stat(path, &st), 0);
	WT_EQ_INT(st.st_size, 34);  /* left alone */
	unlink(path);
}

static void setup(void)
{
	WT_CHECK(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
	rmdir(dir);
}

WTEST_MAIN("init_trial", WT_CASE(setup), WT_CASE(t_paths), WT_CASE(t_verdict), WT_CASE(t_end_grub),
	   WT_CASE(t_end_uboot), WT_CASE(t_bad_files), WT_CASE(teardown))
