/* test_syslog.c: RFC 5424 formatting of log records. */
#include "../init_logring.h"
#include "../init_syslog.h"
#include "wtest.h"

static void t_format(void)
{
	struct logrec r = { .seq = 1, .time_ms = 1700000000123LL, .prio = 30, .tag = "udhcpc" };
	char out[256];
	snprintf(r.msg, sizeof r.msg, "lease\tobtained\033");
	r.msglen = strlen(r.msg);
	size_t n = syslog_format(&r, "node7", out, sizeof out);
	WT_EQ_STR(out, "<30>1 2023-11-14T22:13:20.123Z node7 udhcpc - - - lease obtained ");
	WT_EQ_INT(n, strlen(out));
	r.prio = 6; /* kernel facility */
	r.tag[0] = '\0';
	syslog_format(&r, "", out, sizeof out);
	WT_CHECK(strncmp(out, "<6>1 2023-11-14T22:13:20.123Z - - - - - ", 40) == 0);
	r.prio = 200 << 3 | 3; /* facility out of range -> user.err */
	syslog_format(&r, "h", out, sizeof out);
	WT_CHECK(strncmp(out, "<11>1 ", 6) == 0);
	WT_EQ_INT(syslog_format(&r, "h", out, 10), 0);
	/* a long message is cut at the buffer, still terminated */
	memset(r.msg, 'x', LOG_MSG_MAX);
	r.msglen = LOG_MSG_MAX;
	n = syslog_format(&r, "h", out, sizeof out);
	WT_EQ_INT(n, sizeof out - 1);
	WT_EQ_INT(out[sizeof out - 1], '\0');
}

WTEST_MAIN("init_syslog", WT_CASE(t_format))
