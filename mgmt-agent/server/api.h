/* api.h: what a request handler gets: the connection, the parsed request, the
 * route match and the caller's role, plus helpers to read the body and to
 * answer (JSON, JSON errors, streamed chunked responses, raw upgrade). */
#ifndef WAFER_API_H
#define WAFER_API_H
#include "http_parse.h"
#include "json.h"
#include "router.h"

#include <mbedtls/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#define CONN_BUF 16384

struct tls_ctx;

struct conn {
	int fd;
	mbedtls_ssl_context ssl;
	struct tls_ctx *tls;
	char peer[64];             /* "ip:port" */
	char ip[48];
	uint64_t deadline_ms;      /* absolute: reads/writes fail after it (0: none) */
	int io_ms;                 /* per-operation inactivity limit (0: none) */
	char buf[CONN_BUF];        /* received, not yet consumed bytes */
	size_t blen, bpos;
	enum role role;            /* from the verified client certificate */
	bool verified;             /* a client certificate chained to the trust store */
	char cn[64];               /* client certificate common name */
	bool broken;               /* I/O failed: close after this request */
	char fp[96];               /* client certificate fingerprint ("" anonymous) */
	uint64_t accepted_ms;      /* conn_pool.c: */
	enum { POOL_NONE, POOL_UNAUTH, POOL_EVICTED, POOL_AUTH } pool_state;
	bool holds_stream;         /* a follow stream counted against the certificate */
};

struct api_ctx {
	struct conn *c;
	struct http_request *req;
	struct route_match *m;
	int status;                /* status sent (0: none yet) */
	bool keep_alive;
	/* body state */
	uint64_t body_left;        /* Content-Length bytes still unread */
	struct http_chunked chunk;
	bool body_done;
	bool streaming;            /* chunked response in progress */
	int retry_after_s;         /* a 429 from api_error() says Retry-After: this */
};

/* Connection I/O honouring deadline_ms and io_ms. Returns bytes (>0), 0 on
 * orderly close, or -1 (timeout, TLS error, reset). */
int conn_read(struct conn *c, void *buf, size_t len);
int conn_write_all(struct conn *c, const void *buf, size_t len);
/* True when buffered or TLS-decrypted bytes are waiting. */
bool conn_pending(struct conn *c);

/* Body: returns bytes (>0), 0 at the end, -1 on error (an error response was
 * sent if none had been). */
int api_body_read(struct api_ctx *x, void *buf, size_t len);
/* Read the whole body (limit: the route's max_body) into a malloc'd,
 * NUL-terminated buffer. Returns 0 or -1 (error already answered). */
int api_body_all(struct api_ctx *x, char **out, size_t *len);
/* Parse the body as a JSON document (strict); -1: error already answered. */
int api_body_json(struct api_ctx *x, struct json_doc *doc);
/* Discard the rest of the body (bounded); false if that was not possible. */
bool api_body_drain(struct api_ctx *x);
/* After an answer that refused a streamed body early: read and drop the
 * rest for up to max_s seconds and close the connection afterwards, so
 * that closing it with unread bytes does not reset it before the client
 * has read the answer. */
void api_body_discard(struct api_ctx *x, int max_s);

void api_reply(struct api_ctx *x, int status, const char *ctype, const void *body,
	       size_t len, const char *extra_headers);
void api_reply_json(struct api_ctx *x, int status, const char *json, size_t len);
/* Finishes the writer and sends it (500 if the writer failed). */
void api_reply_w(struct api_ctx *x, int status, struct json_w *w);
void api_error(struct api_ctx *x, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Streaming: chunked response; write returns -1 once the client is gone. */
int api_stream_begin(struct api_ctx *x, int status, const char *ctype, const char *extra_headers);
int api_stream_write(struct api_ctx *x, const void *data, size_t len);
void api_stream_end(struct api_ctx *x);
/* Query parameter "follow" etc. as boolean: 1/true/yes → true. */
bool api_query_bool(struct api_ctx *x, const char *name);

void api_dispatch(struct conn *c, struct http_request *req, bool *keep_alive);
#endif
