/* json.c: the strict JSON reader (recursive descent into a node array with
 * limits and byte-offset errors) and its accessors. The writer is json_write.c. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const unsigned char *s;
	size_t len, pos;
	unsigned depth, max_depth;
	size_t max_nodes;
	struct json_doc *doc;
	char *out;           /* next free byte in doc->strbuf */
	struct json_err *err;
	bool failed;
};

static int jp_fail(struct jp *p, size_t at, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	if (p->err) {
		char m[128];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m, sizeof m, fmt, ap);
		va_end(ap);
		p->err->offset = at;
		snprintf(p->err->msg, sizeof p->err->msg, "offset %zu: %s", at, m);
	}
	return -1;
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int32_t jp_node(struct jp *p, enum json_type t)
{
	struct json_doc *d = p->doc;
	if (d->nnodes >= p->max_nodes) {
		jp_fail(p, p->pos, "too many values (limit %zu)", p->max_nodes);
		return -1;
	}
	if (d->nnodes == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;
		struct json_node *nn = realloc(d->nodes, nc * sizeof *nn);
		if (!nn) {
			jp_fail(p, p->pos, "out of memory");
			return -1;
		}
		d->nodes = nn;
		d->cap = nc;
	}
	struct json_node *n = &d->nodes[d->nnodes];
	memset(n, 0, sizeof *n);
	n->type = t;
	n->offset = p->pos;
	n->child_i = n->next_i = -1;
	return (int32_t)d->nnodes++;
}

static int jp_hex4(struct jp *p, unsigned *out)
{
	if (p->len - p->pos < 4)
		return jp_fail(p, p->pos, "truncated \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p->s[p->pos + i];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= c - '0';
		else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
		else return jp_fail(p, p->pos + i, "bad hex digit in \\u escape");
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static void put_utf8(char **o, unsigned cp)
{
	char *q = *o;
	if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | (cp >> 6));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xe0 | (cp >> 12));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xf0 | (cp >> 18));
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

/* Length of a valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	unsigned cp;
	if (c < 0x80) return 1;
	if (c >= 0xc2 && c <= 0xdf) { need = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { need = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { need = 4; cp = c & 0x07; }
	else return 0;
	if (n < need) return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	return need;
}

static int jp_escape(struct jp *p, char **o)
{
	size_t at = p->pos - 1;
	if (p->pos >= p->len)
		return jp_fail(p, at, "truncated escape");
	unsigned char c = p->s[p->pos++];
	const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
	const char *k = c ? strchr(from, c) : NULL;
	if (k) {
		*(*o)++ = to[k - from];
		return 0;
	}
	if (c != 'u')
		return jp_fail(p, at, "invalid escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
	unsigned cp, lo;
	if (jp_hex4(p, &cp))
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jp_fail(p, at, "lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return jp_fail(p, at, "high surrogate \\u%04x without low surrogate", cp);
		p->pos += 2;
		if (jp_hex4(p, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(p, at, "high surrogate \\u%04x followed by \\u%04x", cp, lo);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return jp_fail(p, at, "\\u0000 is not allowed in strings");
	put_utf8(o, cp);
	return 0;
}

/* Parses a string at p->pos (on the opening quote); *res points into strbuf. */
static int jp_string(struct jp *p, const char **res, size_t *rlen)
{
	size_t start = p->pos++;
	char *o = p->out, *begin = p->out;
	for (;;) {
		if (p->pos >= p->len)
			return jp_fail(p, start, "unterminated string");
		unsigned char c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return jp_fail(p, p->pos, "control character 0x%02x in string", c);
		if (c == '\\') {
			p->pos++;
			if (jp_escape(p, &o))
				return -1;
			continue;
		}
		size_t n = utf8_len(p->s + p->pos, p->len - p->pos);
		if (!n)
			return jp_fail(p, p->pos, "invalid UTF-8 in string");
		memcpy(o, p->s + p->pos, n);
		o += n;
		p->pos += n;
	}
	*o++ = '\0';
	p->out = o;
	*res = begin;
	*rlen = (size_t)(o - begin - 1);
	return 0;
}

