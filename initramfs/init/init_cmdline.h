/* init_cmdline.h: the kernel command line, split into words (pure code). */
#ifndef INIT_CMDLINE_H
#define INIT_CMDLINE_H
#include <stddef.h>

#define CMDLINE_MAX 4096

struct cmdline {
	char buf[CMDLINE_MAX];
	size_t len;
};

/* Copy text (e.g. /proc/cmdline) into cl; returns 0, or -1 if it was cut. */
int cmdline_set(struct cmdline *cl, const char *text, size_t len);

/* Iterate over words: *pos starts at 0; returns the next word (not
 * NUL-terminated) and its length in *wlen, or NULL at the end. Double quotes
 * group words ("a b") and are not part of the word returned. */
const char *cmdline_next(const struct cmdline *cl, size_t *pos, size_t *wlen);

/* Value of the last "key=value" word for key into out (size n); returns 1 if
 * found, 0 if not, -1 if the value did not fit. A bare "key" gives "". */
int cmdline_get(const struct cmdline *cl, const char *key, char *out, size_t n);

/* 1 if the bare word (e.g. "quiet") is present. */
int cmdline_has(const struct cmdline *cl, const char *word);
#endif
