/* state.c: the saved-state stream (state.h): writer, reader, and the
 * machine section every stream starts with. */
#include "state.h"
#include "crc32.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "WAFERVMS"
#define SECT "SECT"
#define SEND "SEND"
#define MAX_FIELDS 256

const struct state_desc state_machine_desc = {
	.name = "machine", .version = 1, .min_version = 1,
	.fields = (const struct state_field[]){
		STATE_FIELD(struct state_machine, ST_STR, arch),
		STATE_FIELD(struct state_machine, ST_U32, vcpus),
		STATE_FIELD(struct state_machine, ST_U64, memory_mib),
		STATE_FIELD(struct state_machine, ST_STR, devices),
	},
	.nfields = 4,
};

static unsigned type_width(enum state_type t)
{
	switch (t) {
	case ST_U8: case ST_BOOL: return 1;
	case ST_U16: return 2;
	case ST_U32: return 4;
	case ST_U64: return 8;
	default: return 0;
	}
}

/* ---- writer */

static void w_put(struct state_w *w, const void *data, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			w->oom = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
}

static void w_le(struct state_w *w, uint64_t v, unsigned width)
{
	uint8_t b[8];
	state_put_le(b, v, width);
	w_put(w, b, width);
}

static void w_name(struct state_w *w, const char *name)
{
	size_t n = strlen(name);
	if (n > STATE_NAME_MAX) {
		w->oom = true;   /* a descriptor bug: refuse to write a stream nobody reads */
		return;
	}
	w_le(w, n, 1);
	w_put(w, name, n);
}

/* An integer member of width bytes, as a number. */
static uint64_t member_uint(const uint8_t *m, size_t width)
{
	switch (width) {
	case 1: { uint8_t v; memcpy(&v, m, 1); return v; }
	case 2: { uint16_t v; memcpy(&v, m, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, m, 4); return v; }
	default: { uint64_t v; memcpy(&v, m, 8); return v; }
	}
}

static void member_set_uint(uint8_t *m, size_t width, uint64_t x)
{
	switch (width) {
	case 1: { uint8_t v = (uint8_t)x; memcpy(m, &v, 1); break; }
	case 2: { uint16_t v = (uint16_t)x; memcpy(m, &v, 2); break; }
	case 4: { uint32_t v = (uint32_t)x; memcpy(m, &v, 4); break; }
	default: memcpy(m, &x, 8); break;
	}
}

static void w_field(struct state_w *w, const struct state_field *f, const uint8_t *obj)
{
	const uint8_t *m = obj + f->offset;
	unsigned width = type_width(f->type);
	w_le(w, (uint64_t)f->type, 1);
	w_name(w, f->name);
	if (f->type == ST_BOOL) {
		bool v;
		memcpy(&v, m, sizeof v);
		w_le(w, 1, 4);
		w_le(w, v ? 1 : 0, 1);
	} else if (width) {
		if (f->size != width) {
			w->oom = true;   /* descriptor and member disagree */
			return;
		}
		w_le(w, width, 4);
		w_le(w, member_uint(m, width), width);
	} else if (f->type == ST_BYTES) {
		w_le(w, f->size, 4);
		w_put(w, m, f->size);
	} else { /* ST_STR */
		size_t n = strnlen((const char *)m, f->size);
		if (n == f->size) {
			w->oom = true;   /* not NUL-terminated */
			return;
		}
		w_le(w, n, 4);
		w_put(w, m, n);
	}
}

void state_w_section(struct state_w *w, const struct state_desc *d, uint32_t instance, const void *obj)
{
	w_put(w, SECT, 4);
	w_name(w, d->name);
	w_le(w, instance, 4);
	w_le(w, d->version, 4);
	size_t at = w->len;
	w_le(w, 0, 4);
	for (size_t i = 0; i < d->nfields; i++)
		w_field(w, &d->fields[i], obj);
	if (!w->oom) {
		uint64_t n = w->len - at - 4;
		for (unsigned i = 0; i < 4; i++)
			w->buf[at + i] = (uint8_t)(n >> (8 * i));
	}
}

void state_w_init(struct state_w *w, const struct state_machine *m)
{
	memset(w, 0, sizeof *w);
	w_put(w, MAGIC, 8);
	w_le(w, STATE_FORMAT, 4);
	state_w_section(w, &state_machine_desc, 0, m);
}

