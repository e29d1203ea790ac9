/* init_modalias.c: indexes modules.alias and modules.dep and matches device
 * modaliases against the alias glob patterns. */
#include "init_modalias.h"
#include <stdlib.h>
#include <string.h>

/* Match one bracket expression at p against ch; returns the char after ']',
 * or NULL when ch is not in the set (or the expression is unterminated). */
static const char *glob_class(const char *p, char ch)
{
	int neg = 0, hit = 0;
	p++;
	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	const char *start = p;
	while (*p && (*p != ']' || p == start)) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			if ((unsigned char)ch >= (unsigned char)p[0] && (unsigned char)ch <= (unsigned char)p[2])
				hit = 1;
			p += 3;
		} else {
			if (*p == ch)
				hit = 1;
			p++;
		}
	}
	if (*p != ']')
		return NULL;
	return hit != neg ? p + 1 : NULL;
}

int modalias_glob(const char *p, const char *t)
{
	const char *star_p = NULL, *star_t = NULL;
	while (*t) {
		if (*p == '*') {
			star_p = ++p;
			star_t = t;
			continue;
		}
		const char *next = NULL;
		if (*p == '?')
			next = p + 1;
		else if (*p == '[')
			next = glob_class(p, *t);
		else if (*p && *p == *t)
			next = p + 1;
		if (next) {
			p = next;
			t++;
		} else if (star_p) {
			p = star_p;
			t = ++star_t;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

void modname_normalise(const char *in, size_t len, char *out, size_t n)
{
	const char *slash = memrchr(in, '/', len);
	if (slash) {
		len -= (size_t)(slash + 1 - in);
		in = slash + 1;
	}
	const char *ko = NULL;
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(in + i, ".ko", 3) == 0 && (i + 3 == len || in[i + 3] == '.'))
			ko = in + i;
	if (ko)
		len = (size_t)(ko - in);
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < n; i++)
		out[o++] = in[i] == '-' ? '_' : in[i];
	out[o] = '\0';
}

static size_t count_lines(const char *s)
{
	size_t n = 1;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void index_alias(struct modtables *t)
{
	char *save = NULL;
	for (char *l = strtok_r(t->alias_text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *kw = strtok_r(l, " \t", &s2);
		char *pat = strtok_r(NULL, " \t", &s2), *mod = strtok_r(NULL, " \t", &s2);
		if (!kw || strcmp(kw, "alias") != 0 || !pat || !mod)
			continue;
		t->alias[t->nalias++] = (struct modalias_entry){ pat, mod };
	}
}

static void index_dep(struct modtables *t)
{
	char *save = NULL;
	for (char *l = strtok_r(t->dep_text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon || colon == l)
			continue;
		*colon = '\0';
		struct moddep_entry *e = &t->dep[t->ndep++];
		modname_normalise(l, strlen(l), e->name, sizeof e->name);
		e->path = l;
		e->deps = colon + 1;
	}
}

int modtables_load(struct modtables *t, char *alias_text, char *dep_text)
{
	memset(t, 0, sizeof *t);
	t->alias_text = alias_text;
	t->dep_text = dep_text;
	t->alias = calloc(count_lines(alias_text), sizeof *t->alias);
	t->dep = calloc(count_lines(dep_text), sizeof *t->dep);
	if (!t->alias || !t->dep) {
		modtables_free(t);
		return -1;
	}
	index_alias(t);
	index_dep(t);
	return 0;
}

void modtables_free(struct modtables *t)
{
	free(t->alias);
	free(t->dep);
	free(t->alias_text);
	free(t->dep_text);
	memset(t, 0, sizeof *t);
}

int modtables_match(const struct modtables *t, const char *modalias,
		    void (*fn)(const char *module, void *ctx), void *ctx)
{
	int n = 0;
	for (size_t i = 0; i < t->nalias; i++) {
		if (!modalias_glob(t->alias[i].pattern, modalias))
			continue;
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(t->alias[j].module, t->alias[i].module) == 0 &&
			      modalias_glob(t->alias[j].pattern, modalias);
		if (dup)
			continue;
		fn(t->alias[i].module, ctx);
		n++;
	}
	return n;
}

const struct moddep_entry *modtables_dep(const struct modtables *t, const char *name)
{
	char norm[64];
	modname_normalise(name, strlen(name), norm, sizeof norm);
	for (size_t i = 0; i < t->ndep; i++)
		if (strcmp(t->dep[i].name, norm) == 0)
			return &t->dep[i];
	return NULL;
}

int modtables_load_order(const struct modtables *t, const char *name, const char **paths,
			 size_t *lens, int max)
{
	const struct moddep_entry *e = modtables_dep(t, name);
	if (!e)
		return -1;
	/* modules.dep lists the full closure with the deepest dependency last:
	 * load from the end of the list, then the module itself. */
	const char *w[64];
	size_t wl[64];
	int nw = 0;
	for (const char *p = e->deps; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (p > s) {
			if (nw == 64)
				return -1;
			w[nw] = s;
			wl[nw++] = (size_t)(p - s);
		}
	}
	if (nw + 1 > max)
		return -1;
	int n = 0;
	for (int i = nw - 1; i >= 0; i--) {
		paths[n] = w[i];
		lens[n++] = wl[i];
	}
	paths[n] = e->path;
	lens[n++] = strlen(e->path);
	return n;
}
