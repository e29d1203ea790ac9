/* agent_conf.c: the wafer.conf keys that belong to the agent (agent_*,
 * update_*; wafer-init leaves them alone, docs/config.md): read from
 * <config_dir>/wafer.conf with the file's syntax (key = value, "#"
 * comments, optional double quotes, the later line wins) and overridden by
 * wafer.<key>= on the kernel command line. */
#include "agent.h"
#include "fsutil.h"
#include "update/update.h"
#include "wlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t trim(const char **s, size_t len)
{
	while (len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		len--;
	}
	while (len && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t' || (*s)[len - 1] == '\r'))
		len--;
	return len;
}

int conf_text_get(const char *text, size_t len, const char *key, char *out, size_t n)
{
	int found = 0;
	size_t kl = strlen(key);
	for (size_t i = 0; i < len;) {
		const char *line = text + i;
		size_t ll = 0;
		while (i + ll < len && text[i + ll] != '\n')
			ll++;
		i += ll + 1;
		ll = trim(&line, ll);
		if (!ll || line[0] == '#')
			continue;
		const char *eq = memchr(line, '=', ll);
		if (!eq)
			continue;
		const char *k = line, *v = eq + 1;
		size_t klen = trim(&k, (size_t)(eq - line)), vlen = trim(&v, ll - (size_t)(eq - line) - 1);
		if (klen != kl || memcmp(k, key, kl) != 0)
			continue;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		snprintf(out, n, "%.*s", (int)vlen, v);
		found = 1;
	}
	return found;
}

int conf_cmdline_get(const char *cmdline, const char *key, char *out, size_t n)
{
	char word[96];
	snprintf(word, sizeof word, "wafer.%s=", key);
	size_t wl = strlen(word);
	int found = 0;
	for (const char *p = cmdline; p && *p;) {
		p += strspn(p, " \t\n");
		size_t l = strcspn(p, " \t\n");
		if (l >= wl && !strncmp(p, word, wl)) {
			snprintf(out, n, "%.*s", (int)(l - wl), p + wl);
			found = 1;
		}
		p += l;
	}
	return found;
}

int agent_conf_int(const char *key, int def, int min, int max)
{
	char path[512], val[64] = "", *b = NULL, *end;
	const char *from = NULL;
	size_t len = 0;
	agent_path(path, sizeof path, agent_cfg.config_dir, "wafer.conf");
	if (fs_read_file(path, 64 << 10, &b, &len) == 0 && conf_text_get(b, len, key, val, sizeof val))
		from = path;
	free(b);
	if (fs_read_file(agent_cfg.cmdline, 8192, &b, &len) == 0 && conf_cmdline_get(b, key, val, sizeof val))
		from = "the kernel command line";
	free(b);
	if (!from || !val[0])
		return def;
	long v = strtol(val, &end, 10);
	if (*end || v < min || v > max) {
		wlog(WLOG_WARN, "config", "%s: %s: '%s' is not a number from %d to %d; using %d", from, key, val,
		     min, max, def);
		return def;
	}
	return (int)v;
}