static int jp_number(struct jp *p, struct json_node *n)
{
	size_t st = p->pos, i = p->pos;
	const unsigned char *s = p->s;
	bool isint = true;
	if (i < p->len && s[i] == '-') i++;
	if (i >= p->len || s[i] < '0' || s[i] > '9')
		return jp_fail(p, st, "invalid number");
	if (s[i] == '0') {
		i++;
		if (i < p->len && s[i] >= '0' && s[i] <= '9')
			return jp_fail(p, st, "leading zero in number");
	} else {
		while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
	}
	if (i < p->len && s[i] == '.') {
		isint = false;
		i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			return jp_fail(p, i, "digit expected after decimal point");
		while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		isint = false;
		i++;
		if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			return jp_fail(p, i, "digit expected in exponent");
		while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
	}
	char tmp[64];
	if (i - st >= sizeof tmp)
		return jp_fail(p, st, "number too long");
	memcpy(tmp, s + st, i - st);
	tmp[i - st] = '\0';
	n->num = strtod(tmp, NULL);
	if (!isfinite(n->num))
		return jp_fail(p, st, "number out of range");
	if (isint) {
		errno = 0;
		long long v = strtoll(tmp, NULL, 10);
		if (errno == 0) {
			n->ival = v;
			n->is_int = true;
		}
	}
	p->pos = i;
	return 0;
}

static int jp_lit(struct jp *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return jp_fail(p, p->pos, "invalid literal (expected '%s')", word);
	p->pos += n;
	return 0;
}

static int32_t jp_value(struct jp *p);

static bool dup_key(struct jp *p, int32_t first, const char *key)
{
	for (int32_t i = first; i >= 0; i = p->doc->nodes[i].next_i)
		if (strcmp(p->doc->nodes[i].key, key) == 0)
			return true;
	return false;
}

static int32_t jp_container(struct jp *p, bool obj)
{
	int32_t self = jp_node(p, obj ? JSON_OBJECT : JSON_ARRAY);
	if (self < 0)
		return -1;
	if (++p->depth > p->max_depth)
		return jp_fail(p, p->pos, "nesting deeper than %u", p->max_depth);
	p->pos++;
	int32_t last = -1;
	size_t count = 0;
	char close = obj ? '}' : ']';
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return self;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0, kat = p->pos;
		jp_ws(p);
		if (obj) {
			kat = p->pos;
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jp_fail(p, p->pos, "expected '\"' to start an object key");
			if (jp_string(p, &key, &klen))
				return -1;
			if (dup_key(p, p->doc->nodes[self].child_i, key))
				return jp_fail(p, kat, "duplicate key \"%.40s\"", key);
			jp_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return jp_fail(p, p->pos, "expected ':' after object key");
			p->pos++;
		}
		int32_t v = jp_value(p);
		if (v < 0)
			return -1;
		p->doc->nodes[v].key = key;
		if (last < 0) p->doc->nodes[self].child_i = v;
		else p->doc->nodes[last].next_i = v;
		last = v;
		count++;
		jp_ws(p);
		if (p->pos >= p->len)
			return jp_fail(p, p->pos, "unexpected end of input in %s", obj ? "object" : "array");
		unsigned char c = p->s[p->pos];
		if (c == ',') {
			p->pos++;
			jp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == close)
				return jp_fail(p, p->pos, "trailing comma");
			continue;
		}
		if (c == (unsigned char)close) {
			p->pos++;
			break;
		}
		return jp_fail(p, p->pos, "expected ',' or '%c'", close);
	}
	p->doc->nodes[self].len = count;
	p->depth--;
	return self;
}

static int32_t jp_value(struct jp *p)
{
	jp_ws(p);
	if (p->pos >= p->len)
		return jp_fail(p, p->pos, "unexpected end of input, value expected");
	unsigned char c = p->s[p->pos];
	int32_t n;
	switch (c) {
	case '{': return jp_container(p, true);
	case '[': return jp_container(p, false);
	case '"': {
		if ((n = jp_node(p, JSON_STRING)) < 0) return -1;
		const char *s;
		size_t l;
		if (jp_string(p, &s, &l)) return -1;
		p->doc->nodes[n].str = s;
		p->doc->nodes[n].len = l;
		return n;
	}
	case 't': case 'f':
		if ((n = jp_node(p, JSON_BOOL)) < 0) return -1;
		p->doc->nodes[n].bval = c == 't';
		return jp_lit(p, c == 't' ? "true" : "false") ? -1 : n;
	case 'n':
		if ((n = jp_node(p, JSON_NULL)) < 0) return -1;
		return jp_lit(p, "null") ? -1 : n;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((n = jp_node(p, JSON_NUMBER)) < 0) return -1;
			return jp_number(p, &p->doc->nodes[n]) ? -1 : n;
		}
		return jp_fail(p, p->pos, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
	}
}

