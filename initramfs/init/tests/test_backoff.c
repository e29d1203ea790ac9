/* test_backoff.c: the service restart delay policy. */
#include "../init_services.h"
#include "wtest.h"

static void t_backoff(void)
{
	int d = 0, seq[10];
	for (int i = 0; i < 10; i++)
		seq[i] = d = svc_backoff_next(d, 100); /* crashes right away */
	WT_EQ_INT(seq[0], 1000);
	WT_EQ_INT(seq[1], 2000);
	WT_EQ_INT(seq[5], 32000);
	WT_EQ_INT(seq[6], 60000); /* capped */
	WT_EQ_INT(seq[9], 60000);
	WT_EQ_INT(svc_backoff_next(60000, HEALTHY_MS), 1000); /* ran long enough: reset */
	WT_EQ_INT(svc_backoff_next(8000, HEALTHY_MS - 1), 16000);
	WT_EQ_INT(svc_backoff_next(-5, 0), 1000);
	WT_EQ_INT(svc_backoff_next(2147483647, 0), 60000); /* no overflow */
}

WTEST_MAIN("init_backoff", WT_CASE(t_backoff))
