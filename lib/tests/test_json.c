/* test_json.c: the strict JSON reader (valid documents, every class of
 * malformed input with its error offset, limits, random bytes) and the writer. */
#include "json.h"
#include "wtest.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *s, struct json_doc *d, struct json_err *e)
{
	return json_parse(d, s, strlen(s), NULL, e);
}

static void t_valid(void)
{
	struct json_doc d;
	struct json_err e;
	const char *s = " {\"name\":\"vm1\",\"vcpus\":2,\"mem\":1.5e3,\"ok\":true,\"no\":false,"
			"\"nil\":null,\"arr\":[1,-2,[],{}],\"u\":\"\\u00e9\\ud83d\\ude00\\n\"} ";
	WT_EQ_INT(parse(s, &d, &e), 0);
	const struct json_node *r = json_root(&d);
	WT_CHECK(json_is(r, JSON_OBJECT));
	WT_EQ_INT(r->len, 8);
	WT_EQ_STR(json_get_str(r, "name"), "vm1");
	WT_EQ_INT(json_get(r, "vcpus")->ival, 2);
	WT_CHECK(json_get(r, "vcpus")->is_int);
	WT_CHECK(!json_get(r, "mem")->is_int);
	WT_CHECK(json_get(r, "mem")->num == 1500.0);
	WT_CHECK(json_get(r, "ok")->bval);
	WT_CHECK(!json_get(r, "no")->bval);
	WT_CHECK(json_is(json_get(r, "nil"), JSON_NULL));
	const struct json_node *a = json_get(r, "arr");
	WT_EQ_INT(a->len, 4);
	WT_EQ_INT(a->child->next->ival, -2);
	WT_CHECK(json_is(a->child->next->next, JSON_ARRAY));
	WT_CHECK(a->child->next->next->next->next == NULL);
	WT_EQ_STR(json_get_str(r, "u"), "\xc3\xa9\xf0\x9f\x98\x80\n");
	WT_CHECK(json_get(r, "missing") == NULL);
	json_doc_free(&d);
	WT_EQ_INT(parse("42", &d, &e), 0);
	WT_EQ_INT(json_root(&d)->ival, 42);
	json_doc_free(&d);
	WT_EQ_INT(parse("\"\"", &d, &e), 0);
	WT_EQ_STR(json_root(&d)->str, "");
	json_doc_free(&d);
}

struct bad { const char *in; size_t off; const char *frag; };

static void t_malformed(void)
{
	static const struct bad cases[] = {
		{ "", 0, "empty document" },
		{ "{", 1, "expected '\"'" },
		{ "{\"a\":1,}", 7, "trailing comma" },
		{ "[1,2", 4, "unexpected end" },
		{ "{\"a\" 1}", 5, "expected ':'" },
		{ "{\"a\":1 \"b\":2}", 7, "expected ','" },
		{ "{\"a\":1,\"a\":2}", 7, "duplicate key" },
		{ "01", 0, "leading zero" },
		{ "1.", 2, "digit expected" },
		{ "1e+", 3, "digit expected in exponent" },
		{ "-", 0, "invalid number" },
		{ "tru", 0, "invalid literal" },
		{ "nul", 0, "invalid literal" },
		{ "\"abc", 0, "unterminated string" },
		{ "\"a\tb\"", 2, "control character" },
		{ "\"\\x\"", 1, "invalid escape" },
		{ "\"\\u12G4\"", 5, "bad hex digit" },
		{ "\"\\ud800\"", 1, "without low surrogate" },
		{ "\"\\udc00\"", 1, "lone low surrogate" },
		{ "\"\\u0000\"", 1, "\\u0000" },
		{ "\"\xc3\x28\"", 1, "invalid UTF-8" },
		{ "\"\xed\xa0\x80\"", 1, "invalid UTF-8" },
		{ "\"\xc0\xaf\"", 1, "invalid UTF-8" },
		{ "{} x", 3, "trailing data" },
		{ "[1] [2]", 4, "trailing data" },
		{ "// c\n1", 0, "unexpected character" },
		{ "1e999", 0, "out of range" },
		{ "{'a':1}", 1, "expected '\"'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_doc d;
		struct json_err e;
		wtest_current = cases[i].in;
		WT_EQ_INT(parse(cases[i].in, &d, &e), -1);
		WT_EQ_INT(e.offset, cases[i].off);
		WT_CHECK(strstr(e.msg, cases[i].frag) != NULL);
		WT_CHECK(d.nodes == NULL && d.strbuf == NULL);
	}
	wtest_current = "t_malformed";
}

static void t_limits(void)
{
	struct json_doc d;
	struct json_err e;
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	WT_EQ_INT(json_parse(&d, deep, 200, NULL, &e), -1);
	WT_CHECK(strstr(e.msg, "nesting deeper than 32") != NULL);
	struct json_limits lim = { .max_depth = 100 };
	WT_EQ_INT(json_parse(&d, deep, 200, &lim, &e), 0);
	json_doc_free(&d);
	lim = (struct json_limits){ .max_size = 4 };
	WT_EQ_INT(json_parse(&d, "[1,2]", 5, &lim, &e), -1);
	WT_CHECK(strstr(e.msg, "larger than 4 bytes") != NULL);
	lim = (struct json_limits){ .max_nodes = 3 };
	WT_EQ_INT(json_parse(&d, "[1,2,3]", 7, &lim, &e), -1);
	WT_CHECK(strstr(e.msg, "too many values") != NULL);
	/* embedded NUL byte is not whitespace */
	WT_EQ_INT(json_parse(&d, "{}\0", 3, NULL, &e), -1);
	WT_EQ_INT(e.offset, 2);
}

static void t_random(void)
{
	/* random bytes and truncations of a valid document must never crash */
	const char *good = "{\"a\":[1,2.5,\"x\\u0041\",{\"b\":null}],\"c\":true}";
	size_t gl = strlen(good);
	struct json_doc d;
	struct json_err e;
	for (size_t i = 0; i < gl; i++) {
		WT_EQ_INT(json_parse(&d, good, i, NULL, &e), -1);
		WT_CHECK(e.offset <= i);
	}
	WT_EQ_INT(json_parse(&d, good, gl, NULL, &e), 0);
	json_doc_free(&d);
	srand(1234);
	char buf[64];
	int ok = 0;
	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(rand() % 64);
		for (size_t i = 0; i < n; i++)
			buf[i] = (it & 1) ? good[rand() % gl] : (char)rand();
		if (json_parse(&d, buf, n, NULL, &e) == 0) {
			ok++;
			json_doc_free(&d);
		} else {
			WT_CHECK(e.offset <= n && e.msg[0]);
		}
	}
	WT_CHECK(ok < 20000);
}

