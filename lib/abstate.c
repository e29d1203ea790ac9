/* abstate.c: the A/B state machine's variables (committed, trying,
 * tries_left, attempted) read and changed the way the bootloaders and the
 * agent agree on (docs/updates.md). */
#include "abstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

static char slot_of(const char *v)
{
	return v && (strcmp(v, "A") == 0 || strcmp(v, "B") == 0) ? v[0] : 0;
}

void ab_state_get(const struct ab_env *e, struct ab_state *s)
{
	memset(s, 0, sizeof *s);
	/* As grub.cfg and u-boot.cmd: anything but B (or A) is A. */
	s->committed = slot_of(ab_env_get(e, "committed"));
	if (!s->committed)
		s->committed = 'A';
	s->trying = slot_of(ab_env_get(e, "trying"));
	const char *t = ab_env_get(e, "tries_left");
	s->tries_left = t && strlen(t) == 1 && t[0] >= '1' && t[0] <= '0' + AB_MAX_TRIES ? t[0] - '0' : 0;
	s->attempted = slot_of(ab_env_get(e, "attempted"));
	const char *v = ab_env_get(e, "attempted_version");
	snprintf(s->attempted_version, sizeof s->attempted_version, "%s", v ? v : "");
}

int ab_state_put(struct ab_env *e, const struct ab_state *s)
{
	char c[2] = { s->committed, 0 }, t[2] = { s->trying, 0 }, a[2] = { s->attempted, 0 };
	char n[2] = { (char)('0' + s->tries_left), 0 };
	if (!slot_of(c) || (s->trying && !slot_of(t)) || (s->attempted && !slot_of(a)) ||
	    s->tries_left < 0 || s->tries_left > AB_MAX_TRIES)
		return -1;
	/* GRUB's save_env writes "trying=" for an empty one; both read that as none. */
	return ab_env_set(e, "committed", c) || ab_env_set(e, "trying", s->trying ? t : "") ||
	       ab_env_set(e, "tries_left", n) || ab_env_set(e, "attempted", s->attempted ? a : NULL) ||
	       ab_env_set(e, "attempted_version", s->attempted && s->attempted_version[0] ? s->attempted_version : NULL)
		       ? -1 : 0;
}

char ab_inactive(const struct ab_state *s)
{
	return s->committed == 'B' ? 'A' : 'B';
}

int ab_update_slot(const struct ab_state *s, char running, char *slot, char *err, size_t errlen)
{
	enum ab_outcome o = ab_outcome(s, running);
	if (running != 'A' && running != 'B') {
		seterr(err, errlen, "abstate: this host has no boot medium (stateless): nothing to update");
		return -1;
	}
	if (o == AB_PENDING || o == AB_TRYING) {
		seterr(err, errlen, "abstate: slot %c is being tried (%d tries left); commit or roll back first",
		       s->trying ? s->trying : s->attempted, s->tries_left);
		return -1;
	}
	if (running != s->committed) {
		seterr(err, errlen, "abstate: running slot %c is not the committed slot %c", running, s->committed);
		return -1;
	}
	*slot = ab_inactive(s);
	return 0;
}

int ab_try(struct ab_state *s, char slot, int tries, const char *version, char *err, size_t errlen)
{
	if (slot != 'A' && slot != 'B') {
		seterr(err, errlen, "abstate: no slot '%c'", slot ? slot : '?');
		return -1;
	}
	if (slot == s->committed) {
		seterr(err, errlen, "abstate: slot %c is the committed one; an update writes slot %c", slot,
		       ab_inactive(s));
		return -1;
	}
	if (tries < 1 || tries > AB_MAX_TRIES) {
		seterr(err, errlen, "abstate: tries %d out of range (1..%d)", tries, AB_MAX_TRIES);
		return -1;
	}
	if (version && strlen(version) >= sizeof s->attempted_version) {
		seterr(err, errlen, "abstate: version too long");
		return -1;
	}
	s->trying = slot;
	s->tries_left = tries;
	s->attempted = slot;
	snprintf(s->attempted_version, sizeof s->attempted_version, "%s", version ? version : "");
	return 0;
}

int ab_commit(struct ab_state *s, char running, char *err, size_t errlen)
{
	if (running != 'A' && running != 'B') {
		seterr(err, errlen, "abstate: cannot commit slot '%c'", running ? running : '?');
		return -1;
	}
	if (running != s->committed && running != s->trying) {
		seterr(err, errlen, "abstate: slot %c is neither committed nor being tried", running);
		return -1;
	}
	s->committed = running;
	s->trying = 0;
	s->tries_left = 0;
	s->attempted = 0;
	s->attempted_version[0] = 0;
	return 0;
}

void ab_forget(struct ab_state *s)
{
	s->attempted = 0;
	s->attempted_version[0] = 0;
}

enum ab_outcome ab_outcome(const struct ab_state *s, char running)
{
	if (running != s->committed && ((s->trying && running == s->trying) || (s->attempted && running == s->attempted)))
		return AB_TRYING;
	if (s->trying && s->tries_left > 0)
		return AB_PENDING;
	if (s->attempted && s->attempted != s->committed && running == s->committed)
		return AB_ROLLED_BACK;
	return AB_STEADY;
}

const char *ab_outcome_name(enum ab_outcome o)
{
	switch (o) {
	case AB_STEADY: return "steady";
	case AB_TRYING: return "trying";
	case AB_PENDING: return "pending";
	case AB_ROLLED_BACK: return "rolled-back";
	}
	return "?";
}
