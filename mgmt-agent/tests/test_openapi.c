/* test_openapi.c: docs/openapi.yaml and the router's table must describe the
 * same API: every (method, path) in one is in the other, and the role each
 * route needs matches the x-wafer-role of the operation. */
#include "server/router.h"
#include "fsutil.h"
#include "wtest.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct op { char method[8], path[96], role[8]; bool seen; };

static int load(struct op *ops, int max)
{
	char *y;
	if (fs_read_file("docs/openapi.yaml", 1 << 20, &y, NULL)) {
		fprintf(stderr, "cannot read docs/openapi.yaml (run from the repository root)\n");
		return -1;
	}
	int n = 0, in_paths = 0;
	char path[96] = "";
	for (char *l = strtok(y, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strncmp(l, "paths:", 6)) { in_paths = 1; continue; }
		if (in_paths && l[0] && l[0] != ' ' && l[0] != '#') in_paths = 0;
		if (!in_paths)
			continue;
		if (!strncmp(l, "  /", 3) && l[3 + strcspn(l + 3, ":")] == ':' && l[2] == '/') {
			snprintf(path, sizeof path, "%.*s", (int)strcspn(l + 2, ":"), l + 2);
			continue;
		}
		static const char *const m[] = { "get", "post", "put", "patch", "delete" };
		for (int i = 0; i < 5; i++) {
			size_t ml = strlen(m[i]);
			if (!strncmp(l, "    ", 4) && l[4] != ' ' && !strncmp(l + 4, m[i], ml) && l[4 + ml] == ':' && n < max) {
				for (size_t k = 0; k <= ml; k++)
					ops[n].method[k] = (char)toupper((unsigned char)m[i][k]);
				snprintf(ops[n].path, sizeof ops[n].path, "%s", path);
				n++;
			}
		}
		char *r = strstr(l, "x-wafer-role:");
		if (r && n > 0)
			sscanf(r + 13, " %7s", ops[n - 1].role);
	}
	free(y);
	return n;
}

static void t_same(void)
{
	static struct op ops[128];
	int n = load(ops, 128);
	WT_CHECK(n > 0);
	WT_EQ_INT(n, (long long)api_nroutes);
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		int found = 0;
		for (int k = 0; k < n; k++) {
			if (strcmp(ops[k].method, r->method) || strcmp(ops[k].path, r->pattern))
				continue;
			found = 1;
			ops[k].seen = true;
			const char *want = r->role == ROLE_ADMIN ? "admin" : r->role == ROLE_READER ? "reader" : "none";
			if (strcmp(ops[k].role, want))
				fprintf(stderr, "  %s %s: openapi x-wafer-role '%s', code '%s'\n", r->method, r->pattern,
					ops[k].role, want);
			WT_EQ_STR(ops[k].role, want);
		}
		if (!found)
			fprintf(stderr, "  route %s %s is missing from docs/openapi.yaml\n", r->method, r->pattern);
		WT_CHECK(found);
	}
	for (int k = 0; k < n; k++) {
		if (!ops[k].seen)
			fprintf(stderr, "  docs/openapi.yaml has %s %s, which the router does not serve\n",
				ops[k].method, ops[k].path);
		WT_CHECK(ops[k].seen);
	}
}

WTEST_MAIN("openapi", WT_CASE(t_same))
