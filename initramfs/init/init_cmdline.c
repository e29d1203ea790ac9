/* init_cmdline.c: splits the kernel command line into words and looks up
 * key=value pairs (wafer.slot=A, wafer.hostname=...). Pure code. */
#include "init_cmdline.h"
#include <string.h>

int cmdline_set(struct cmdline *cl, const char *text, size_t len)
{
	int cut = 0;
	if (len >= sizeof cl->buf) {
		len = sizeof cl->buf - 1;
		cut = 1;
	}
	memcpy(cl->buf, text, len);
	cl->buf[len] = '\0';
	/* The kernel ends /proc/cmdline with a newline: treat it as a space. */
	for (size_t i = 0; i < len; i++)
		if (cl->buf[i] == '\n' || cl->buf[i] == '\t')
			cl->buf[i] = ' ';
	cl->len = len;
	return cut ? -1 : 0;
}

const char *cmdline_next(const struct cmdline *cl, size_t *pos, size_t *wlen)
{
	size_t i = *pos;
	while (i < cl->len && cl->buf[i] == ' ')
		i++;
	if (i >= cl->len) {
		*pos = i;
		return NULL;
	}
	size_t start = i;
	int quoted = 0;
	while (i < cl->len && (quoted || cl->buf[i] != ' ')) {
		if (cl->buf[i] == '"')
			quoted = !quoted;
		i++;
	}
	*pos = i;
	*wlen = i - start;
	return cl->buf + start;
}

/* Copy a word without its double quotes. */
static int copy_unquoted(const char *w, size_t wl, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < wl; i++) {
		if (w[i] == '"')
			continue;
		if (o + 1 >= n)
			return -1;
		out[o++] = w[i];
	}
	out[o] = '\0';
	return 1;
}

int cmdline_get(const struct cmdline *cl, const char *key, char *out, size_t n)
{
	size_t pos = 0, wl, kl = strlen(key);
	const char *w;
	int found = 0;
	if (n == 0)
		return -1;
	while ((w = cmdline_next(cl, &pos, &wl))) {
		const char *s = w;
		size_t sl = wl;
		if (sl && s[0] == '"') { /* "key=value with spaces" */
			s++;
			sl--;
		}
		if (sl < kl || memcmp(s, key, kl) != 0)
			continue;
		if (sl == kl || (sl == kl + 1 && s[kl] == '"')) {
			out[0] = '\0';
			found = 1;
		} else if (s[kl] == '=') {
			found = copy_unquoted(s + kl + 1, sl - kl - 1, out, n);
			if (found < 0)
				return -1;
		}
	}
	return found;
}

int cmdline_has(const struct cmdline *cl, const char *word)
{
	size_t pos = 0, wl, l = strlen(word);
	const char *w;
	while ((w = cmdline_next(cl, &pos, &wl)))
		if (wl == l && memcmp(w, word, l) == 0)
			return 1;
	return 0;
}
