/* test_abstate.c: the A/B state files (GRUB environment block, U-Boot text
 * environment): parsing what the image and the bootloaders write, keeping
 * unknown keys, exact 1024-byte blocks, hostile input, the state machine
 * (try, commit, rollback detection) and in-place/atomic stores. */
#include "abstate.h"
#include "wtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As image/mk-image writes it. */
static void grub_block(char *out, const char *lines)
{
	memset(out, '#', AB_GRUBENV_SIZE);
	memcpy(out, AB_GRUBENV_HEAD, strlen(AB_GRUBENV_HEAD));
	memcpy(out + strlen(AB_GRUBENV_HEAD), lines, strlen(lines));
}

static void t_grub_parse_format(void)
{
	char blk[AB_GRUBENV_SIZE], out[AB_GRUBENV_SIZE + 8], err[200] = "";
	struct ab_env e;
	grub_block(blk, "committed=A\nsaved_entry=x\\\\y\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, sizeof blk, err, sizeof err), 0);
	WT_EQ_STR(ab_env_get(&e, "committed"), "A");
	WT_EQ_STR(ab_env_get(&e, "saved_entry"), "x\\y");   /* GRUB's escape undone */
	WT_CHECK(ab_env_get(&e, "trying") == NULL);
	WT_EQ_INT(ab_env_format(&e, out, sizeof out, err, sizeof err), AB_GRUBENV_SIZE);
	WT_CHECK(memcmp(out, blk, AB_GRUBENV_SIZE) == 0);  /* byte-exact round trip */

	/* What GRUB's save_env leaves after a try ran out. */
	grub_block(blk, "committed=A\ntrying=\ntries_left=0\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, sizeof blk, err, sizeof err), 0);
	struct ab_state s;
	ab_state_get(&e, &s);
	WT_EQ_INT(s.committed, 'A');
	WT_EQ_INT(s.trying, 0);
	WT_EQ_INT(s.tries_left, 0);
}

static void t_grub_hostile(void)
{
	char blk[AB_GRUBENV_SIZE + 1], err[200];
	struct ab_env e;
	grub_block(blk, "committed=A\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1023, err, sizeof err), -1);   /* short */
	WT_CHECK(strstr(err, "not a GRUB environment block") != NULL);
	blk[AB_GRUBENV_SIZE] = '#';
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1025, err, sizeof err), -1);   /* long */
	grub_block(blk, "committed=A\n");
	blk[0] = '%';
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1024, err, sizeof err), -1);   /* header */
	grub_block(blk, "committed=A\nno equals sign\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1024, err, sizeof err), -1);
	WT_CHECK(strstr(err, "line 3") != NULL);
	grub_block(blk, "committed=A\n");
	blk[40] = 0;
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1024, err, sizeof err), -1);
	WT_CHECK(strstr(err, "NUL") != NULL);
	/* One variable filling the whole block: a value longer than kept. */
	grub_block(blk, "k=");
	memset(blk + strlen(AB_GRUBENV_HEAD) + 2, 'v', 900);
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1024, err, sizeof err), -1);
	WT_CHECK(strstr(err, "too long") != NULL);
	/* 40 variables: more than the table keeps. */
	char many[800] = "";
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "k%d=1\n", i);
	grub_block(blk, many);
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, 1024, err, sizeof err), -1);
	WT_CHECK(strstr(err, "more than") != NULL);
}

static void t_grub_full_block(void)
{
	struct ab_env e = { .fmt = AB_FMT_GRUBENV };
	char out[AB_GRUBENV_SIZE], err[200], val[AB_VAL_MAX + 1];
	memset(val, 'x', AB_VAL_MAX);
	val[AB_VAL_MAX] = 0;
	WT_EQ_INT(ab_env_set(&e, "big", val), -1);           /* longer than AB_VAL_MAX-1 */
	val[AB_VAL_MAX - 1] = 0;
	WT_EQ_INT(ab_env_set(&e, "big", val), 0);            /* the longest kept */
	WT_EQ_INT(ab_env_set(&e, "big", NULL), 0);
	val[100] = 0;
	for (int i = 0; i < 9; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		WT_EQ_INT(ab_env_set(&e, k, val), 0);
	}
	/* 9 x 105 bytes + header > 1024: must not silently cut. */
	WT_EQ_INT(ab_env_format(&e, out, sizeof out, err, sizeof err), -1);
	WT_CHECK(strstr(err, "do not fit") != NULL);
	WT_EQ_INT(ab_env_set(&e, "bad key", "1"), -1);
	WT_EQ_INT(ab_env_set(&e, "k", "line\nbreak"), -1);
	WT_EQ_INT(ab_env_set(&e, "k0", NULL), 0);
	WT_CHECK(ab_env_get(&e, "k0") == NULL);
	WT_EQ_STR(ab_env_get(&e, "k1"), val);
}

