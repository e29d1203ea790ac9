/* enroll_limit.c: per-address backoff for enrollment token guesses. */
#include "enroll_limit.h"
#include <stdio.h>
#include <string.h>

static struct {
	char addr[48];
	int fails;
	int64_t until_ms, seen_ms;
} tab[ENROLL_LIMIT_ADDRS];

static int find(const char *addr, int create, int64_t now)
{
	int oldest = 0;
	for (int i = 0; i < ENROLL_LIMIT_ADDRS; i++) {
		if (tab[i].addr[0] && !strcmp(tab[i].addr, addr))
			return i;
		if (tab[i].seen_ms < tab[oldest].seen_ms || (!tab[i].addr[0] && tab[oldest].addr[0]))
			oldest = i;
	}
	if (!create)
		return -1;
	memset(&tab[oldest], 0, sizeof tab[oldest]);
	snprintf(tab[oldest].addr, sizeof tab[oldest].addr, "%s", addr);
	tab[oldest].seen_ms = now;
	return oldest;
}

int enroll_limit_wait(const char *addr, int64_t now_ms)
{
	int i = find(addr, 0, now_ms);
	if (i < 0 || tab[i].until_ms <= now_ms)
		return 0;
	return (int)((tab[i].until_ms - now_ms + 999) / 1000);
}

void enroll_limit_failed(const char *addr, int64_t now_ms)
{
	int i = find(addr, 1, now_ms);
	tab[i].seen_ms = now_ms;
	int over = ++tab[i].fails - ENROLL_FREE_TRIES;
	if (over <= 0)
		return;
	int64_t wait_s = over > 9 ? ENROLL_MAX_WAIT_S : (int64_t)1 << (over - 1);
	if (wait_s > ENROLL_MAX_WAIT_S)
		wait_s = ENROLL_MAX_WAIT_S;
	tab[i].until_ms = now_ms + wait_s * 1000;
}

void enroll_limit_reset(void)
{
	memset(tab, 0, sizeof tab);
}
