/* init_config.c: parses wafer.conf and wafer.<key>= command-line overrides into
 * struct config. Bad lines are reported with origin:line and skipped; they
 * never stop the boot. Pure code. */
#include "init_config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kt { KT_HOSTNAME, KT_IFACE, KT_ENUM, KT_INT, KT_BOOL, KT_V4CIDR, KT_V4,
	  KT_V6CIDR, KT_V6, KT_IPLIST, KT_HOSTLIST, KT_SYSLOG, KT_SEARCH };

struct key {
	const char *name;
	enum kt type;
	size_t off, size;      /* field in struct config */
	int min, max;          /* KT_INT */
	const char *const *enums;
	size_t cnt_off;        /* KT_IPLIST/KT_HOSTLIST: the entry count */
};

static const char *const e_ipv4[] = { "dhcp", "static", "off", NULL };
static const char *const e_ipv6[] = { "slaac", "static", "off", NULL };
static const char *const e_cad[] = { "ignore", "reboot", NULL };

#define F(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
static const struct key keys[] = {
	{ "hostname", KT_HOSTNAME, F(hostname), 0, 0, NULL, 0 },
	{ "mgmt_interface", KT_IFACE, F(mgmt_interface), 0, 0, NULL, 0 },
	{ "ipv4", KT_ENUM, F(ipv4), 0, 0, e_ipv4, 0 },
	{ "ipv4_address", KT_V4CIDR, F(ipv4_address), 0, 0, NULL, 0 },
	{ "ipv4_gateway", KT_V4, F(ipv4_gateway), 0, 0, NULL, 0 },
	{ "ipv6", KT_ENUM, F(ipv6), 0, 0, e_ipv6, 0 },
	{ "ipv6_address", KT_V6CIDR, F(ipv6_address), 0, 0, NULL, 0 },
	{ "ipv6_gateway", KT_V6, F(ipv6_gateway), 0, 0, NULL, 0 },
	{ "dns", KT_IPLIST, F(dns), 0, 0, NULL, offsetof(struct config, dns_n) },
	{ "dns_search", KT_SEARCH, F(dns_search), 0, 0, NULL, 0 },
	{ "vlan", KT_INT, F(vlan), 0, 4094, NULL, 0 },
	{ "mtu", KT_INT, F(mtu), 0, 9216, NULL, 0 },
	{ "ntp", KT_HOSTLIST, F(ntp), 0, 0, NULL, offsetof(struct config, ntp_n) },
	{ "syslog", KT_SYSLOG, F(syslog), 0, 0, NULL, 0 },
	{ "api_port", KT_INT, F(api_port), 1, 65535, NULL, 0 },
	{ "watchdog", KT_BOOL, F(watchdog), 0, 0, NULL, 0 },
	{ "watchdog_timeout", KT_INT, F(watchdog_timeout), 5, 600, NULL, 0 },
	{ "log_ring_kib", KT_INT, F(log_ring_kib), 64, 65536, NULL, 0 },
	{ "ctrl_alt_del", KT_ENUM, F(ctrl_alt_del), 0, 0, e_cad, 0 },
	{ "update_trial_timeout", KT_INT, F(update_trial_timeout), 60, 86400, NULL, 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->ipv4 = CFG_IPV4_DHCP;
	c->ipv6 = CFG_IPV6_SLAAC;
	c->api_port = 443;
	c->watchdog = 1;
	c->watchdog_timeout = 60;
	c->log_ring_kib = 1024;
	c->ctrl_alt_del = CFG_CAD_IGNORE;
	c->update_trial_timeout = 600;
}

void config_error(struct config_errors *errs, const char *fmt, ...)
{
	if (!errs)
		return;
	if (errs->n >= CONFIG_ERR_MAX) {
		errs->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errs->msg[errs->n++], sizeof errs->msg[0], fmt, ap);
	va_end(ap);
}

static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int valid_hostname(const char *v)
{
	size_t l = strlen(v), lab = 0;
	if (l == 0 || l > 63 || v[0] == '-' || v[0] == '.' || v[l - 1] == '-' || v[l - 1] == '.')
		return 0;
	for (size_t i = 0; i < l; i++) {
		if (v[i] == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)v[i]) && v[i] != '-')
			return 0;
		lab++;
	}
	return 1;
}