static void t_uboot(void)
{
	/* env export -t output, ending in a NUL, with CRLF from a Windows editor. */
	const char in[] = "committed=B\r\ntrying=A\ntries_left=2\nbootdelay=0\n\0garbage";
	struct ab_env e;
	struct ab_state s;
	char out[512], err[200];
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_UBOOT, in, sizeof in - 1, err, sizeof err), 0);
	ab_state_get(&e, &s);
	WT_EQ_INT(s.committed, 'B');
	WT_EQ_INT(s.trying, 'A');
	WT_EQ_INT(s.tries_left, 2);
	WT_EQ_INT(ab_try(&s, 'A', 3, "0.2.0", err, sizeof err), 0);
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	long n = ab_env_format(&e, out, sizeof out, err, sizeof err);
	WT_CHECK(n > 0);
	out[n > 0 ? n : 0] = 0;
	WT_EQ_STR(out, "committed=B\ntrying=A\ntries_left=3\nbootdelay=0\nattempted=A\nattempted_version=0.2.0\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_UBOOT, "=x\n", 3, err, sizeof err), -1);
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_UBOOT, "# comment\n\n", 11, err, sizeof err), 0);
	WT_EQ_INT(e.n, 0);
}

/* The bootloader's step, as grub.cfg/u-boot.cmd do it, for the simulation. */
static char boot(struct ab_state *s)
{
	if (s->trying && s->tries_left > 0) {
		s->tries_left--;
		return s->trying;
	}
	s->trying = 0;
	s->tries_left = 0;
	return s->committed;
}

static void t_state_machine(void)
{
	struct ab_env e;
	struct ab_state s;
	char err[200];
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_UBOOT, "committed=A\n", 12, err, sizeof err), 0);
	ab_state_get(&e, &s);
	WT_EQ_INT(ab_inactive(&s), 'B');
	WT_EQ_INT(ab_outcome(&s, 'A'), AB_STEADY);
	WT_EQ_INT(ab_try(&s, 'A', 3, "1", err, sizeof err), -1);    /* never the committed slot */
	WT_CHECK(strstr(err, "committed") != NULL);
	WT_EQ_INT(ab_try(&s, 'B', 4, "1", err, sizeof err), -1);
	WT_EQ_INT(ab_try(&s, 'C', 3, "1", err, sizeof err), -1);

	/* A good update: try B, boot it, commit. */
	char slot = 0;
	WT_EQ_INT(ab_update_slot(&s, 'A', &slot, err, sizeof err), 0);
	WT_EQ_INT(slot, 'B');
	WT_EQ_INT(ab_update_slot(&s, 0, &slot, err, sizeof err), -1);        /* PXE */
	WT_CHECK(strstr(err, "stateless") != NULL);
	WT_EQ_INT(ab_try(&s, 'B', 3, "0.2.0", err, sizeof err), 0);
	WT_EQ_INT(ab_outcome(&s, 'A'), AB_PENDING);
	WT_EQ_INT(ab_update_slot(&s, 'A', &slot, err, sizeof err), -1);      /* one update at a time */
	WT_EQ_INT(boot(&s), 'B');
	WT_EQ_INT(ab_outcome(&s, 'B'), AB_TRYING);
	WT_EQ_INT(ab_update_slot(&s, 'B', &slot, err, sizeof err), -1);      /* never over the fallback */
	WT_CHECK(strstr(err, "being tried") != NULL);
	WT_EQ_INT(ab_commit(&s, 'B', err, sizeof err), 0);
	WT_EQ_INT(s.committed, 'B');
	WT_EQ_INT(boot(&s), 'B');
	WT_EQ_INT(ab_outcome(&s, 'B'), AB_STEADY);

	/* A bad update: A tried three times, never committed, B boots again. */
	WT_EQ_INT(ab_try(&s, 'A', 3, "0.3.0", err, sizeof err), 0);
	for (int i = 0; i < 3; i++) {
		WT_EQ_INT(boot(&s), 'A');
		WT_EQ_INT(ab_outcome(&s, 'A'), AB_TRYING);
	}
	WT_EQ_INT(boot(&s), 'B');
	WT_EQ_INT(ab_outcome(&s, 'B'), AB_ROLLED_BACK);
	WT_EQ_STR(s.attempted_version, "0.3.0");
	WT_EQ_INT(ab_commit(&s, 'A', err, sizeof err), -1);      /* A is no longer being tried... */
	WT_EQ_INT(s.committed, 'B');
	WT_EQ_INT(ab_update_slot(&s, 'B', &slot, err, sizeof err), 0);       /* after a rollback: A again */
	WT_EQ_INT(slot, 'A');
	ab_forget(&s);
	WT_EQ_INT(ab_outcome(&s, 'B'), AB_STEADY);
	WT_EQ_INT(ab_update_slot(&s, 'A', &slot, err, sizeof err), -1);      /* running the non-committed slot */

	/* Round trip through the GRUB block. */
	char blk[AB_GRUBENV_SIZE];
	grub_block(blk, "committed=A\n");
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_GRUBENV, blk, sizeof blk, err, sizeof err), 0);
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	struct ab_state t;
	ab_state_get(&e, &t);
	WT_EQ_INT(t.committed, 'B');
	WT_EQ_INT(t.trying, 0);
	WT_EQ_STR(ab_env_get(&e, "trying"), "");
	WT_CHECK(ab_env_get(&e, "attempted") == NULL);

	/* Junk values read as the bootloaders read them. */
	WT_EQ_INT(ab_env_parse(&e, AB_FMT_UBOOT, "committed=C\ntrying=AB\ntries_left=9\n", 35, err, sizeof err), 0);
	ab_state_get(&e, &t);
	WT_EQ_INT(t.committed, 'A');
	WT_EQ_INT(t.trying, 0);
	WT_EQ_INT(t.tries_left, 0);
}

