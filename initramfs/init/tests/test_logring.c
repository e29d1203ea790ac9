/* test_logring.c: the log ring: order, wraparound, lost records, formatting. */
#include "../init_logring.h"
#include "wtest.h"
#include <stdio.h>
#include <stdlib.h>

static void t_basic(void)
{
	struct logring r;
	struct logcursor c;
	struct logrec rec;
	WT_EQ_INT(logring_init(&r, 4096), 0);
	logring_cursor_start(&r, &c);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 0);
	WT_EQ_INT(logring_add(&r, 1000, 6, "kernel", "hello\n", 6), 1);
	WT_EQ_INT(logring_add(&r, 1001, 3, "udhcpc", "world", 5), 2);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 1);
	WT_EQ_STR(rec.msg, "hello");
	WT_EQ_STR(rec.tag, "kernel");
	WT_EQ_INT(rec.time_ms, 1000);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 1);
	WT_EQ_STR(rec.msg, "world");
	WT_EQ_INT(rec.prio, 3);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 0);
	logring_free(&r);
}

static void t_wraparound(void)
{
	struct logring r;
	struct logcursor c, slow;
	struct logrec rec;
	char msg[64];
	uint64_t lost;
	logring_init(&r, 2048); /* bumped to the minimum of one full record */
	logring_cursor_start(&r, &slow);
	logring_cursor_start(&r, &c);
	for (int i = 0; i < 5000; i++) {
		int l = snprintf(msg, sizeof msg, "message number %d", i);
		logring_add(&r, i, 6, "t", msg, (size_t)l);
		WT_CHECK(r.used <= r.cap);
		/* a reader that keeps up sees every record, across the wrap */
		if (logring_read(&r, &c, &rec, &lost) != 1 || lost != 0 || rec.time_ms != i) {
			WT_CHECK(0);
			break;
		}
	}
	WT_EQ_INT(r.next_seq, 5001);
	WT_CHECK(r.first_seq > 1);
	/* the slow reader is told how much it lost, then reads the oldest kept */
	WT_EQ_INT(logring_read(&r, &slow, &rec, &lost), 1);
	WT_EQ_INT(lost, r.first_seq - 1);
	WT_EQ_INT(rec.seq, r.first_seq);
	int n = 1;
	uint64_t last = rec.seq;
	while (logring_read(&r, &slow, &rec, &lost) == 1) {
		WT_CHECK(rec.seq == last + 1 && lost == 0);
		last = rec.seq;
		n++;
	}
	WT_EQ_INT(last, 5000);
	snprintf(msg, sizeof msg, "message number %d", 4999);
	WT_EQ_STR(rec.msg, msg);
	WT_CHECK(n > 10);
	logring_free(&r);
}

static void t_limits_and_format(void)
{
	struct logring r;
	struct logcursor c;
	struct logrec rec;
	char big[3000], line[2048];
	memset(big, 'x', sizeof big);
	big[5] = '\t';
	big[6] = '\033';
	logring_init(&r, 8192);
	logring_add(&r, 5, 14, "a-very-long-tag-that-is-longer-than-31-bytes", big, sizeof big);
	logring_cursor_start(&r, &c);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 1);
	WT_EQ_INT(rec.msglen, LOG_MSG_MAX);
	WT_EQ_INT(strlen(rec.tag), LOG_TAG_MAX);
	size_t n = logrec_format(&rec, line, sizeof line);
	WT_CHECK(n > LOG_MSG_MAX);
	WT_CHECK(strncmp(line, "1 5 14 a-very-long-tag-that-is-longer- xxxxx  x", 47) == 0);
	WT_EQ_INT(line[n - 1], '\n');
	WT_CHECK(strchr(line, '\033') == NULL);
	/* an output buffer too small is not overrun */
	WT_EQ_INT(logrec_format(&rec, line, 8), 0);
	/* a header (long tag) that fills exactly n-1 bytes: no room for the
	 * newline, nothing written past n (ASan watches the heap copy) */
	int hdr = snprintf(NULL, 0, "%llu %lld %d %s ", (unsigned long long)rec.seq, (long long)rec.time_ms, rec.prio,
			   rec.tag);
	for (size_t extra = 1; extra <= 3; extra++) {
		char *exact = malloc((size_t)hdr + extra);
		WT_CHECK(exact != NULL);
		size_t got = logrec_format(&rec, exact, (size_t)hdr + extra);
		WT_CHECK(got < (size_t)hdr + extra);
		if (got) {
			WT_EQ_INT(exact[got - 1], '\n');
			WT_EQ_INT(exact[got], '\0');
		}
		free(exact);
	}
	logring_cursor_end(&r, &c);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 0);
	logring_add(&r, 6, 14, "", "", 0);
	WT_EQ_INT(logring_read(&r, &c, &rec, NULL), 1);
	logrec_format(&rec, line, sizeof line);
	WT_EQ_STR(line, "2 6 14 - \n");
	logring_free(&r);
}

/* Lines from a process that is not one of init's services cannot pass for
 * a service's: their tag says the sender's uid. */
static void t_intake_tag(void)
{
	char t[LOG_TAG_MAX + 1];
	logtag_intake(t, "wafer-vmm[vm1]", 1, 0);
	WT_EQ_STR(t, "wafer-vmm[vm1]");
	logtag_intake(t, "wafer-vmm[vm1]", 0, 64001);
	WT_EQ_STR(t, "uid64001:wafer-vmm[vm1]");
	logtag_intake(t, "wafer-agent-with-a-very-long-claimed-name", 0, 4294967294u);
	WT_EQ_INT(strlen(t), LOG_TAG_MAX);
	WT_CHECK(strncmp(t, "uid4294967294:", 14) == 0);
	logtag_intake(t, "", 1, 0);
	WT_EQ_STR(t, "unknown");
}

WTEST_MAIN("init_logring", WT_CASE(t_intake_tag), WT_CASE(t_basic), WT_CASE(t_wraparound), WT_CASE(t_limits_and_format))
