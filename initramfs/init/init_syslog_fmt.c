/* init_syslog_fmt.c: formats a log record as an RFC 5424 syslog message
 * (pure code, used by the forwarder in init_syslog.c). */
#include "init_logring.h"
#include "init_syslog.h"
#include <stdio.h>
#include <time.h>

size_t syslog_format(const struct logrec *r, const char *hostname, char *out, size_t n)
{
	time_t s = (time_t)(r->time_ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char ts[80];
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(r->time_ms % 1000));
	int pri = r->prio & 0x3ff;
	if (pri >> 3 > 23)
		pri = (1 << 3) | (pri & 7);
	int k = snprintf(out, n, "<%d>1 %s %s %s - - - ", pri, ts, hostname[0] ? hostname : "-",
			 r->tag[0] ? r->tag : "-");
	if (k < 0 || (size_t)k >= n)
		return 0;
	size_t o = (size_t)k;
	for (size_t i = 0; i < r->msglen && o + 1 < n; i++)
		out[o++] = (unsigned char)r->msg[i] < 0x20 ? ' ' : r->msg[i];
	out[o] = '\0';
	return o;
}