static void t_files(void)
{
	char dir[] = "/tmp/wt-abstate.XXXXXX", p[128], err[200];
	WT_CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof p, "%s/grubenv", dir);
	char blk[AB_GRUBENV_SIZE];
	grub_block(blk, "committed=A\n");
	FILE *f = fopen(p, "w");
	WT_CHECK(f && fwrite(blk, 1, sizeof blk, f) == sizeof blk);
	if (f)
		fclose(f);
	struct stat st0, st1;
	WT_EQ_INT(stat(p, &st0), 0);
	struct ab_env e;
	struct ab_state s;
	WT_EQ_INT(ab_file_load(p, AB_FMT_GRUBENV, &e, err, sizeof err), 0);
	ab_state_get(&e, &s);
	WT_EQ_INT(ab_try(&s, 'B', 3, "0.2.0", err, sizeof err), 0);
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	WT_EQ_INT(ab_file_store(p, &e, err, sizeof err), 0);
	WT_EQ_INT(stat(p, &st1), 0);
	WT_EQ_INT(st1.st_ino, st0.st_ino);                      /* in place */
	WT_EQ_INT(st1.st_size, AB_GRUBENV_SIZE);
	WT_EQ_INT(ab_file_load(p, AB_FMT_GRUBENV, &e, err, sizeof err), 0);
	ab_state_get(&e, &s);
	WT_EQ_INT(s.trying, 'B');
	WT_EQ_INT(s.tries_left, 3);

	/* A block of the wrong size is never rewritten. */
	WT_EQ_INT(truncate(p, 1000), 0);
	WT_EQ_INT(ab_file_store(p, &e, err, sizeof err), -1);
	WT_CHECK(strstr(err, "1024-byte") != NULL);
	WT_EQ_INT(ab_file_load(p, AB_FMT_GRUBENV, &e, err, sizeof err), -1);

	snprintf(p, sizeof p, "%s/uboot-ab.env", dir);
	WT_EQ_INT(ab_file_load(p, AB_FMT_UBOOT, &e, err, sizeof err), -1);     /* missing */
	WT_CHECK(strstr(err, "No such file") != NULL);
	e.fmt = AB_FMT_UBOOT;
	WT_EQ_INT(ab_state_put(&e, &s), 0);
	WT_EQ_INT(ab_file_store(p, &e, err, sizeof err), 0);
	WT_EQ_INT(ab_file_load(p, AB_FMT_UBOOT, &e, err, sizeof err), 0);
	WT_EQ_STR(ab_env_get(&e, "attempted_version"), "0.2.0");
	unlink(p);
	snprintf(p, sizeof p, "%s/grubenv", dir);
	unlink(p);
	rmdir(dir);
}

WTEST_MAIN("lib_abstate", WT_CASE(t_grub_parse_format), WT_CASE(t_grub_hostile), WT_CASE(t_grub_full_block),
	   WT_CASE(t_uboot), WT_CASE(t_state_machine), WT_CASE(t_files))