int state_w_finish(struct state_w *w)
{
	uint32_t crc = w->oom ? 0 : crc32_ieee(w->buf, w->len);
	w_put(w, SEND, 4);
	w_le(w, crc, 4);
	return w->oom ? -1 : 0;
}

void state_w_free(struct state_w *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

/* ---- reader */

static int r_fail(struct state_r *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int r_fail(struct state_r *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A cursor over [p, end): every read is bounds-checked. */
struct cur {
	const uint8_t *p;
	size_t pos, end;
};

static bool c_take(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->end - c->pos < n)
		return false;
	*out = c->p + c->pos;
	c->pos += n;
	return true;
}

static bool c_le(struct cur *c, unsigned width, uint64_t *v)
{
	const uint8_t *b;
	if (!c_take(c, width, &b))
		return false;
	*v = state_get_le(b, width);
	return true;
}

static bool c_name(struct cur *c, char out[STATE_NAME_MAX + 1])
{
	uint64_t n;
	const uint8_t *b;
	if (!c_le(c, 1, &n) || n == 0 || n > STATE_NAME_MAX || !c_take(c, (size_t)n, &b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x21 || b[i] > 0x7e)
			return false;
	memcpy(out, b, (size_t)n);
	out[n] = '\0';
	return true;
}

struct sect {
	char name[STATE_NAME_MAX + 1];
	uint32_t instance, version;
	size_t payload, payload_len, next;
};

/* The section header at r->pos. */
static int r_sect(struct state_r *r, struct sect *s)
{
	struct cur c = { r->p, r->pos, r->len };
	const uint8_t *m;
	uint64_t inst, ver, plen;
	if (!c_take(&c, 4, &m) || memcmp(m, SECT, 4))
		return r_fail(r, "offset %zu: not a section header", r->pos);
	if (!c_name(&c, s->name) || !c_le(&c, 4, &inst) || !c_le(&c, 4, &ver) || !c_le(&c, 4, &plen))
		return r_fail(r, "offset %zu: section header truncated or malformed", r->pos);
	if (plen > c.end - c.pos)
		return r_fail(r, "section '%s': %llu payload bytes, %zu left in the stream", s->name,
			      (unsigned long long)plen, c.end - c.pos);
	s->instance = (uint32_t)inst;
	s->version = (uint32_t)ver;
	s->payload = c.pos;
	s->payload_len = (size_t)plen;
	s->next = c.pos + (size_t)plen;
	return 0;
}

/* Walk the payload's fields: check them against d (pass 1, obj NULL) or
 * store them into obj (pass 2, after pass 1 succeeded). */
static int r_fields(struct state_r *r, const struct state_desc *d, const struct sect *s, uint8_t *obj)
{
	bool seen[MAX_FIELDS] = { false };
	struct cur c = { r->p, s->payload, s->next };
	if (d->nfields > MAX_FIELDS)
		return r_fail(r, "section '%s': too many fields in its description", d->name);
	while (c.pos < c.end) {
		uint64_t type, len;
		char name[STATE_NAME_MAX + 1];
		const uint8_t *v;
		if (!c_le(&c, 1, &type) || !c_name(&c, name) || !c_le(&c, 4, &len) || !c_take(&c, (size_t)len, &v))
			return r_fail(r, "section '%s': field at offset %zu truncated or malformed", s->name, c.pos);
		size_t i = 0;
		while (i < d->nfields && strcmp(d->fields[i].name, name))
			i++;
		if (i == d->nfields)
			return r_fail(r, "section '%s' v%u: unknown field '%s'", s->name, s->version, name);
		const struct state_field *f = &d->fields[i];
		if (seen[i])
			return r_fail(r, "section '%s': field '%s' twice", s->name, name);
		seen[i] = true;
		unsigned width = type_width(f->type);
		if (type != (uint64_t)f->type)
			return r_fail(r, "section '%s': field '%s' has type %llu, expected %d", s->name, name,
				      (unsigned long long)type, (int)f->type);
		if (f->type == ST_BOOL) {
			if (len != 1 || v[0] > 1)
				return r_fail(r, "section '%s': field '%s' is not a boolean", s->name, name);
		} else if (width) {
			if (len != width || f->size != width)
				return r_fail(r, "section '%s': field '%s' is %llu bytes, expected %u", s->name, name,
					      (unsigned long long)len, width);
		} else if (f->type == ST_BYTES) {
			if (len != f->size)
				return r_fail(r, "section '%s': field '%s' is %llu bytes, expected %zu", s->name, name,
					      (unsigned long long)len, f->size);
		} else {
			if (len >= f->size || memchr(v, 0, (size_t)len))
				return r_fail(r, "section '%s': field '%s' is not a string of at most %zu bytes",
					      s->name, name, f->size - 1);
		}
		if (!obj)
			continue;
		uint8_t *m = obj + f->offset;
		if (f->type == ST_BOOL) {
			bool b = v[0] != 0;
			memcpy(m, &b, sizeof b);
		} else if (width) {
			member_set_uint(m, width, state_get_le(v, width));
		} else if (f->type == ST_BYTES) {
			memcpy(m, v, f->size);
		} else {
			memcpy(m, v, (size_t)len);
			m[len] = '\0';
		}
	}
	for (size_t i = 0; i < d->nfields; i++)
		if (!seen[i] && s->version >= d->fields[i].since)
			return r_fail(r, "section '%s' v%u: field '%s' missing", s->name, s->version,
				      d->fields[i].name);
	return 0;
}

int state_r_section(struct state_r *r, const struct state_desc *d, uint32_t instance, void *obj)
{
	struct sect s;
	if (r->pos >= r->len)
		return r_fail(r, "section '%s' %u missing: the stream ends", d->name, instance);
	if (r_sect(r, &s))
		return -1;
	if (strcmp(s.name, d->name) || s.instance != instance)
		return r_fail(r, "offset %zu: expected section '%s' %u, found '%s' %u", r->pos, d->name, instance,
			      s.name, s.instance);
	if (s.version < d->min_version || s.version > d->version)
		return r_fail(r, "section '%s' version %u: this wafer-vmm reads versions %u to %u", s.name,
			      s.version, d->min_version, d->version);
	if (r_fields(r, d, &s, NULL) || r_fields(r, d, &s, obj))
		return -1;
	r->pos = s.next;
	return 0;
}

int state_r_open(struct state_r *r, const void *data, size_t len, struct state_machine *m)
{
	memset(r, 0, sizeof *r);
	r->p = data;
	if (len < 8 + 4 + 8 || memcmp(data, MAGIC, 8))
		return r_fail(r, "not a wafer-vmm saved state (no WAFERVMS header)");
	uint32_t format = (uint32_t)state_get_le(r->p + 8, 4);
	if (format != STATE_FORMAT)
		return r_fail(r, "stream format %u: this wafer-vmm reads format %u", format, STATE_FORMAT);
	if (memcmp(r->p + len - 8, SEND, 4))
		return r_fail(r, "truncated: the stream does not end with its checksum");
	uint32_t want = (uint32_t)state_get_le(r->p + len - 4, 4), got = crc32_ieee(data, len - 8);
	if (want != got)
		return r_fail(r, "damaged: checksum %08x, the stream says %08x", got, want);
	r->len = len - 8;
	r->pos = 12;
	struct state_machine tmp;
	memset(&tmp, 0, sizeof tmp);
	if (state_r_section(r, &state_machine_desc, 0, &tmp))
		return -1;
	*m = tmp;
	return 0;
}

int state_r_machine_check(struct state_r *r, const struct state_machine *s, const struct state_machine *c)
{
	if (strcmp(s->arch, c->arch))
		return r_fail(r, "saved on %s, this VMM runs %s", s->arch, c->arch);
	if (s->vcpus != c->vcpus)
		return r_fail(r, "saved with %u vCPUs, this VM has %u", s->vcpus, c->vcpus);
	if (s->memory_mib != c->memory_mib)
		return r_fail(r, "saved with %llu MiB, this VM has %llu MiB", (unsigned long long)s->memory_mib,
			      (unsigned long long)c->memory_mib);
	if (strcmp(s->devices, c->devices))
		return r_fail(r, "saved with devices '%.60s', this VM has '%.60s'", s->devices, c->devices);
	return 0;
}

bool state_r_peek(const struct state_r *r, char name[STATE_NAME_MAX + 1])
{
	struct cur c = { r->p, r->pos, r->len };
	const uint8_t *m;
	return r->pos < r->len && c_take(&c, 4, &m) && !memcmp(m, SECT, 4) && c_name(&c, name);
}

int state_r_close(struct state_r *r)
{
	char name[STATE_NAME_MAX + 1];
	if (r->pos == r->len)
		return 0;
	if (state_r_peek(r, name))
		return r_fail(r, "section '%s' at offset %zu: no device of this VM reads it", name, r->pos);
	return r_fail(r, "offset %zu: %zu bytes after the last section", r->pos, r->len - r->pos);
}