static int valid_mac(const char *v)
{
	if (strlen(v) != 17)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? v[i] != ':' : !isxdigit((unsigned char)v[i]))
			return 0;
	}
	return 1;
}

static int valid_ifname(const char *v)
{
	size_t l = strlen(v);
	if (l == 0 || l > 15 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return 0;
	return 1;
}

static int valid_ip(int af, const char *v)
{
	unsigned char buf[16];
	return inet_pton(af, v, buf) == 1;
}

static int valid_cidr(int af, const char *v)
{
	char ip[48];
	const char *slash = strchr(v, '/');
	if (!slash || (size_t)(slash - v) >= sizeof ip || !slash[1])
		return 0;
	memcpy(ip, v, (size_t)(slash - v));
	ip[slash - v] = '\0';
	char *end;
	long len = strtol(slash + 1, &end, 10);
	if (*end || !isdigit((unsigned char)slash[1]) || len < 1 || len > (af == AF_INET ? 32 : 128))
		return 0;
	return valid_ip(af, ip);
}

/* Parse "a, b c" into a list field of CONFIG_LIST_MAX entries. */
static int set_list(char *field, size_t size, int *count, const char *v, int ip,
		    char *why, size_t wl)
{
	size_t item = size / CONFIG_LIST_MAX;
	char tmp[CONFIG_LINE_MAX], *save = NULL;
	char parsed[CONFIG_LIST_MAX][64];
	int n = 0;
	snprintf(tmp, sizeof tmp, "%s", v);
	for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (n == CONFIG_LIST_MAX) {
			snprintf(why, wl, "more than %d entries", CONFIG_LIST_MAX);
			return -1;
		}
		int ok = ip ? valid_ip(AF_INET, t) || valid_ip(AF_INET6, t)
			    : valid_hostname(t) || valid_ip(AF_INET6, t);
		if (!ok || strlen(t) >= item || strlen(t) >= sizeof parsed[0]) {
			snprintf(why, wl, "'%.64s' is not %s", t, ip ? "an IP address" : "a host name or address");
			return -1;
		}
		snprintf(parsed[n++], sizeof parsed[0], "%s", t);
	}
	memset(field, 0, size);
	for (int i = 0; i < n; i++)
		snprintf(field + (size_t)i * item, item, "%s", parsed[i]);
	*count = n;
	return 0;
}

static int valid_syslog(const char *v, char *why, size_t wl)
{
	const char *h;
	if (!*v)
		return 1;
	if (strncmp(v, "udp://", 6) == 0 || strncmp(v, "tcp://", 6) == 0)
		h = v + 6;
	else {
		snprintf(why, wl, "must be udp://HOST[:PORT] or tcp://HOST[:PORT]");
		return 0;
	}
	char host[128];
	snprintf(host, sizeof host, "%s", h);
	char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	if (colon && host[0] != '[' && strchr(host, ':') != colon)
		colon = NULL; /* bare IPv6 without port */
	if (colon) {
		char *end;
		long p = strtol(colon + (host[0] == '[' ? 2 : 1), &end, 10);
		if (*end || p < 1 || p > 65535) {
			snprintf(why, wl, "bad port in '%s'", v);
			return 0;
		}
		*colon = '\0';
	}
	char *hn = host;
	if (hn[0] == '[') {
		hn++;
		hn[strcspn(hn, "]")] = '\0';
	}
	if (!valid_hostname(hn) && !valid_ip(AF_INET6, hn)) {
		snprintf(why, wl, "bad host in '%s'", v);
		return 0;
	}
	return 1;
}

