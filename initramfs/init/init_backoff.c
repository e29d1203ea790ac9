/* init_backoff.c: the restart delay policy of supervised services. */
#include "init_services.h"

int svc_backoff_next(int last_ms, int64_t ran_ms)
{
	if (ran_ms >= HEALTHY_MS || last_ms <= 0)
		return BACKOFF_MIN_MS;
	if (last_ms >= BACKOFF_MAX_MS / 2)
		return BACKOFF_MAX_MS;
	return last_ms * 2;
}
