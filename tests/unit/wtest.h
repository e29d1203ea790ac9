/* wtest.h: the minimal unit-test harness used by every host test program.
 * Each test program ends with WTEST_MAIN(...), prints one line per failure
 * and a closing "N passed, N failed" line; the exit code is non-zero on failure. */
#ifndef WTEST_H
#define WTEST_H
#include <stdio.h>
#include <string.h>

extern int wtest_passed, wtest_failed;
extern const char *wtest_current;

#define WT_CHECK(cond) do { \
	if (cond) { wtest_passed++; } \
	else { wtest_failed++; fprintf(stderr, "FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, wtest_current, #cond); } \
} while (0)
#define WT_EQ_INT(a, b) do { long long wa_ = (long long)(a), wb_ = (long long)(b); \
	if (wa_ == wb_) { wtest_passed++; } \
	else { wtest_failed++; fprintf(stderr, "FAIL %s:%d: %s: %s == %lld, expected %lld\n", __FILE__, __LINE__, wtest_current, #a, wa_, wb_); } \
} while (0)
#define WT_EQ_STR(a, b) do { const char *wa_ = (a), *wb_ = (b); \
	if (wa_ && wb_ && strcmp(wa_, wb_) == 0) { wtest_passed++; } \
	else { wtest_failed++; fprintf(stderr, "FAIL %s:%d: %s: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, wtest_current, #a, wa_ ? wa_ : "(null)", wb_ ? wb_ : "(null)"); } \
} while (0)

typedef void (*wtest_fn)(void);
struct wtest_case { const char *name; wtest_fn fn; };
#define WT_CASE(fn) { #fn, fn }

int wtest_run(const char *suite, const struct wtest_case *cases, size_t n);
#define WTEST_MAIN(suite, ...) \
	int main(void) { static const struct wtest_case c_[] = { __VA_ARGS__ }; \
		return wtest_run(suite, c_, sizeof c_ / sizeof c_[0]); }
#endif
