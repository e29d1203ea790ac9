/* test_metrics_label.c: label values with a quote, a backslash and a newline
 * cannot end their label or add a line; a full buffer never cuts an escape. */
#include "api/metrics_label.h"
#include "wtest.h"

static void t_escape(void)
{
	char b[64];
	WT_EQ_STR(metrics_label("web1", b, sizeof b), "web1");
	WT_EQ_STR(metrics_label("a\"} 1\nwafer_fake 9", b, sizeof b), "a\\\"} 1\\nwafer_fake 9");
	WT_EQ_STR(metrics_label("c:\\x", b, sizeof b), "c:\\\\x");
	WT_EQ_STR(metrics_label("", b, sizeof b), "");
	/* room for "ab" and half of an escape: the escape is left out whole */
	WT_EQ_STR(metrics_label("ab\"cd", b, 4), "ab");
	WT_EQ_STR(metrics_label("abcdef", b, 4), "abc");
	WT_EQ_STR(metrics_label("\n", b, 2), "");
}

WTEST_MAIN("agent_metrics_label", WT_CASE(t_escape))
