/* json_write.c: the JSON writer (growable buffer, automatic commas, string
 * escaping). Misuse such as unbalanced nesting makes json_w_finish fail. */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_w_init(struct json_w *w)
{
	memset(w, 0, sizeof *w);
}

static void w_put(struct json_w *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t nc = w->cap ? w->cap : 256;
		while (nc < w->len + n + 1)
			nc *= 2;
		char *nb = realloc(w->buf, nc);
		if (!nb) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = nc;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value: comma if needed (unless right after a key). */
static void w_sep(struct json_w *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->need_comma[w->depth - 1])
			w_put(w, ",", 1);
		w->need_comma[w->depth - 1] = true;
	}
}

static void w_open(struct json_w *w, const char *c)
{
	w_sep(w);
	if (w->depth >= JSON_W_MAXDEPTH) {
		w->oom = true;
		return;
	}
	w_put(w, c, 1);
	w->need_comma[w->depth++] = false;
}

static void w_close(struct json_w *w, const char *c)
{
	if (w->depth <= 0 || w->after_key) {
		w->oom = true;
		return;
	}
	w->depth--;
	w_put(w, c, 1);
}

void json_w_obj_begin(struct json_w *w) { w_open(w, "{"); }
void json_w_obj_end(struct json_w *w) { w_close(w, "}"); }
void json_w_arr_begin(struct json_w *w) { w_open(w, "["); }
void json_w_arr_end(struct json_w *w) { w_close(w, "]"); }

size_t json_escape(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0;
#define PUT(ch) do { if (o + 1 < outlen) out[o] = (ch); o++; } while (0)
	PUT('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		char hex[8];
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(hex, sizeof hex, "\\u%04x", c);
				e = hex;
			}
		}
		if (e) {
			for (; *e; e++)
				PUT(*e);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

void json_w_strn(struct json_w *w, const char *s, size_t n)
{
	w_sep(w);
	if (!s) {
		w_put(w, "null", 4);
		return;
	}
	char small[256];
	size_t need = json_escape(small, sizeof small, s, n);
	if (need < sizeof small) {
		w_put(w, small, need);
		return;
	}
	char *big = malloc(need + 1);
	if (!big) {
		w->oom = true;
		return;
	}
	json_escape(big, need + 1, s, n);
	w_put(w, big, need);
	free(big);
}

void json_w_str(struct json_w *w, const char *s)
{
	json_w_strn(w, s, s ? strlen(s) : 0);
}

void json_w_key(struct json_w *w, const char *key)
{
	if (w->depth <= 0 || w->after_key) {
		w->oom = true;
		return;
	}
	json_w_str(w, key);
	w_put(w, ":", 1);
	w->after_key = true;
}

void json_w_int(struct json_w *w, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%" PRId64, v);
	w_sep(w);
	w_put(w, b, (size_t)n);
}

void json_w_uint(struct json_w *w, uint64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%" PRIu64, v);
	w_sep(w);
	w_put(w, b, (size_t)n);
}

void json_w_double(struct json_w *w, double v)
{
	char b[40];
	int n = isfinite(v) ? snprintf(b, sizeof b, "%.17g", v) : snprintf(b, sizeof b, "null");
	w_sep(w);
	w_put(w, b, (size_t)n);
}

void json_w_bool(struct json_w *w, bool v)
{
	w_sep(w);
	w_put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_w_null(struct json_w *w)
{
	w_sep(w);
	w_put(w, "null", 4);
}

void json_w_raw(struct json_w *w, const char *json, size_t n)
{
	w_sep(w);
	w_put(w, json, n);
}

void json_w_kstr(struct json_w *w, const char *k, const char *s) { json_w_key(w, k); json_w_str(w, s); }
void json_w_kint(struct json_w *w, const char *k, int64_t v) { json_w_key(w, k); json_w_int(w, v); }
void json_w_kuint(struct json_w *w, const char *k, uint64_t v) { json_w_key(w, k); json_w_uint(w, v); }
void json_w_kbool(struct json_w *w, const char *k, bool v) { json_w_key(w, k); json_w_bool(w, v); }
void json_w_kdouble(struct json_w *w, const char *k, double v) { json_w_key(w, k); json_w_double(w, v); }

char *json_w_finish(struct json_w *w, size_t *len)
{
	char *out = NULL;
	if (!w->oom && w->depth == 0 && !w->after_key) {
		if (!w->buf)
			w_put(w, "", 0);
		if (!w->oom) {
			out = w->buf;
			if (len)
				*len = w->len;
			w->buf = NULL;
		}
	}
	json_w_free(w);
	return out;
}

void json_w_free(struct json_w *w)
{
	free(w->buf);
	json_w_init(w);
}
