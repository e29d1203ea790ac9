/* fatcheck.h: check and repair a FAT volume with fsck.fat (dosfstools,
 * /sbin/fsck.fat in the image) before it is mounted read-write. Used by
 * wafer-init at boot (config and boot partitions) and by wafer-agent before
 * each read-write mount of the boot partition (docs/updates.md, "Power cuts").
 *
 * fatcheck_run() runs `fsck.fat -a -w DEV` with a timeout while it holds DEV
 * open exclusively (O_EXCL: a mount of DEV fails with EBUSY meanwhile, and a
 * DEV that is mounted cannot be checked: it waits up to busy_wait_ms for the
 * mount to go, then gives up with FATCHECK_BUSY). After a repair a second,
 * read-only pass (`fsck.fat -n DEV`) must find nothing left, or the result
 * is FATCHECK_FAILED. */
#ifndef WAFER_FATCHECK_H
#define WAFER_FATCHECK_H

#include <stdbool.h>
#include <stddef.h>

#define FATCHECK_PROG "/sbin/fsck.fat"
#define FATCHECK_TIMEOUT_MS 30000
#define FATCHECK_BUSY_WAIT_MS 3000

enum fatcheck_result {
	FATCHECK_CLEAN,    /* nothing to do */
	FATCHECK_REPAIRED, /* fsck.fat changed the volume; a second pass found it clean */
	FATCHECK_FAILED,   /* could not check, or could not repair: msg says why */
	FATCHECK_BUSY,     /* DEV stayed in use (mounted) for busy_wait_ms: not checked */
};

struct fatcheck_opts {
	const char *prog;  /* NULL: FATCHECK_PROG */
	int timeout_ms;    /* per fsck.fat run; 0: FATCHECK_TIMEOUT_MS */
	int busy_wait_ms;  /* 0: FATCHECK_BUSY_WAIT_MS; <0: do not wait */
};

struct fatcheck {
	enum fatcheck_result result;
	int exit_code;       /* fsck.fat's exit status of the repair pass; -1: none (not run, signal) */
	long ms;             /* wall time of the whole check */
	char summary[160];   /* fsck.fat's last line: "DEV: N files, USED/TOTAL clusters" */
	char findings[512];  /* what it found and did, lines joined with "; " */
	char msg[700];       /* one line for a log or an API error */
};

/* Check DEV; fills r and returns r->result. opts may be NULL. */
enum fatcheck_result fatcheck_run(const char *dev, const struct fatcheck_opts *opts, struct fatcheck *r);

/* Append sep and len bytes of s to the string dst (size n), or " ..." once
 * when they do not fit (for the tests; used to build findings). */
void fatcheck_append(char *dst, size_t n, const char *sep, const char *s, size_t len);

/* The mapping from one fsck.fat run to a result (no I/O; for the tests):
 * wstatus as from waitpid(), timed_out when the run was killed for taking
 * too long, out its stdout+stderr. Sets exit_code, summary, findings, msg. */
enum fatcheck_result fatcheck_classify(const char *dev, int wstatus, bool timed_out, int timeout_ms,
				       const char *out, struct fatcheck *r);

const char *fatcheck_result_name(enum fatcheck_result res);

#endif
