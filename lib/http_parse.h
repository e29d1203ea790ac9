/* http_parse.h: the HTTP/1.1 request-head parser and the chunked body decoder.
 * Strict: CRLF line endings, no obs-fold, token header names, one
 * Content-Length, no Content-Length together with Transfer-Encoding, only the
 * "chunked" transfer coding. Errors carry the HTTP status to answer with. */
#ifndef WAFER_HTTP_PARSE_H
#define WAFER_HTTP_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 40
#define HTTP_MAX_TARGET 2048

struct http_header { const char *name, *value; };

struct http_request {
	char method[16];
	char path[HTTP_MAX_TARGET];   /* percent-decoded path (no NUL bytes) */
	char query[HTTP_MAX_TARGET];  /* raw query string without '?' */
	int minor;                    /* HTTP/1.<minor> */
	struct http_header hdr[HTTP_MAX_HEADERS];
	int nhdr;
	bool chunked, has_length, keep_alive, upgrade_websocket;
	uint64_t content_length;
	size_t head_len;              /* bytes of the head including the blank line */
};

enum { HTTP_PARSE_INCOMPLETE = 0, HTTP_PARSE_DONE = 1, HTTP_PARSE_ERROR = -1 };

struct http_error { int status; char msg[128]; };

/* Parse the head at buf[0..len). buf is modified (header lines get NULs) only
 * when the head is complete; hdr pointers point into buf. max_head bounds the
 * head: more than that without a blank line is an error (431). */
int http_parse_request(char *buf, size_t len, size_t max_head,
		       struct http_request *req, struct http_error *err);
/* Case-insensitive header lookup; NULL if absent. */
const char *http_header(const struct http_request *req, const char *name);
/* Query parameter lookup into out (percent-decoded); returns 1 if present. */
int http_query_param(const struct http_request *req, const char *name, char *out, size_t outlen);
/* Decode %XX in-place semantics into out; returns -1 on bad escape or %00. */
int http_pct_decode(const char *in, size_t n, char *out, size_t outlen);

/* Chunked decoder. */
struct http_chunked {
	int state;
	uint64_t remaining;   /* bytes left in the current chunk */
	unsigned digits, linelen;
	bool done;
};
/* Feed in[0..inlen): decoded body bytes are moved to the front of in (in
 * place, never longer than the input) and their count is returned in *out_n;
 * *consumed is how many input bytes were used (the rest belongs to the next
 * request). Returns 0, 1 when the body is complete, -1 on malformed input. */
int http_chunked_feed(struct http_chunked *c, char *in, size_t inlen, size_t *consumed,
		      size_t *out_n, struct http_error *err);
const char *http_status_text(int status);
#endif
