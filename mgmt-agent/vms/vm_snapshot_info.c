/* vm_snapshot_info.c: a snapshot's record to and from JSON
 * (vm_snapshot_info.h). The file lives on the datastore: what it holds is
 * checked as any outside input (tests/fuzz/fuzz_snapshot.c). */
#include "vm_snapshot_info.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vm_snap_info_write(struct json_w *w, const struct vm_snap_info *s, const struct vm_spec *spec)
{
	json_w_obj_begin(w);
	json_w_kstr(w, "name", s->name);
	json_w_kuint(w, "created_ms", s->created_ms);
	json_w_kstr(w, "vm_state", s->vm_state);
	json_w_kbool(w, "memory", s->memory);
	json_w_kuint(w, "disk_bytes", s->disk_bytes);
	json_w_kuint(w, "memory_bytes", s->memory_bytes);
	json_w_kuint(w, "size_bytes", s->size_bytes);
	json_w_kuint(w, "pause_ms", s->pause_ms);
	json_w_kuint(w, "duration_ms", s->duration_ms);
	if (spec) {
		json_w_kuint(w, "disk_files", s->disk_files);
		json_w_key(w, "spec");
		vm_spec_write(w, spec);
	}
	json_w_obj_end(w);
}

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int get_u64(const struct json_node *o, const char *k, uint64_t *out, char *err, size_t errlen)
{
	const struct json_node *n = json_get(o, k);
	if (!n || !n->is_int || n->ival < 0)
		return bad(err, errlen, "'%s' is missing or not a number of 0 or more", k);
	*out = (uint64_t)n->ival;
	return 0;
}

int vm_snap_info_parse(const char *text, size_t len, const struct vm_limits *lim, struct vm_snap_info *s,
		       struct vm_spec *spec, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "created_ms", "vm_state", "memory", "disk_bytes", "memory_bytes",
					    "size_bytes", "pause_ms", "duration_ms", "disk_files", "spec", NULL };
	static const char *const states[] = { "stopped", "running", "paused", "crashed", "suspended", NULL };
	struct json_doc d;
	struct json_err je;
	char e2[200];
	memset(s, 0, sizeof *s);
	if (json_parse(&d, text, len, NULL, &je))
		return bad(err, errlen, "%s", je.msg);
	const struct json_node *o = json_root(&d);
	int rc = -1;
	uint64_t files = 0;
	const char *name = json_get_str(o, "name"), *st = json_get_str(o, "vm_state");
	const struct json_node *m = json_get(o, "memory");
	struct vm_spec sp;
	bool known = false;
	for (const char *const *k = states; st && *k; k++)
		known = known || !strcmp(st, *k);
	if (!json_is(o, JSON_OBJECT))
		bad(err, errlen, "not a JSON object");
	else if (json_check_keys(o, keys, e2, sizeof e2))
		bad(err, errlen, "%s", e2);
	else if (!name || !*name || strlen(name) > WAFER_NAME_MAX)
		bad(err, errlen, "'name' is missing or not a name");
	else if (!known)
		bad(err, errlen, "'vm_state' is missing or not a state a snapshot is taken in");
	else if (!json_is(m, JSON_BOOL))
		bad(err, errlen, "'memory' is missing or not true or false");
	else if (get_u64(o, "created_ms", &s->created_ms, err, errlen) ||
		 get_u64(o, "disk_bytes", &s->disk_bytes, err, errlen) ||
		 get_u64(o, "memory_bytes", &s->memory_bytes, err, errlen) ||
		 get_u64(o, "size_bytes", &s->size_bytes, err, errlen) ||
		 get_u64(o, "pause_ms", &s->pause_ms, err, errlen) ||
		 get_u64(o, "duration_ms", &s->duration_ms, err, errlen) ||
		 get_u64(o, "disk_files", &files, err, errlen))
		;
	else if (vm_spec_parse(json_get(o, "spec"), NULL, NULL, &sp, e2, sizeof e2))
		bad(err, errlen, "'spec': %s", e2);
	else if (files >> sp.ndisks)
		bad(err, errlen, "'disk_files' names disks beyond the definition's %d", sp.ndisks);
	else if (spec && vm_spec_parse(json_get(o, "spec"), NULL, lim, spec, e2, sizeof e2)) {
		bad(err, errlen, "%s", e2);
		rc = -2;
	} else {
		rc = 0;
	}
	if (rc == 0) {
		snprintf(s->name, sizeof s->name, "%s", name);
		snprintf(s->vm_state, sizeof s->vm_state, "%s", st);
		s->memory = m->bval;
		s->disk_files = (uint32_t)files;
		s->disks = sp.ndisks;
	}
	json_doc_free(&d);
	return rc;
}
