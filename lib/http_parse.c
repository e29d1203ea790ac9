/* http_parse.c: HTTP/1.1 request-head parsing and chunked decoding (see
 * http_parse.h). No allocation; everything is bounded by the caller's buffer. */
#include "http_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(struct http_error *e, int status, const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return HTTP_PARSE_ERROR;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int http_pct_decode(const char *in, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)in[i + 1]);
			l = hexval((unsigned char)in[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen)
		out[o] = '\0';
	return (int)o;
}

static int parse_target(const char *t, size_t n, struct http_request *r, struct http_error *e)
{
	if (n == 0 || t[0] != '/')
		return fail(e, 400, "request target must be an absolute path");
	if (n >= HTTP_MAX_TARGET)
		return fail(e, 414, "request target longer than %d bytes", HTTP_MAX_TARGET - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f || t[i] == '#')
			return fail(e, 400, "invalid character in request target");
	const char *q = memchr(t, '?', n);
	size_t plen = q ? (size_t)(q - t) : n;
	if (http_pct_decode(t, plen, r->path, sizeof r->path) < 0)
		return fail(e, 400, "bad percent-encoding in path");
	r->query[0] = '\0';
	if (q) {
		memcpy(r->query, q + 1, n - plen - 1);
		r->query[n - plen - 1] = '\0';
	}
	return 0;
}

static int parse_request_line(char *line, size_t n, struct http_request *r, struct http_error *e)
{
	char *sp1 = memchr(line, ' ', n);
	if (!sp1)
		return fail(e, 400, "malformed request line");
	size_t mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen >= sizeof r->method)
		return fail(e, mlen ? 501 : 400, "unsupported or empty method");
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(e, 400, "invalid character in method");
	memcpy(r->method, line, mlen);
	r->method[mlen] = '\0';
	char *tgt = sp1 + 1, *end = line + n;
	char *sp2 = memchr(tgt, ' ', (size_t)(end - tgt));
	if (!sp2)
		return fail(e, 400, "malformed request line");
	if (parse_target(tgt, (size_t)(sp2 - tgt), r, e))
		return HTTP_PARSE_ERROR;
	char *ver = sp2 + 1;
	size_t vlen = (size_t)(end - ver);
	if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1')) {
		if (vlen >= 5 && memcmp(ver, "HTTP/", 5) == 0)
			return fail(e, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
		return fail(e, 400, "malformed HTTP version");
	}
	r->minor = ver[7] - '0';
	r->keep_alive = r->minor == 1;
	return 0;
}

static bool token_list_has(const char *v, const char *tok)
{
	size_t tl = strlen(tok);
	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',') v++;
		const char *s = v;
		while (*v && *v != ',') v++;
		const char *t = v;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t')) t--;
		if ((size_t)(t - s) == tl && strncasecmp(s, tok, tl) == 0)
			return true;
	}
	return false;
}

static int semantic_headers(struct http_request *r, struct http_error *e)
{
	int ncl = 0;
	for (int i = 0; i < r->nhdr; i++) {
		const char *n = r->hdr[i].name, *v = r->hdr[i].value;
		if (strcasecmp(n, "content-length") == 0) {
			if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
				return fail(e, 400, "invalid Content-Length");
			uint64_t cl = strtoull(v, NULL, 10);
			if (ncl++ && cl != r->content_length)
				return fail(e, 400, "conflicting Content-Length headers");
			r->content_length = cl;
			r->has_length = true;
		} else if (strcasecmp(n, "transfer-encoding") == 0) {
			if (r->chunked || strcasecmp(v, "chunked") != 0)
				return fail(e, 501, "unsupported Transfer-Encoding '%.40s'", v);
			r->chunked = true;
		} else if (strcasecmp(n, "connection") == 0) {
			if (token_list_has(v, "close")) r->keep_alive = false;
			else if (token_list_has(v, "keep-alive")) r->keep_alive = true;
		} else if (strcasecmp(n, "upgrade") == 0) {
			r->upgrade_websocket = token_list_has(v, "websocket");
		}
	}
	if (r->chunked && r->has_length)
		return fail(e, 400, "both Content-Length and Transfer-Encoding");
	if (r->chunked && r->minor == 0)
		return fail(e, 400, "chunked encoding in an HTTP/1.0 request");
	if (r->minor == 1 && !http_header(r, "host"))
		return fail(e, 400, "missing Host header");
	return 0;
}

