/* wafer-abstate: reads and changes an A/B state file with lib/abstate, the
 * code the agent uses (build machine tool, for tests and for preparing media):
 *   wafer-abstate grub|uboot FILE show [RUNNING_SLOT]
 *   wafer-abstate grub|uboot FILE try SLOT TRIES VERSION
 *   wafer-abstate grub|uboot FILE commit RUNNING_SLOT
 *   wafer-abstate grub|uboot FILE forget */
#include "abstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: wafer-abstate grub|uboot FILE show [RUNNING] | try SLOT TRIES VERSION |"
			" commit RUNNING | forget\n");
	return 2;
}

static char slot_arg(const char *s)
{
	return s && (strcmp(s, "A") == 0 || strcmp(s, "B") == 0) ? s[0] : 0;
}

static void show(const struct ab_state *s, char running)
{
	printf("committed=%c\ntrying=%c\ntries_left=%d\nattempted=%c\nattempted_version=%s\n", s->committed,
	       s->trying ? s->trying : '-', s->tries_left, s->attempted ? s->attempted : '-', s->attempted_version);
	if (running)
		printf("outcome=%s\n", ab_outcome_name(ab_outcome(s, running)));
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage();
	enum ab_format fmt;
	if (strcmp(argv[1], "grub") == 0)
		fmt = AB_FMT_GRUBENV;
	else if (strcmp(argv[1], "uboot") == 0)
		fmt = AB_FMT_UBOOT;
	else
		return usage();
	const char *path = argv[2], *cmd = argv[3];
	struct ab_env env;
	struct ab_state st;
	char err[256];
	if (ab_file_load(path, fmt, &env, err, sizeof err)) {
		fprintf(stderr, "wafer-abstate: %s\n", err);
		return 1;
	}
	ab_state_get(&env, &st);
	int rc = 0;
	if (strcmp(cmd, "show") == 0 && argc <= 5) {
		show(&st, argc == 5 ? slot_arg(argv[4]) : 0);
		return 0;
	} else if (strcmp(cmd, "try") == 0 && argc == 7) {
		rc = ab_try(&st, slot_arg(argv[4]), atoi(argv[5]), argv[6], err, sizeof err);
	} else if (strcmp(cmd, "commit") == 0 && argc == 5) {
		rc = ab_commit(&st, slot_arg(argv[4]), err, sizeof err);
	} else if (strcmp(cmd, "forget") == 0 && argc == 4) {
		ab_forget(&st);
	} else {
		return usage();
	}
	if (!rc && ab_state_put(&env, &st)) {
		snprintf(err, sizeof err, "abstate: cannot store the state");
		rc = -1;
	}
	if (!rc)
		rc = ab_file_store(path, &env, err, sizeof err);
	if (rc) {
		fprintf(stderr, "wafer-abstate: %s\n", err);
		return 1;
	}
	show(&st, 0);
	return 0;
}
