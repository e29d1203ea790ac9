/* json.h: the project's one JSON reader and writer.
 * Reader: strict RFC 8259 (no comments, no trailing commas, no duplicate keys,
 * valid UTF-8, no NUL in strings) with limits on size, depth and node count; on
 * error it reports the byte offset and a precise message. The parsed document is
 * a read-only tree; strings are NUL-terminated and decoded.
 * Writer: a growable buffer with automatic commas and string escaping. */
#ifndef WAFER_JSON_H
#define WAFER_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_node {
	enum json_type type;
	const char *key;          /* member name when inside an object, else NULL */
	const char *str;          /* JSON_STRING: decoded, NUL-terminated */
	size_t len;               /* string length; element count for arrays/objects */
	double num;               /* JSON_NUMBER */
	int64_t ival;             /* JSON_NUMBER when is_int */
	bool is_int;              /* number written as an integer that fits int64 */
	bool bval;                /* JSON_BOOL */
	size_t offset;            /* byte offset of the value in the input */
	const struct json_node *child; /* first element/member */
	const struct json_node *next;  /* next sibling */
	int32_t child_i, next_i;  /* internal (parse time) */
};

struct json_limits {
	size_t max_size;   /* input bytes (0: 1 MiB) */
	unsigned max_depth;/* nesting (0: 32) */
	size_t max_nodes;  /* values (0: 65536) */
};

struct json_err {
	size_t offset;     /* byte offset where the problem was found */
	char msg[160];     /* "offset 12: expected ':' after object key" */
};

struct json_doc {
	struct json_node *nodes;
	size_t nnodes, cap;
	char *strbuf;      /* decoded strings */
};

/* Parse text[0..len). Returns 0, or -1 with err filled (err may be NULL).
 * lim may be NULL for the defaults. */
int json_parse(struct json_doc *doc, const char *text, size_t len,
	       const struct json_limits *lim, struct json_err *err);
void json_doc_free(struct json_doc *doc);
const struct json_node *json_root(const struct json_doc *doc);

/* Accessors; all accept NULL and return NULL/false for a wrong type. */
const struct json_node *json_get(const struct json_node *obj, const char *key);
const char *json_get_str(const struct json_node *obj, const char *key);
bool json_is(const struct json_node *n, enum json_type t);
const char *json_type_name(enum json_type t);
/* Integer in [min,max]: returns 0, or -1 with a message in err ("'vcpus' must be..."). */
int json_get_int_range(const struct json_node *obj, const char *key, int64_t min,
		       int64_t max, int64_t *out, char *err, size_t errlen);
/* Rejects members not in allowed (NULL-terminated). Returns 0, or -1 and names
 * the first unknown member in err. */
int json_check_keys(const struct json_node *obj, const char *const *allowed,
		    char *err, size_t errlen);

/* Writer */
#define JSON_W_MAXDEPTH 64
struct json_w {
	char *buf;
	size_t len, cap;
	bool oom;              /* allocation failed or misuse; json_w_finish returns NULL */
	int depth;
	bool need_comma[JSON_W_MAXDEPTH];
	bool after_key;
};
void json_w_init(struct json_w *w);
void json_w_obj_begin(struct json_w *w);
void json_w_obj_end(struct json_w *w);
void json_w_arr_begin(struct json_w *w);
void json_w_arr_end(struct json_w *w);
void json_w_key(struct json_w *w, const char *key);
void json_w_str(struct json_w *w, const char *s);
void json_w_strn(struct json_w *w, const char *s, size_t n);
void json_w_int(struct json_w *w, int64_t v);
void json_w_uint(struct json_w *w, uint64_t v);
void json_w_double(struct json_w *w, double v);
void json_w_bool(struct json_w *w, bool v);
void json_w_null(struct json_w *w);
/* Insert already-serialized JSON as one value (caller guarantees validity). */
void json_w_raw(struct json_w *w, const char *json, size_t n);
/* key + value shortcuts */
void json_w_kstr(struct json_w *w, const char *key, const char *s);
void json_w_kint(struct json_w *w, const char *key, int64_t v);
void json_w_kuint(struct json_w *w, const char *key, uint64_t v);
void json_w_kbool(struct json_w *w, const char *key, bool v);
void json_w_kdouble(struct json_w *w, const char *key, double v);
/* Returns the NUL-terminated text (caller frees) and its length, or NULL on
 * allocation failure/unbalanced nesting. The writer is reset either way. */
char *json_w_finish(struct json_w *w, size_t *len);
void json_w_free(struct json_w *w);
/* Append s as a quoted JSON string to a caller buffer; returns bytes needed
 * (excluding NUL), like snprintf. */
size_t json_escape(char *out, size_t outlen, const char *s, size_t n);

#endif
