/* errbuf.h: seterr(), the one way library code fills a caller's error buffer
 * (err may be NULL or len 0: then nothing is written). */
#ifndef WAFER_ERRBUF_H
#define WAFER_ERRBUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void seterr(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
#endif
