/* test_enroll_limit.c: five free wrong guesses per address, then a wait that
 * doubles up to 300 s; other addresses are not held up; a full table forgets
 * the address seen longest ago. */
#include "server/enroll_limit.h"
#include "wtest.h"
#include <stdio.h>

static void t_backoff(void)
{
	enroll_limit_reset();
	int64_t t = 1000000;
	for (int i = 0; i < ENROLL_FREE_TRIES; i++) {
		WT_EQ_INT(enroll_limit_wait("10.0.0.1", t), 0);
		enroll_limit_failed("10.0.0.1", t);
	}
	WT_EQ_INT(enroll_limit_wait("10.0.0.1", t), 0); /* the 5th wrong guess costs nothing yet */
	enroll_limit_failed("10.0.0.1", t);              /* 6th: 1 s */
	WT_EQ_INT(enroll_limit_wait("10.0.0.1", t), 1);
	WT_EQ_INT(enroll_limit_wait("10.0.0.2", t), 0); /* another address is not held up */
	t += 1000;
	WT_EQ_INT(enroll_limit_wait("10.0.0.1", t), 0);
	enroll_limit_failed("10.0.0.1", t); /* 7th: 2 s */
	WT_EQ_INT(enroll_limit_wait("10.0.0.1", t), 2);
	int guesses = 7;
	int64_t start = t;
	for (;;) { /* an attacker who always waits exactly as long as told */
		int w = enroll_limit_wait("10.0.0.1", t);
		t += (int64_t)w * 1000;
		if (t - start >= 3600 * 1000)
			break;
		enroll_limit_failed("10.0.0.1", t);
		guesses++;
		WT_CHECK(enroll_limit_wait("10.0.0.1", t) <= ENROLL_MAX_WAIT_S);
	}
	/* 7 + 9 doublings (4..512 capped at 300 s) + the rest of the hour at 300 s */
	WT_CHECK(guesses < 30);
	printf("  wrong guesses from one address in its first hour: %d\n", guesses);
}

static void t_table_full(void)
{
	enroll_limit_reset();
	char a[32];
	for (int i = 0; i < 10; i++)
		enroll_limit_failed("192.0.2.1", 1000);
	WT_CHECK(enroll_limit_wait("192.0.2.1", 1000) > 0);
	for (int i = 0; i < ENROLL_LIMIT_ADDRS; i++) {
		snprintf(a, sizeof a, "198.51.100.%d", i);
		enroll_limit_failed(a, 2000 + i);
	}
	/* the oldest entry made room; the newer ones are still counted */
	WT_EQ_INT(enroll_limit_wait("192.0.2.1", 3000), 0);
	for (int k = 0; k < 5; k++)
		enroll_limit_failed("198.51.100.200", 5000);
	WT_CHECK(enroll_limit_wait("198.51.100.200", 5000) > 0);
}

WTEST_MAIN("agent_enroll_limit", WT_CASE(t_backoff), WT_CASE(t_table_full))
