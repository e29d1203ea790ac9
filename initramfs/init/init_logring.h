/* init_logring.h: the bounded in-RAM log ring (pure code). Records carry a
 * sequence number, wall-clock time, syslog priority, tag and message; when the
 * ring is full the oldest records are dropped. Readers keep a cursor. */
#ifndef INIT_LOGRING_H
#define INIT_LOGRING_H
#include <stddef.h>
#include <stdint.h>

#define LOG_TAG_MAX 31
#define LOG_MSG_MAX 1024

struct logring {
	uint8_t *buf;
	size_t cap, used;
	size_t tail, head;       /* oldest record, next write position */
	uint64_t first_seq;      /* seq of the oldest record kept */
	uint64_t next_seq;       /* seq the next record gets */
};

struct logcursor {
	uint64_t seq;            /* next record wanted */
	size_t pos;              /* where it is, valid while seq >= first_seq */
};

struct logrec {
	uint64_t seq;
	int64_t time_ms;         /* ms since the epoch */
	int prio;                /* syslog facility|severity */
	char tag[LOG_TAG_MAX + 1];
	char msg[LOG_MSG_MAX + 1];
	size_t msglen;
};

/* cap bytes; returns 0 or -1 (no memory). */
int logring_init(struct logring *r, size_t cap);
void logring_free(struct logring *r);
/* Add one record (message cut at LOG_MSG_MAX, tag at LOG_TAG_MAX, trailing
 * newlines dropped). Returns its sequence number. */
uint64_t logring_add(struct logring *r, int64_t time_ms, int prio, const char *tag,
		     const char *msg, size_t len);
/* A cursor at the oldest record (or at the end, for follow-only readers). */
void logring_cursor_start(const struct logring *r, struct logcursor *c);
void logring_cursor_end(const struct logring *r, struct logcursor *c);
/* Read the record at the cursor and advance it. Returns 1 with *out filled, 0
 * at the end. *lost (may be NULL) gets how many records were dropped under
 * the cursor since the last read (the reader was too slow). */
int logring_read(const struct logring *r, struct logcursor *c, struct logrec *out, uint64_t *lost);
/* The wire form used on log.sock and by initctl: "SEQ TIME_MS PRIO TAG MSG\n"
 * (control characters in MSG replaced by spaces; MSG cut to fit n). Returns
 * the length written, or 0 when not even the header and newline fit. */
size_t logrec_format(const struct logrec *rec, char *out, size_t n);
/* The tag an intake connection's lines are stored under (out: LOG_TAG_MAX+1
 * bytes): its first line's claim as it is when the sender is one of init's
 * services (the agent tags the streams of its VMMs), else "uid<U>:<claim>",
 * so that no other process can pass its lines off as a service's. */
void logtag_intake(char *out, const char *claim, int trusted, unsigned uid);
#endif