int json_parse(struct json_doc *doc, const char *text, size_t len,
	       const struct json_limits *lim, struct json_err *err)
{
	memset(doc, 0, sizeof *doc);
	if (err) { err->offset = 0; err->msg[0] = '\0'; }
	struct jp p = { .s = (const unsigned char *)text, .len = len, .doc = doc, .err = err };
	size_t max_size = lim && lim->max_size ? lim->max_size : (1u << 20);
	p.max_depth = lim && lim->max_depth ? lim->max_depth : 32;
	p.max_nodes = lim && lim->max_nodes ? lim->max_nodes : 65536;
	if (len > max_size) {
		jp_fail(&p, max_size, "document larger than %zu bytes", max_size);
		return -1;
	}
	if (len == 0) {
		jp_fail(&p, 0, "empty document");
		return -1;
	}
	doc->strbuf = malloc(len + 1);
	if (!doc->strbuf) {
		jp_fail(&p, 0, "out of memory");
		return -1;
	}
	p.out = doc->strbuf;
	int32_t root = jp_value(&p);
	if (root >= 0) {
		jp_ws(&p);
		if (p.pos != p.len)
			jp_fail(&p, p.pos, "trailing data after the JSON value");
	}
	if (root < 0 || p.failed) {
		json_doc_free(doc);
		return -1;
	}
	for (size_t i = 0; i < doc->nnodes; i++) {
		struct json_node *n = &doc->nodes[i];
		n->child = n->child_i >= 0 ? &doc->nodes[n->child_i] : NULL;
		n->next = n->next_i >= 0 ? &doc->nodes[n->next_i] : NULL;
	}
	return 0;
}

void json_doc_free(struct json_doc *doc)
{
	free(doc->nodes);
	free(doc->strbuf);
	memset(doc, 0, sizeof *doc);
}

const struct json_node *json_root(const struct json_doc *doc)
{
	return doc->nnodes ? &doc->nodes[0] : NULL;
}

bool json_is(const struct json_node *n, enum json_type t)
{
	return n && n->type == t;
}

const char *json_type_name(enum json_type t)
{
	static const char *names[] = { "null", "boolean", "number", "string", "array", "object" };
	return (unsigned)t < 6 ? names[t] : "?";
}

const struct json_node *json_get(const struct json_node *obj, const char *key)
{
	if (!json_is(obj, JSON_OBJECT))
		return NULL;
	for (const struct json_node *c = obj->child; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *json_get_str(const struct json_node *obj, const char *key)
{
	const struct json_node *n = json_get(obj, key);
	return json_is(n, JSON_STRING) ? n->str : NULL;
}

int json_get_int_range(const struct json_node *obj, const char *key, int64_t min,
		       int64_t max, int64_t *out, char *err, size_t errlen)
{
	const struct json_node *n = json_get(obj, key);
	if (!n) {
		snprintf(err, errlen, "'%s' is required", key);
		return -1;
	}
	if (n->type != JSON_NUMBER || !n->is_int) {
		snprintf(err, errlen, "'%s' must be an integer, not %s", key,
			 n->type == JSON_NUMBER ? "a fraction" : json_type_name(n->type));
		return -1;
	}
	if (n->ival < min || n->ival > max) {
		snprintf(err, errlen, "'%s' is %lld, must be between %lld and %lld", key,
			 (long long)n->ival, (long long)min, (long long)max);
		return -1;
	}
	*out = n->ival;
	return 0;
}

int json_check_keys(const struct json_node *obj, const char *const *allowed,
		    char *err, size_t errlen)
{
	if (!json_is(obj, JSON_OBJECT)) {
		snprintf(err, errlen, "expected an object, got %s",
			 obj ? json_type_name(obj->type) : "nothing");
		return -1;
	}
	for (const struct json_node *c = obj->child; c; c = c->next) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, c->key) == 0;
		if (!ok) {
			snprintf(err, errlen, "unknown field '%.60s'", c->key);
			return -1;
		}
	}
	return 0;
}
