/* test_wlog.c: log line format, level filter, newline folding, rate limiter. */
#include "wlog.h"
#include "wtest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char out[4096];

static const char *capture_reset(int fd)
{
	ssize_t n = read(fd, out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void t_format(void)
{
	int p[2];
	WT_EQ_INT(pipe(p), 0);
	wlog_init("wafer-test", p[1], 0);
	wlog_set_level(WLOG_INFO);
	wlog(WLOG_ERR, "http", "bad request from %s", "1.2.3.4");
	WT_EQ_STR(capture_reset(p[0]), "wafer-test: error http: bad request from 1.2.3.4\n");
	wlog(WLOG_DEBUG, "http", "hidden");
	wlog(WLOG_INFO, "vm", "two\nlines");
	WT_EQ_STR(capture_reset(p[0]), "wafer-test: info vm: two lines\n");
	char big[3000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	wlog(WLOG_WARN, "x", "%s", big);
	const char *l = capture_reset(p[0]);
	WT_EQ_INT(strlen(l), 1023);
	WT_CHECK(l[1022] == '\n');
	WT_EQ_INT(wlog_parse_level("debug"), WLOG_DEBUG);
	WT_EQ_INT(wlog_parse_level("loud"), -1);
	close(p[0]);
	close(p[1]);
	wlog_init("wafer-test", -1, 0);
}

static void t_ratelimit(void)
{
	struct wlog_ratelimit rl = WLOG_RATELIMIT_INIT(60000, 3);
	unsigned sup = 99;
	int allowed = 0;
	for (int i = 0; i < 10; i++)
		allowed += wlog_rl_allow(&rl, &sup);
	WT_EQ_INT(allowed, 3);
	WT_EQ_INT(rl.suppressed, 7);
	/* a new window reports the suppressed count once */
	rl.window_start_ms -= 60001;
	WT_CHECK(wlog_rl_allow(&rl, &sup));
	WT_EQ_INT(sup, 7);
	WT_CHECK(wlog_rl_allow(&rl, &sup));
	WT_EQ_INT(sup, 0);
}

WTEST_MAIN("wlog", WT_CASE(t_format), WT_CASE(t_ratelimit))
