/* api.c: request dispatch (routing, role check, body limits) and the reply
 * helpers every handler uses. */
#include "api.h"
#include "conn_pool.h"
#include "agent.h"
#include "wlog.h"

#include <time.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void count_status(int status)
{
	int k = status / 100;
	if (k >= 1 && k <= 5)
		__atomic_add_fetch(&agent_stats.responses[k], 1, __ATOMIC_RELAXED);
}

void api_reply(struct api_ctx *x, int status, const char *ctype, const void *body,
	       size_t len, const char *extra)
{
	char head[1024];
	if (x->status)
		return;
	x->status = status;
	count_status(status);
	if (!x->body_done && (x->req->chunked || x->body_left > 65536))
		x->keep_alive = false;
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nServer: wafer-agent\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nCache-Control: no-store\r\n%s%s\r\n",
			 status, http_status_text(status), ctype, len, extra ? extra : "",
			 x->keep_alive ? "" : "Connection: close\r\n");
	if (n < 0 || (size_t)n >= sizeof head) {
		x->c->broken = true;
		return;
	}
	if (conn_write_all(x->c, head, (size_t)n) == 0 && len &&
	    strcmp(x->req->method, "HEAD") != 0)
		conn_write_all(x->c, body, len);
}

void api_reply_json(struct api_ctx *x, int status, const char *json, size_t len)
{
	api_reply(x, status, "application/json", json, len, NULL);
}

void api_reply_w(struct api_ctx *x, int status, struct json_w *w)
{
	size_t len;
	char *s = json_w_finish(w, &len);
	if (!s) {
		api_error(x, 500, "internal", "out of memory while writing the response");
		return;
	}
	/* JSON bodies end with a newline: friendlier for curl */
	char *t = realloc(s, len + 2);
	if (t) {
		s = t;
		s[len++] = '\n';
		s[len] = '\0';
	}
	api_reply_json(x, status, s, len);
	free(s);
}

void api_error(struct api_ctx *x, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "error");
	json_w_obj_begin(&w);
	json_w_kstr(&w, "code", code);
	json_w_kstr(&w, "message", msg);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	if (status >= 500)
		wlog(WLOG_WARN, "api", "%s %s from %s: %d %s", x->req->method, x->req->path,
		     x->c->peer, status, msg);
	char extra[160] = "";
	if (status == 405 && x->m && x->m->allow[0])
		snprintf(extra, sizeof extra, "Allow: %s\r\n", x->m->allow);
	else if (status == 429 && x->retry_after_s > 0)
		snprintf(extra, sizeof extra, "Retry-After: %d\r\n", x->retry_after_s);
	if (extra[0]) {
		size_t len;
		char *s = json_w_finish(&w, &len);
		api_reply(x, status, "application/json", s ? s : "", s ? len : 0, extra);
		free(s);
		return;
	}
	api_reply_w(x, status, &w);
}

int api_stream_begin(struct api_ctx *x, int status, const char *ctype, const char *extra)
{
	char head[768];
	if (x->status)
		return -1;
	x->status = status;
	x->streaming = true;
	count_status(status);
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nServer: wafer-agent\r\nContent-Type: %s\r\n"
			 "Transfer-Encoding: chunked\r\nCache-Control: no-store\r\n%s\r\n",
			 status, http_status_text(status), ctype, extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof head)
		return -1;
	return conn_write_all(x->c, head, (size_t)n);
}

int api_stream_write(struct api_ctx *x, const void *data, size_t len)
{
	char h[24];
	if (!len)
		return 0;
	int n = snprintf(h, sizeof h, "%zx\r\n", len);
	if (conn_write_all(x->c, h, (size_t)n) || conn_write_all(x->c, data, len) ||
	    conn_write_all(x->c, "\r\n", 2))
		return -1;
	return 0;
}

void api_stream_end(struct api_ctx *x)
{
	conn_write_all(x->c, "0\r\n\r\n", 5);
	x->streaming = false;
}

bool api_query_bool(struct api_ctx *x, const char *name)
{
	char v[16];
	if (http_query_param(x->req, name, v, sizeof v) != 1)
		return false;
	return !*v || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes");
}

int api_body_read(struct api_ctx *x, void *buf, size_t len)
{
	if (x->body_done || len == 0)
		return 0;
	if (!x->req->chunked) {
		if (x->body_left == 0) {
			x->body_done = true;
			return 0;
		}
		if (len > x->body_left)
			len = (size_t)x->body_left;
		int r = conn_read(x->c, buf, len);
		if (r <= 0) {
			x->c->broken = true;
			api_error(x, 408, "timeout", "request body incomplete (%llu bytes missing)",
				  (unsigned long long)x->body_left);
			return -1;
		}
		x->body_left -= (uint64_t)r;
		return r;
	}
	for (;;) {
		int r = conn_read(x->c, buf, len);
		if (r <= 0) {
			x->c->broken = true;
			api_error(x, 408, "timeout", "chunked request body incomplete");
			return -1;
		}
		size_t used, out;
		struct http_error e;
		int st = http_chunked_feed(&x->chunk, buf, (size_t)r, &used, &out, &e);
		if (st < 0) {
			x->c->broken = true;
			api_error(x, e.status, "bad_request", "%s", e.msg);
			return -1;
		}
		/* bytes after a chunked body (a pipelined request) are not kept:
		 * the connection closes after this response instead */
		if ((size_t)r > used)
			x->keep_alive = false;
		if (st == 1)
			x->body_done = true;
		if (out || x->body_done)
			return (int)out;
	}
}

