/* test_http.c: the HTTP/1.1 request parser and chunked decoder: valid
 * requests, every class of malformed head with the status it must get,
 * truncations, random bytes, huge heads, hostile chunked bodies. */
#include "http_parse.h"
#include "wtest.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, struct http_request *r, struct http_error *e)
{
	static char buf[20000];
	size_t n = strlen(s);
	memcpy(buf, s, n);
	return http_parse_request(buf, n, 8192, r, e);
}

static void t_valid(void)
{
	struct http_request r;
	struct http_error e;
	WT_EQ_INT(parse("GET /api/v1/vms/a%20b?follow=1&x=%41 HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\n\r\nBODY", &r, &e),
		  HTTP_PARSE_DONE);
	WT_EQ_STR(r.method, "GET");
	WT_EQ_STR(r.path, "/api/v1/vms/a b");
	WT_EQ_STR(r.query, "follow=1&x=%41");
	WT_EQ_STR(http_header(&r, "x-a"), "v");
	WT_EQ_INT(r.head_len, strlen("GET /api/v1/vms/a%20b?follow=1&x=%41 HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\n\r\n"));
	WT_CHECK(r.keep_alive);
	char v[16];
	WT_EQ_INT(http_query_param(&r, "x", v, sizeof v), 1);
	WT_EQ_STR(v, "A");
	WT_EQ_INT(http_query_param(&r, "follow", v, sizeof v), 1);
	WT_EQ_INT(http_query_param(&r, "nope", v, sizeof v), 0);
	WT_EQ_INT(parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nConnection: close\r\n\r\n", &r, &e),
		  HTTP_PARSE_DONE);
	WT_EQ_INT(r.content_length, 12);
	WT_CHECK(!r.keep_alive);
	WT_EQ_INT(parse("GET / HTTP/1.0\r\n\r\n", &r, &e), HTTP_PARSE_DONE);
	WT_CHECK(!r.keep_alive);
	WT_EQ_INT(parse("GET /c HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", &r, &e),
		  HTTP_PARSE_DONE);
	WT_CHECK(r.upgrade_websocket);
	WT_EQ_INT(parse("GET / HTTP/1.1\r\nHost: h\r\n", &r, &e), HTTP_PARSE_INCOMPLETE);
}

struct bad { const char *in; int status; const char *frag; };

