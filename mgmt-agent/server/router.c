/* router.c: matches a method and decoded path against the route table. */
#include "router.h"

#include <stdio.h>
#include <string.h>

int route_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > WAFER_NAME_MAX)
		return 0;
	char c0 = s[0];
	if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || (c0 >= '0' && c0 <= '9')))
		return 0;
	return strspn(s, WAFER_NAME_CHARS) == n;
}

/* Match one pattern; 1 on match (params filled), 0 no match, -1 bad param. */
static int match_one(const char *pat, const char *path, struct route_match *m)
{
	m->nparams = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t sl = se ? (size_t)(se - path) : strlen(path);
		if (pl > 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			if (m->nparams >= ROUTE_MAX_PARAMS)
				return 0;
			int i = m->nparams++;
			snprintf(m->names[i], sizeof m->names[i], "%.*s", (int)(pl - 2), pat + 1);
			if (sl == 0 || sl >= WAFER_NAME_SIZE) {
				if (sl == 0)
					return 0;
				snprintf(m->msg, sizeof m->msg, "'%s' is longer than %d characters",
					 m->names[i], WAFER_NAME_MAX);
				return -1;
			}
			memcpy(m->values[i], path, sl);
			m->values[i][sl] = '\0';
			if (!route_valid_name(m->values[i])) {
				snprintf(m->msg, sizeof m->msg,
					 "invalid %s: use letters, digits, '.', '_', '-'", m->names[i]);
				return -1;
			}
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return 0;
		}
		pat += pl;
		path += sl;
	}
	return *pat == '\0' && *path == '\0';
}

int router_match(const struct route *tbl, size_t n, const char *method,
		 const char *path, struct route_match *m)
{
	memset(m, 0, sizeof *m);
	int path_known = 0, bad = 0;
	char badmsg[128] = "";
	for (size_t i = 0; i < n; i++) {
		struct route_match t;
		memset(&t, 0, sizeof t);
		int r = match_one(tbl[i].pattern, path, &t);
		if (r < 0 && !bad) {
			bad = 1;
			memcpy(badmsg, t.msg, sizeof badmsg);
		}
		if (r <= 0)
			continue;
		if (strcmp(tbl[i].method, method) == 0) {
			*m = t;
			m->route = &tbl[i];
			return 200;
		}
		if (!strstr(m->allow, tbl[i].method)) {
			size_t l = strlen(m->allow);
			snprintf(m->allow + l, sizeof m->allow - l, "%s%s", l ? ", " : "", tbl[i].method);
		}
		path_known = 1;
	}
	if (path_known)
		return 405;
	if (bad) {
		memcpy(m->msg, badmsg, sizeof m->msg);
		return 400;
	}
	snprintf(m->msg, sizeof m->msg, "no such resource");
	return 404;
}

const char *route_param(const struct route_match *m, const char *name)
{
	for (int i = 0; i < m->nparams; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}