int api_body_all(struct api_ctx *x, char **out, size_t *len)
{
	uint64_t max = x->m && x->m->route ? x->m->route->max_body : 0;
	if (max == ROUTE_STREAM_BODY)
		max = 1 << 20;
	*out = NULL;
	if (!x->req->chunked && x->req->content_length > max) {
		x->keep_alive = false;
		api_error(x, 413, "too_large", "request body of %llu bytes exceeds the limit of %llu",
			  (unsigned long long)x->req->content_length, (unsigned long long)max);
		return -1;
	}
	size_t cap = 1024, n = 0;
	char *b = malloc(cap + 1);
	if (!b) {
		api_error(x, 500, "internal", "out of memory");
		return -1;
	}
	for (;;) {
		if (n == cap) {
			char *nb = cap * 2 <= max + 1024 ? realloc(b, cap * 2 + 1) : NULL;
			if (!nb) {
				free(b);
				x->keep_alive = false;
				api_error(x, 413, "too_large", "request body exceeds the limit of %llu bytes",
					  (unsigned long long)max);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		int r = api_body_read(x, b + n, cap - n);
		if (r < 0) {
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(b);
			x->keep_alive = false;
			api_error(x, 413, "too_large", "request body exceeds the limit of %llu bytes",
				  (unsigned long long)max);
			return -1;
		}
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

int api_body_json(struct api_ctx *x, struct json_doc *doc)
{
	char *body;
	size_t len;
	struct json_err e;
	if (api_body_all(x, &body, &len))
		return -1;
	if (len == 0) {
		free(body);
		api_error(x, 400, "bad_request", "a JSON request body is required");
		return -1;
	}
	struct json_limits lim = { .max_size = len, .max_depth = 16, .max_nodes = 4096 };
	int rc = json_parse(doc, body, len, &lim, &e);
	free(body);
	if (rc) {
		api_error(x, 400, "bad_json", "invalid JSON body: %s", e.msg);
		return -1;
	}
	return 0;
}

bool api_body_drain(struct api_ctx *x)
{
	char tmp[4096];
	uint64_t total = 0;
	while (!x->body_done) {
		if (x->req->chunked ? total > (64u << 10) : x->body_left > (64u << 10))
			return false;
		int r = api_body_read(x, tmp, sizeof tmp);
		if (r < 0)
			return false;
		if (r == 0)
			break;
		total += (uint64_t)r;
	}
	return true;
}


void api_body_discard(struct api_ctx *x, int max_s)
{
	static char sink[65536];   /* never read: one for all the threads */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	x->keep_alive = false;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > max_s || api_body_read(x, sink, sizeof sink) <= 0)
			break;
	}
}

void api_dispatch(struct conn *c, struct http_request *req, bool *keep_alive)
{
	struct route_match m;
	struct api_ctx x = { .c = c, .req = req, .m = &m, .keep_alive = req->keep_alive };
	x.body_left = req->content_length;
	x.body_done = !req->chunked && req->content_length == 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__atomic_add_fetch(&agent_stats.requests_total, 1, __ATOMIC_RELAXED);
	int st = router_match(api_routes, api_nroutes, req->method, req->path, &m);
	const struct route *rt = m.route;
	if (st == 404)
		api_error(&x, 404, "not_found", "%s: %s", req->path, m.msg);
	else if (st == 405)
		api_error(&x, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
			  req->method, req->path, m.allow);
	else if (st == 400)
		api_error(&x, 400, "bad_request", "%s", m.msg);
	else if (rt->role != ROLE_NONE && !c->verified)
		api_error(&x, 401, "unauthorized", "a client certificate from a trusted CA is required");
	else if (rt->role > c->role)
		api_error(&x, 403, "forbidden", "%s %s needs the %s role; certificate '%s' has %s",
			  req->method, req->path, rt->role == ROLE_ADMIN ? "admin" : "reader", c->cn,
			  c->role == ROLE_ADMIN ? "admin" : c->role == ROLE_READER ? "reader" : "no role");
	else if (rt->max_body == 0 && (req->chunked || req->content_length))
		api_error(&x, 413, "too_large", "%s %s takes no request body", req->method, req->path);
	else if (rt->max_body != ROUTE_STREAM_BODY && !req->chunked && req->content_length > rt->max_body)
		api_error(&x, 413, "too_large", "request body of %llu bytes exceeds the limit of %llu for %s",
			  (unsigned long long)req->content_length, (unsigned long long)rt->max_body, req->path);
	else if (rt->body_required && !req->chunked && !req->has_length)
		api_error(&x, 411, "length_required", "Content-Length or chunked encoding is required");
	else
		rt->fn(&x);
	if (!x.status)
		api_error(&x, 500, "internal", "handler sent no response");
	if (x.streaming)
		api_stream_end(&x);
	if (c->holds_stream)
		pool_stream_release(c);
	if (!x.body_done && !api_body_drain(&x))
		x.keep_alive = false;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (x.status >= 400 || rt == NULL || x.status < 200)
		wlog(WLOG_DEBUG, "api", "%s %s %s -> %d in %ld ms", c->peer, req->method, req->path, x.status, ms);
	else
		wlog(WLOG_INFO, "api", "%s %s %s %s -> %d in %ld ms", c->peer, c->cn, req->method, req->path,
		     x.status, ms);
	*keep_alive = x.keep_alive && !c->broken && x.status != 101;
}