static int parse_bool(const char *v)
{
	static const char *const t[] = { "1", "yes", "on", "true" }, *const f[] = { "0", "no", "off", "false" };
	for (int i = 0; i < 4; i++) {
		if (strcmp(v, t[i]) == 0)
			return 1;
		if (strcmp(v, f[i]) == 0)
			return 0;
	}
	return -1;
}

static int set_string(const struct key *k, char *field, const char *v, char *why, size_t wl)
{
	int ok;
	switch (k->type) {
	case KT_HOSTNAME: ok = valid_hostname(v); break;
	case KT_IFACE: ok = valid_mac(v) || valid_ifname(v); break;
	case KT_V4CIDR: ok = valid_cidr(AF_INET, v); break;
	case KT_V4: ok = valid_ip(AF_INET, v); break;
	case KT_V6CIDR: ok = valid_cidr(AF_INET6, v); break;
	case KT_V6: ok = valid_ip(AF_INET6, v); break;
	case KT_SEARCH: ok = 1; for (const char *p = v; *p; p++) ok &= isalnum((unsigned char)*p) || strchr(".- ", *p) != NULL; break;
	case KT_SYSLOG: if (!valid_syslog(v, why, wl)) return -1; ok = 1; break;
	default: ok = 0;
	}
	if (ok && strlen(v) < k->size) {
		snprintf(field, k->size, "%s", v);
		return 0;
	}
	snprintf(why, wl, "invalid value '%.64s'", v);
	return -1;
}

