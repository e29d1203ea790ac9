/* init_trial.c: the trial watchdog's decisions and its one write to the A/B
 * state file, with lib/abstate (the code the agent and wafer-abstate use). */
#include "init_trial.h"
#include "errbuf.h"
#include <string.h>

const char *trial_state_file(const char *boot_path, enum ab_format *fmt)
{
	if (strcmp(boot_path, "grub-bios") == 0 || strcmp(boot_path, "grub-uefi") == 0) {
		*fmt = AB_FMT_GRUBENV;
		return "grub/grubenv";
	}
	if (strcmp(boot_path, "u-boot") == 0) {
		*fmt = AB_FMT_UBOOT;
		return "uboot-ab.env";
	}
	return NULL;
}

char trial_slot(const char *slot)
{
	return strcmp(slot, "A") == 0 || strcmp(slot, "B") == 0 ? slot[0] : 0;
}

enum trial_verdict trial_verdict(const struct ab_state *s, char running)
{
	if (running != 'A' && running != 'B')
		return TRIAL_NONE;
	if (ab_outcome(s, running) == AB_TRYING)
		return TRIAL_RUNNING;
	if (s->committed == running && !s->trying)
		return TRIAL_COMMITTED;
	return TRIAL_NONE;
}

int64_t trial_deadline_ms(int timeout_s)
{
	return (int64_t)(timeout_s > 0 ? timeout_s : 0) * 1000;
}

int trial_end(struct ab_state *s, char running)
{
	if (trial_verdict(s, running) != TRIAL_RUNNING)
		return -1;
	s->tries_left = 0;
	return 0;
}

int trial_check_file(const char *path, enum ab_format fmt, char running, int end, struct ab_state *s,
		     char *err, size_t errlen)
{
	struct ab_env e;
	char why[160];
	if (ab_file_load(path, fmt, &e, why, sizeof why) != 0) {
		seterr(err, errlen, "%s", why);
		return -1;
	}
	ab_state_get(&e, s);
	enum trial_verdict v = trial_verdict(s, running);
	if (!end || v != TRIAL_RUNNING)
		return (int)v;
	trial_end(s, running);
	if (ab_state_put(&e, s) != 0) {
		seterr(err, errlen, "%s: cannot set tries_left=0", path);
		return -1;
	}
	if (ab_file_store(path, &e, why, sizeof why) != 0) {
		seterr(err, errlen, "%s", why);
		return -1;
	}
	return (int)v;
}
