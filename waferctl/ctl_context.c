/* ctl_context.c: the settings file and its contexts, like kubectl's. The
 * file holds key=value lines (host, cert, key, ca, fingerprint); lines
 * before any "[NAME]" are the settings without a context, each "[NAME]"
 * section one context (a host), and "current=NAME" on top the context used
 * when neither --context nor WAFER_CONTEXT names one:
 *
 *     current=lab1
 *     [lab1]
 *     host=10.0.0.5:443
 *     cert=/home/op/wafer/admin.pem
 *     key=/home/op/wafer/admin.key
 *     fingerprint=7D:CF:...
 *
 * `context add|use|rm` rewrite the file whole (atomically, 0600, in the
 * order above; comments are not kept). */
#include "ctl.h"
#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const keys[CTL_KEYS] = { "host", "cert", "key", "ca", "fingerprint" };

struct ctl_config ctl_cfg;

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) > 64 || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') ||
					(n[0] >= '0' && n[0] <= '9')))
		return false;
	return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(n);
}

struct ctl_ctx *ctl_context_find(const char *name)
{
	for (int i = 0; i < ctl_cfg.n; i++)
		if (ctl_cfg.ctx[i].name && !strcmp(ctl_cfg.ctx[i].name, name))
			return &ctl_cfg.ctx[i];
	return NULL;
}

int ctl_config_load(const char *path, bool must)
{
	char *data;
	free(ctl_cfg.path);
	ctl_cfg.path = strdup(path);
	if (fs_read_file(path, 1 << 20, &data, NULL)) {
		if (must) {
			fprintf(stderr, "waferctl: cannot read config file %s\n", path);
			return -1;
		}
		return 0;
	}
	int line = 0;
	char **vals = ctl_cfg.top;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		while (*l == ' ' || *l == '\t')
			l++;
		size_t len = strlen(l);
		while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
			l[--len] = '\0';
		if (!*l || *l == '#')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (end)
				*end = '\0';
			if (!end || end[1] || !name_ok(l + 1) || ctl_context_find(l + 1) || ctl_cfg.n == CTL_CONTEXTS_MAX) {
				fprintf(stderr, "waferctl: %s: line %d: not a context heading (or a second one): '%.70s'\n",
					path, line, l);
				vals = NULL;   /* its lines are skipped */
				continue;
			}
			struct ctl_ctx *c = &ctl_cfg.ctx[ctl_cfg.n++];
			c->name = strdup(l + 1);
			vals = c->v;
			continue;
		}
		char *eq = strchr(l, '=');
		bool ok = false;
		if (eq && vals == ctl_cfg.top && (size_t)(eq - l) == 7 && !strncmp(l, "current", 7)) {
			free(ctl_cfg.current);
			ctl_cfg.current = strdup(eq + 1);
			continue;
		}
		for (int i = 0; eq && vals && i < CTL_KEYS; i++)
			if ((size_t)(eq - l) == strlen(keys[i]) && !strncmp(l, keys[i], (size_t)(eq - l))) {
				free(vals[i]);
				vals[i] = strdup(eq + 1);
				ok = true;
			}
		if (!ok && vals)
			fprintf(stderr, "waferctl: %s: line %d: unknown setting '%.40s'\n", path, line, l);
	}
	free(data);
	return 0;
}

static void put_vals(FILE *f, char *const *v)
{
	for (int i = 0; i < CTL_KEYS; i++)
		if (v[i] && *v[i])
			fprintf(f, "%s=%s\n", keys[i], v[i]);
}

static int config_save(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -1;
	fprintf(f, "# waferctl settings (waferctl context add|use|rm rewrite this file)\n");
	if (ctl_cfg.current && *ctl_cfg.current)
		fprintf(f, "current=%s\n", ctl_cfg.current);
	put_vals(f, ctl_cfg.top);
	for (int i = 0; i < ctl_cfg.n; i++) {
		if (!ctl_cfg.ctx[i].name)
			continue;
		fprintf(f, "[%s]\n", ctl_cfg.ctx[i].name);
		put_vals(f, ctl_cfg.ctx[i].v);
	}
	fclose(f);
	int rc = fs_write_atomic(ctl_cfg.path, text, len, 0600);
	if (rc == -ENOENT) {   /* a fresh account has no ~/.config yet */
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", ctl_cfg.path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			for (char *p = dir + 1; *p; p++)   /* mkdir -p, 0700 */
				if (*p == '/') {
					*p = 0;
					mkdir(dir, 0700);
					*p = '/';
				}
			if (mkdir(dir, 0700) == 0 || errno == EEXIST)
				rc = fs_write_atomic(ctl_cfg.path, text, len, 0600);
		}
	}
	free(text);
	if (rc)
		fprintf(stderr, "waferctl: cannot write %s: %s\n", ctl_cfg.path, strerror(-rc));
	return rc ? -1 : 0;
}

