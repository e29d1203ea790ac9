/* wtest.c: runs the cases of one unit-test program and prints the summary. */
#include "wtest.h"

int wtest_passed, wtest_failed;
const char *wtest_current = "";

int wtest_run(const char *suite, const struct wtest_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int before = wtest_failed;
		wtest_current = cases[i].name;
		cases[i].fn();
		if (wtest_failed != before)
			fprintf(stderr, "  %s: %s failed\n", suite, cases[i].name);
	}
	printf("%s: %d passed, %d failed\n", suite, wtest_passed, wtest_failed);
	return wtest_failed ? 1 : 0;
}