int config_set(struct config *c, const char *key, const char *v, char *why, size_t wl)
{
	const struct key *k = key_find(key);
	char *field = (char *)c + (k ? k->off : 0);
	if (!k) {
		snprintf(why, wl, "unknown key '%.40s'", key);
		return -1;
	}
	if (!*v) { /* an empty value restores the default */
		struct config d;
		config_defaults(&d);
		memcpy(field, (char *)&d + k->off, k->size);
		if (k->cnt_off)
			*(int *)((char *)c + k->cnt_off) = 0;
		return 0;
	}
	if (k->type == KT_ENUM) {
		for (int i = 0; k->enums[i]; i++)
			if (strcmp(v, k->enums[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		snprintf(why, wl, "'%.40s' is not one of", v);
		for (int i = 0; k->enums[i]; i++) {
			size_t l = strlen(why);
			snprintf(why + l, wl - l, " %s", k->enums[i]);
		}
		return -1;
	}
	if (k->type == KT_INT) {
		char *end;
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < k->min || n > k->max) {
			snprintf(why, wl, "'%.40s' is not a number from %d to %d", v, k->min, k->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	}
	if (k->type == KT_BOOL) {
		int b = parse_bool(v);
		if (b < 0) {
			snprintf(why, wl, "'%.40s' is not yes/no", v);
			return -1;
		}
		*(int *)field = b;
		return 0;
	}
	if (k->type == KT_IPLIST || k->type == KT_HOSTLIST)
		return set_list(field, k->size, (int *)((char *)c + k->cnt_off), v,
				k->type == KT_IPLIST, why, wl);
	return set_string(k, field, v, why, wl);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
		s[--l] = '\0';
	return s;
}

/* Keys owned by the agent (mgmt-agent/agent_conf.c, docs/config.md) live in
 * the same file; init knows their names so that a misspelt one is reported
 * like any other unknown key, and leaves their values to the agent
 * (update_trial_timeout is init's own: its trial watchdog). */
static const char *const agent_keys[] = { "update_grace", "agent_max_conns", "agent_max_unauth",
					   "agent_handshake_ms", "agent_conns_per_cert", "agent_streams_per_cert",
					   "agent_cert_days", NULL };

static int foreign_key(const char *k)
{
	for (int i = 0; agent_keys[i]; i++)
		if (!strcmp(k, agent_keys[i]))
			return 1;
	return 0;
}

static void parse_line(struct config *c, const char *origin, int lineno, char *line,
		       int *seen, struct config_errors *errs)
{
	char *s = trim(line), why[120];
	if (!*s || *s == '#')
		return;
	char *eq = strchr(s, '=');
	if (!eq) {
		config_error(errs, "%s:%d: expected key = value", origin, lineno);
		return;
	}
	*eq = '\0';
	char *k = trim(s), *v = trim(eq + 1);
	size_t vl = strlen(v);
	if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
		v[vl - 1] = '\0';
		v++;
	}
	if (!*k) {
		config_error(errs, "%s:%d: missing key before '='", origin, lineno);
		return;
	}
	if (foreign_key(k))
		return;
	const struct key *kd = key_find(k);
	if (kd && seen[kd - keys])
		config_error(errs, "%s:%d: duplicate key '%s' (first at line %d); this one wins",
			     origin, lineno, k, seen[kd - keys]);
	if (config_set(c, k, v, why, sizeof why) != 0) {
		if (kd)
			config_error(errs, "%s:%d: %s: %s", origin, lineno, k, why);
		else
			config_error(errs, "%s:%d: %s", origin, lineno, why);
		return;
	}
	seen[kd - keys] = lineno;
}

void config_parse(struct config *c, const char *origin, const char *text, size_t len,
		  struct config_errors *errs)
{
	int seen[NKEYS] = { 0 }, lineno = 0;
	if (len > CONFIG_MAX_BYTES) {
		config_error(errs, "%s: %zu bytes, larger than %d: ignored", origin, len, CONFIG_MAX_BYTES);
		return;
	}
	size_t i = 0;
	while (i < len) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		lineno++;
		char line[CONFIG_LINE_MAX];
		if (e - i >= sizeof line) {
			config_error(errs, "%s:%d: line longer than %d bytes: ignored", origin, lineno, CONFIG_LINE_MAX - 1);
		} else if (memchr(text + i, '\0', e - i)) {
			config_error(errs, "%s:%d: NUL byte in line: ignored", origin, lineno);
		} else {
			memcpy(line, text + i, e - i);
			line[e - i] = '\0';
			parse_line(c, origin, lineno, line, seen, errs);
		}
		i = e + 1;
	}
}

void config_apply_cmdline(struct config *c, const char *cmdline, struct config_errors *errs)
{
	char buf[4096], *save = NULL, why[120];
	snprintf(buf, sizeof buf, "%s", cmdline);
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(w, "wafer.", 6) != 0)
			continue;
		char *k = w + 6, *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		if (strcmp(k, "slot") == 0 || strcmp(k, "boot") == 0 || strcmp(k, "medium") == 0 ||
		    strcmp(k, "medium_wait") == 0 || strncmp(k, "test.", 5) == 0 || foreign_key(k))
			continue;
		if (!eq) {
			config_error(errs, "cmdline: wafer.%s: missing '=value'", k);
			continue;
		}
		if (config_set(c, k, eq + 1, why, sizeof why) != 0)
			config_error(errs, "cmdline: wafer.%s: %s", k, why);
	}
}

void config_check(struct config *c, struct config_errors *errs)
{
	if (c->ipv4 == CFG_IPV4_STATIC && !c->ipv4_address[0]) {
		config_error(errs, "config: ipv4 = static needs ipv4_address; using DHCP");
		c->ipv4 = CFG_IPV4_DHCP;
	}
	if (c->ipv6 == CFG_IPV6_STATIC && !c->ipv6_address[0]) {
		config_error(errs, "config: ipv6 = static needs ipv6_address; using SLAAC");
		c->ipv6 = CFG_IPV6_SLAAC;
	}
	if (c->ipv4 == CFG_IPV4_OFF && c->ipv6 == CFG_IPV6_OFF) {
		config_error(errs, "config: ipv4 and ipv6 both off would leave the host unreachable; using DHCP");
		c->ipv4 = CFG_IPV4_DHCP;
	}
}