int ctl_context_save(const char *name, const char *const vals[CTL_KEYS], bool make_current)
{
	struct ctl_ctx *c = ctl_context_find(name);
	if (!c) {
		if (ctl_cfg.n == CTL_CONTEXTS_MAX) {
			fprintf(stderr, "waferctl: at most %d contexts\n", CTL_CONTEXTS_MAX);
			return -1;
		}
		c = &ctl_cfg.ctx[ctl_cfg.n++];
		c->name = strdup(name);
	}
	for (int i = 0; i < CTL_KEYS; i++) {
		free(c->v[i]);
		c->v[i] = vals[i] && *vals[i] ? strdup(vals[i]) : NULL;
	}
	if (make_current || !ctl_cfg.current || !*ctl_cfg.current) {
		free(ctl_cfg.current);
		ctl_cfg.current = strdup(name);
	}
	return config_save();
}

/* A file's absolute path, so that a context works from any directory. */
static const char *absolute(const char *p, char buf[PATH_MAX])
{
	if (!p || p[0] == '/' || !realpath(p, buf))
		return p;
	return buf;
}

static int usage(void)
{
	fprintf(stderr, "usage: waferctl context list | use NAME | rm NAME\n"
			"       waferctl context add NAME -H HOST[:PORT] --cert F --key F (--fingerprint FP | --ca F)\n");
	return 2;
}

int ctl_cmd_context(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "list") && argc == 2) {
		static const char *const hdr[] = { "", "NAME", "HOST", "CERT", "FINGERPRINT" };
		struct ctl_table *t = ctl_table_new(5, hdr);
		for (int i = 0; i < ctl_cfg.n; i++) {
			struct ctl_ctx *c = &ctl_cfg.ctx[i];
			if (!c->name)
				continue;
			bool cur = ctl_cfg.current && !strcmp(ctl_cfg.current, c->name);
			const char *row[] = { cur ? "*" : "", c->name, c->v[0] ? c->v[0] : "-", c->v[1] ? c->v[1] : "-",
					      c->v[4] ? c->v[4] : c->v[3] ? "(--ca)" : "-" };
			ctl_table_row(t, row);
		}
		ctl_table_print(t);
		return 0;
	}
	if (argc < 3)
		return usage();
	const char *name = argv[2];
	if (!name_ok(name)) {
		fprintf(stderr, "waferctl: '%s' is not a context name (1-64 of A-Z a-z 0-9 . _ -, a letter or digit first)\n",
			name);
		return 2;
	}
	if (!strcmp(sub, "use") || !strcmp(sub, "rm")) {
		if (argc != 3)
			return usage();
		struct ctl_ctx *c = ctl_context_find(name);
		if (!c) {
			fprintf(stderr, "waferctl: no context '%s' in %s\n", name, ctl_cfg.path);
			return 1;
		}
		bool cur = ctl_cfg.current && !strcmp(ctl_cfg.current, name);
		if (!strcmp(sub, "use")) {
			free(ctl_cfg.current);
			ctl_cfg.current = strdup(name);
		} else {
			free(c->name);
			c->name = NULL;
			if (cur) {
				free(ctl_cfg.current);
				ctl_cfg.current = NULL;
			}
		}
		return config_save() ? 1 : 0;
	}
	if (strcmp(sub, "add"))
		return usage();
	const char *v[CTL_KEYS] = { 0 };
	char cb[PATH_MAX], kb[PATH_MAX], ab[PATH_MAX];
	for (int i = 3; i < argc; i++) {
		const char *f = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int k = !strcmp(f, "-H") || !strcmp(f, "--host") ? 0 : !strcmp(f, "--cert") ? 1 : !strcmp(f, "--key") ? 2 :
			!strcmp(f, "--ca") ? 3 : !strcmp(f, "--fingerprint") ? 4 : -1;
		if (k < 0) {
			fprintf(stderr, "waferctl: context add: unknown flag '%s'\n", f);
			return usage();
		}
		if (!val) {
			fprintf(stderr, "waferctl: context add: %s needs a value\n", f);
			return 2;
		}
		v[k] = val;
		i++;
	}
	if (!v[0] || !v[1] || !v[2] || (!v[3] && !v[4])) {
		fprintf(stderr, "waferctl: context add: -H, --cert, --key and --fingerprint (or --ca) are needed\n");
		return 2;
	}
	v[1] = absolute(v[1], cb);
	v[2] = absolute(v[2], kb);
	v[3] = absolute(v[3], ab);
	return ctl_context_save(name, v, false) ? 1 : 0;
}