static void t_helpers(void)
{
	struct json_doc d;
	struct json_err e;
	char err[128];
	int64_t v;
	WT_EQ_INT(parse("{\"vcpus\":4,\"f\":1.5,\"s\":\"x\",\"big\":99}", &d, &e), 0);
	const struct json_node *r = json_root(&d);
	WT_EQ_INT(json_get_int_range(r, "vcpus", 1, 8, &v, err, sizeof err), 0);
	WT_EQ_INT(v, 4);
	WT_EQ_INT(json_get_int_range(r, "big", 1, 8, &v, err, sizeof err), -1);
	WT_EQ_STR(err, "'big' is 99, must be between 1 and 8");
	WT_EQ_INT(json_get_int_range(r, "f", 1, 8, &v, err, sizeof err), -1);
	WT_EQ_STR(err, "'f' must be an integer, not a fraction");
	WT_EQ_INT(json_get_int_range(r, "s", 1, 8, &v, err, sizeof err), -1);
	WT_EQ_STR(err, "'s' must be an integer, not string");
	WT_EQ_INT(json_get_int_range(r, "none", 1, 8, &v, err, sizeof err), -1);
	WT_EQ_STR(err, "'none' is required");
	static const char *const allow[] = { "vcpus", "f", "s", NULL };
	WT_EQ_INT(json_check_keys(r, allow, err, sizeof err), -1);
	WT_EQ_STR(err, "unknown field 'big'");
	static const char *const allow2[] = { "vcpus", "f", "s", "big", NULL };
	WT_EQ_INT(json_check_keys(r, allow2, err, sizeof err), 0);
	json_doc_free(&d);
}

static void t_writer(void)
{
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "name", "a\"b\\c\n\x01");
	json_w_kint(&w, "n", -5);
	json_w_kuint(&w, "u", 18446744073709551615ull);
	json_w_kbool(&w, "t", true);
	json_w_key(&w, "arr");
	json_w_arr_begin(&w);
	json_w_int(&w, 1);
	json_w_null(&w);
	json_w_raw(&w, "{}", 2);
	json_w_arr_end(&w);
	json_w_kdouble(&w, "d", 0.5);
	json_w_key(&w, "nullstr");
	json_w_str(&w, NULL);
	json_w_obj_end(&w);
	size_t len;
	char *s = json_w_finish(&w, &len);
	WT_EQ_STR(s, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":-5,\"u\":18446744073709551615,"
		      "\"t\":true,\"arr\":[1,null,{}],\"d\":0.5,\"nullstr\":null}");
	WT_EQ_INT(len, strlen(s));
	/* round trip through the reader */
	struct json_doc d;
	struct json_err e;
	WT_EQ_INT(json_parse(&d, s, len, NULL, &e), 0);
	WT_EQ_STR(json_get_str(json_root(&d), "name"), "a\"b\\c\n\x01");
	json_doc_free(&d);
	free(s);
	/* long string goes through the heap path */
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	json_w_init(&w);
	json_w_str(&w, big);
	s = json_w_finish(&w, &len);
	WT_EQ_INT(len, 1001);
	free(s);
	/* misuse: unbalanced, value without key in object */
	json_w_init(&w);
	json_w_obj_begin(&w);
	WT_CHECK(json_w_finish(&w, NULL) == NULL);
	json_w_init(&w);
	json_w_arr_end(&w);
	WT_CHECK(json_w_finish(&w, NULL) == NULL);
	json_w_init(&w);
	json_w_arr_begin(&w);
	json_w_key(&w, "k");
	json_w_arr_end(&w);
	WT_CHECK(json_w_finish(&w, NULL) == NULL);
}

WTEST_MAIN("json", WT_CASE(t_valid), WT_CASE(t_malformed), WT_CASE(t_limits),
	   WT_CASE(t_random), WT_CASE(t_helpers), WT_CASE(t_writer))
