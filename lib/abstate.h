/* abstate.h: the A/B boot state (docs/boot.md, docs/updates.md) as the agent
 * reads and writes it: the GRUB environment block (/grub/grubenv, exactly
 * 1024 bytes, rewritten in place) and U-Boot's text environment
 * (/uboot-ab.env, key=value lines). Keys the agent does not know are kept. */
#ifndef WAFER_ABSTATE_H
#define WAFER_ABSTATE_H
#include <stddef.h>

#define AB_GRUBENV_SIZE 1024
#define AB_GRUBENV_HEAD "# GRUB Environment Block\n"
#define AB_ENV_MAX      32     /* variables kept */
#define AB_KEY_MAX      64
#define AB_VAL_MAX      128
#define AB_MAX_TRIES    3

enum ab_format { AB_FMT_GRUBENV, AB_FMT_UBOOT };

struct ab_env {
	enum ab_format fmt;
	int n;
	struct { char key[AB_KEY_MAX]; char val[AB_VAL_MAX]; } kv[AB_ENV_MAX];
};

/* The state machine's variables. Slots are 'A' or 'B'; 0 means none. */
struct ab_state {
	char committed;        /* the slot that boots normally */
	char trying;           /* a fresh slot still being tried, or 0 */
	int tries_left;        /* 0..3 */
	char attempted;        /* set by ab_try, cleared by ab_commit/ab_forget:
	                        * lets the agent see that a try ran out */
	char attempted_version[AB_VAL_MAX];
};

/* What became of the last update, seen from the running slot. */
enum ab_outcome {
	AB_STEADY,       /* nothing pending */
	AB_TRYING,       /* running the trying slot: commit after the health check */
	AB_PENDING,      /* a try is set but this boot is not it (reboot pending) */
	AB_ROLLED_BACK,  /* a try ran out: the committed slot booted again */
};

/* Parse a state file; bad content gets -1 and a message in err. */
int ab_env_parse(struct ab_env *e, enum ab_format fmt, const char *buf, size_t len, char *err, size_t errlen);
/* Serialise; GRUB: exactly AB_GRUBENV_SIZE bytes. Returns the length or -1. */
long ab_env_format(const struct ab_env *e, char *out, size_t cap, char *err, size_t errlen);
const char *ab_env_get(const struct ab_env *e, const char *key);
/* val NULL removes the key. Returns 0, or -1 (bad key/value, table full). */
int ab_env_set(struct ab_env *e, const char *key, const char *val);

/* Interpret the variables exactly as image/grub.cfg and image/u-boot.cmd do. */
void ab_state_get(const struct ab_env *e, struct ab_state *s);
int ab_state_put(struct ab_env *e, const struct ab_state *s);

/* The slot an update writes: the one that is not committed. */
char ab_inactive(const struct ab_state *s);
/* The slot an update may write now, given the running slot ('A', 'B'; 0 for
 * PXE). Refused (-1, err) on a stateless host, while a try is pending or
 * running (the inactive slot is then the fallback or the running system),
 * and when the running slot is not the committed one. */
int ab_update_slot(const struct ab_state *s, char running, char *slot, char *err, size_t errlen);
/* After writing slot: try it on the next boots (tries 1..3). */
int ab_try(struct ab_state *s, char slot, int tries, const char *version, char *err, size_t errlen);
/* The running slot is healthy: make it the committed one. */
int ab_commit(struct ab_state *s, char running, char *err, size_t errlen);
/* The agent has reported a rolled-back update: forget it. */
void ab_forget(struct ab_state *s);
enum ab_outcome ab_outcome(const struct ab_state *s, char running);
const char *ab_outcome_name(enum ab_outcome o);

/* Files: load (bounded read) and store. GRUB's block is overwritten in place
 * (same 1024 bytes, fsync: no FAT allocation); U-Boot's file is replaced
 * atomically (write new, fsync, rename). 0, or -1 with err. */
int ab_file_load(const char *path, enum ab_format fmt, struct ab_env *e, char *err, size_t errlen);
int ab_file_store(const char *path, const struct ab_env *e, char *err, size_t errlen);

#endif
