/* init_modalias.h: modules.alias / modules.dep tables and modalias glob
 * matching (pure code; init_modules.c does the loading). */
#ifndef INIT_MODALIAS_H
#define INIT_MODALIAS_H
#include <stddef.h>

struct modalias_entry { const char *pattern, *module; };
struct moddep_entry { char name[64]; const char *path; const char *deps; };

struct modtables {
	char *alias_text, *dep_text;          /* owned, modified in place */
	struct modalias_entry *alias;
	size_t nalias;
	struct moddep_entry *dep;
	size_t ndep;
};

/* Glob match as used by modules.alias: '*', '?', '[abc]', '[a-z]', '[!x]'. */
int modalias_glob(const char *pattern, const char *text);
/* Normalise a module name or path ("kernel/x/kvm-amd.ko.xz" -> "kvm_amd"). */
void modname_normalise(const char *in, size_t len, char *out, size_t n);
/* Take ownership of the two files' texts (malloc'd, NUL-terminated) and index
 * them. Malformed lines are skipped. Returns 0 or -1 (no memory). */
int modtables_load(struct modtables *t, char *alias_text, char *dep_text);
void modtables_free(struct modtables *t);
/* Call fn for every module whose alias pattern matches modalias (a module
 * listed by several matching patterns is reported once). Returns the count. */
int modtables_match(const struct modtables *t, const char *modalias,
		    void (*fn)(const char *module, void *ctx), void *ctx);
/* The dependency entry for a module name (normalised), or NULL. */
const struct moddep_entry *modtables_dep(const struct modtables *t, const char *name);
/* Fill paths[] with what to load for name, dependencies first, the module
 * itself last. Returns the count, or -1 if unknown or more than max. */
int modtables_load_order(const struct modtables *t, const char *name, const char **paths,
			 size_t *lens, int max);
#endif