static int parse_header_line(char *line, size_t n, struct http_request *r, struct http_error *e)
{
	if (line[0] == ' ' || line[0] == '\t')
		return fail(e, 400, "obsolete header line folding");
	char *colon = memchr(line, ':', n);
	if (!colon || colon == line)
		return fail(e, 400, "malformed header line");
	for (char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(e, 400, "invalid character in header name");
	if (r->nhdr >= HTTP_MAX_HEADERS)
		return fail(e, 431, "more than %d header fields", HTTP_MAX_HEADERS);
	*colon = '\0';
	char *v = colon + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t')) v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
	for (char *p = v; p < end; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fail(e, 400, "invalid character in header '%.40s'", line);
	*end = '\0';
	r->hdr[r->nhdr].name = line;
	r->hdr[r->nhdr++].value = v;
	return 0;
}

int http_parse_request(char *buf, size_t len, size_t max_head,
		       struct http_request *req, struct http_error *err)
{
	size_t scan = len < max_head ? len : max_head;
	char *end = NULL;
	/* tolerate (skip) empty lines before the request line, as RFC 9112 allows */
	size_t skip = 0;
	while (skip + 1 < scan && buf[skip] == '\r' && buf[skip + 1] == '\n')
		skip += 2;
	for (size_t i = skip; i + 3 < scan; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = buf + i;
			break;
		}
	}
	if (!end) {
		for (size_t i = 0; i < scan; i++)
			if (buf[i] == '\0')
				return fail(err, 400, "NUL byte in request head");
		if (len >= max_head)
			return fail(err, 431, "request head larger than %zu bytes", max_head);
		return HTTP_PARSE_INCOMPLETE;
	}
	memset(req, 0, sizeof *req);
	req->head_len = (size_t)(end - buf) + 4;
	for (char *p = buf + skip; p < end; p++)
		if (*p == '\0' || (*p == '\n' && (p == buf || p[-1] != '\r')) ||
		    (*p == '\r' && p[1] != '\n'))
			return fail(err, 400, "bare CR, LF or NUL in request head");
	end[0] = '\0';
	char *line = buf + skip;
	char *eol = strstr(line, "\r\n");
	size_t n = eol ? (size_t)(eol - line) : strlen(line);
	if (parse_request_line(line, n, req, err))
		return HTTP_PARSE_ERROR;
	while (eol) {
		line = eol + 2;
		eol = strstr(line, "\r\n");
		n = eol ? (size_t)(eol - line) : strlen(line);
		if (eol)
			*eol = '\0';
		if (parse_header_line(line, n, req, err))
			return HTTP_PARSE_ERROR;
	}
	if (semantic_headers(req, err))
		return HTTP_PARSE_ERROR;
	return HTTP_PARSE_DONE;
}

const char *http_header(const struct http_request *req, const char *name)
{
	for (int i = 0; i < req->nhdr; i++)
		if (strcasecmp(req->hdr[i].name, name) == 0)
			return req->hdr[i].value;
	return NULL;
}

int http_query_param(const struct http_request *req, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = req->query;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg >= nl && strncmp(p, name, nl) == 0 && (seg == nl || p[nl] == '=')) {
			const char *v = seg == nl ? "" : p + nl + 1;
			size_t vl = seg == nl ? 0 : seg - nl - 1;
			if (http_pct_decode(v, vl, out, outlen) < 0)
				return -1;
			return 1;
		}
		p += seg + (amp ? 1 : 0);
	}
	return 0;
}

/* Chunked states */
enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_DONE };

int http_chunked_feed(struct http_chunked *c, char *in, size_t inlen, size_t *consumed,
		      size_t *out_n, struct http_error *err)
{
	size_t i = 0, o = 0;
	while (i < inlen && c->state != CH_DONE) {
		unsigned char ch = (unsigned char)in[i];
		switch (c->state) {
		case CH_SIZE:
			if (hexval(ch) >= 0) {
				if (++c->digits > 15)
					return fail(err, 400, "chunk size too large");
				c->remaining = c->remaining * 16 + (uint64_t)hexval(ch);
			} else if (c->digits && (ch == ';' || ch == ' ' || ch == '\t')) {
				c->state = CH_EXT;
			} else if (c->digits && ch == '\r') {
				c->state = CH_SIZE_LF;
			} else {
				return fail(err, 400, "invalid chunk size");
			}
			i++;
			break;
		case CH_EXT:
			if (++c->linelen > 256)
				return fail(err, 400, "chunk extension too long");
			if (ch == '\r') c->state = CH_SIZE_LF;
			else if (ch < 0x20 && ch != '\t') return fail(err, 400, "invalid chunk extension");
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return fail(err, 400, "missing LF after chunk size");
			i++;
			c->digits = 0;
			c->linelen = 0;
			c->state = c->remaining ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA: {
			size_t take = inlen - i;
			if (take > c->remaining)
				take = (size_t)c->remaining;
			memmove(in + o, in + i, take);
			o += take;
			i += take;
			c->remaining -= take;
			if (!c->remaining)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return fail(err, 400, "missing CRLF after chunk data");
			c->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return fail(err, 400, "missing CRLF after chunk data");
			c->state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			/* trailer fields are read and ignored; an empty line ends the body */
			if (ch == '\r') {
				c->state = CH_TRAILER_LF;
			} else {
				if (++c->linelen > 4096)
					return fail(err, 431, "chunked trailer too long");
				if (ch == '\n' || (ch < 0x20 && ch != '\t'))
					return fail(err, 400, "invalid chunked trailer");
			}
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				return fail(err, 400, "missing LF in chunked trailer");
			i++;
			if (c->linelen == 0) c->state = CH_DONE;
			else { c->linelen = 0; c->state = CH_TRAILER; }
			break;
		}
	}
	*consumed = i;
	*out_n = o;
	c->done = c->state == CH_DONE;
	return c->done ? 1 : 0;
}

const char *http_status_text(int s)
{
	switch (s) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}