static void t_malformed(void)
{
	static const struct bad cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400, "Host" },
		{ "GET /\r\nHost: h\r\n\r\n", 400, "request line" },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/1.0" },
		{ "GET / FTP/1.1\r\nHost: h\r\n\r\n", 400, "version" },
		{ "GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400, "absolute path" },
		{ "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "method" },
		{ "VERYLONGMETHODNAME / HTTP/1.1\r\nHost: h\r\n\r\n", 501, "method" },
		{ "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, "percent" },
		{ "GET /a%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "percent" },
		{ "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "percent" },
		{ "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "folding" },
		{ "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400, "malformed header" },
		{ "GET / HTTP/1.1\r\nHo st: h\r\n\r\n", 400, "header name" },
		{ "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, "bare" },
		{ "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "bare" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400, "Content-Length" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "Content-Length" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "conflicting" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "both" },
		{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "Transfer-Encoding" },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400, "invalid character" },
		{ "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_request r;
		struct http_error e = { 0, "" };
		wtest_current = cases[i].in;
		WT_EQ_INT(parse(cases[i].in, &r, &e), HTTP_PARSE_ERROR);
		WT_EQ_INT(e.status, cases[i].status);
		WT_CHECK(strstr(e.msg, cases[i].frag) != NULL);
	}
	wtest_current = "t_malformed";
}

static void t_limits(void)
{
	struct http_request r;
	struct http_error e;
	char *big = malloc(12000);
	strcpy(big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(big + strlen(big), 'a', 9000);
	big[9029] = '\0';
	strcat(big, "\r\n\r\n");
	WT_EQ_INT(parse(big, &r, &e), HTTP_PARSE_ERROR);
	WT_EQ_INT(e.status, 431);
	/* incomplete but already over the limit */
	big[9000] = '\0';
	WT_EQ_INT(parse(big, &r, &e), HTTP_PARSE_ERROR);
	WT_EQ_INT(e.status, 431);
	/* too many headers */
	strcpy(big, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < 50; i++)
		strcat(big, "X-H: v\r\n");
	strcat(big, "\r\n");
	WT_EQ_INT(parse(big, &r, &e), HTTP_PARSE_ERROR);
	WT_EQ_INT(e.status, 431);
	/* long target */
	strcpy(big, "GET /");
	memset(big + 5, 'a', 3000);
	strcpy(big + 3005, " HTTP/1.1\r\nHost: h\r\n\r\n");
	WT_EQ_INT(parse(big, &r, &e), HTTP_PARSE_ERROR);
	WT_EQ_INT(e.status, 414);
	free(big);
	/* NUL byte in an incomplete head */
	char nul[] = "GET /\0 HTTP/1.1";
	WT_EQ_INT(http_parse_request(nul, sizeof nul - 1, 8192, &r, &e), HTTP_PARSE_ERROR);
}

static void t_fuzz(void)
{
	const char *good = "PUT /api/v1/images/x?sha256=ab HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
	size_t gl = strlen(good);
	struct http_request r;
	struct http_error e;
	char buf[512];
	for (size_t i = 0; i < gl; i++) {
		memcpy(buf, good, i);
		int st = http_parse_request(buf, i, 8192, &r, &e);
		WT_CHECK(st == HTTP_PARSE_INCOMPLETE || st == HTTP_PARSE_ERROR);
	}
	srand(42);
	int done = 0;
	for (int it = 0; it < 30000; it++) {
		size_t n = (size_t)(rand() % 200);
		for (size_t i = 0; i < n; i++)
			buf[i] = (it % 3 == 0) ? (char)rand() : good[rand() % gl];
		if (it % 5 == 0 && n > 4)
			memcpy(buf + n - 4, "\r\n\r\n", 4);
		int st = http_parse_request(buf, n, 150, &r, &e);
		if (st == HTTP_PARSE_ERROR)
			WT_CHECK(e.status >= 400 && e.status < 600 && e.msg[0]);
		done += st == HTTP_PARSE_DONE;
	}
	WT_CHECK(done < 30000);
}

static int dechunk(const char *in, char *out, size_t *outlen, size_t *consumed, struct http_error *e, size_t step)
{
	struct http_chunked c = { 0 };
	size_t n = strlen(in), pos = 0, o = 0;
	char tmp[4096];
	while (pos < n) {
		size_t take = n - pos < step ? n - pos : step, used, got;
		memcpy(tmp, in + pos, take);
		int st = http_chunked_feed(&c, tmp, take, &used, &got, e);
		if (st < 0)
			return -1;
		memcpy(out + o, tmp, got);
		o += got;
		pos += used;
		if (st == 1) {
			*outlen = o;
			*consumed = pos;
			return 1;
		}
	}
	*outlen = o;
	*consumed = pos;
	return 0;
}

static void t_chunked(void)
{
	char out[4096];
	size_t ol, used;
	struct http_error e;
	const char *ok = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	for (size_t step = 1; step < 8; step++) {
		WT_EQ_INT(dechunk(ok, out, &ol, &used, &e, step), 1);
		WT_EQ_INT(ol, 11);
		WT_CHECK(memcmp(out, "hello world", 11) == 0);
		WT_EQ_INT(used, strlen(ok) - 4);
	}
	static const char *const bad[] = {
		"x\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "ffffffffffffffff1\r\n", "\r\n",
		"5\r\nhello\r\n0\r\nbad\nline\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		wtest_current = bad[i];
		WT_EQ_INT(dechunk(bad[i], out, &ol, &used, &e, 3), -1);
		WT_EQ_INT(e.status, 400);
	}
	wtest_current = "t_chunked";
	/* truncated: not an error, just incomplete */
	WT_EQ_INT(dechunk("5\r\nhel", out, &ol, &used, &e, 2), 0);
	WT_EQ_INT(ol, 3);
	/* random bytes never crash and never produce more than they consumed */
	srand(7);
	for (int it = 0; it < 20000; it++) {
		char in[64];
		size_t n = (size_t)(rand() % 63);
		for (size_t i = 0; i < n; i++)
			in[i] = "0123456789abcdef\r\n;x "[rand() % 22];
		in[n] = '\0';
		int st = dechunk(in, out, &ol, &used, &e, 1 + (size_t)(rand() % 5));
		WT_CHECK(st == -1 || ol <= used);
	}
}

WTEST_MAIN("http", WT_CASE(t_valid), WT_CASE(t_malformed), WT_CASE(t_limits), WT_CASE(t_fuzz),
	   WT_CASE(t_chunked))
