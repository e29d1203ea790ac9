/* metrics_label.c: escaping of Prometheus label values. */
#include "metrics_label.h"

const char *metrics_label(const char *in, char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return out;
	for (; *in; in++) {
		char esc = *in == '\\' ? '\\' : *in == '"' ? '"' : *in == '\n' ? 'n' : 0;
		if (o + (esc ? 2 : 1) >= n)
			break;
		if (esc) {
			out[o++] = '\\';
			out[o++] = esc;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}
