/* vm_spec.c: validation of VM specs (JSON → struct vm_spec) and their JSON
 * form. Strict: unknown fields, wrong types and out-of-range values are
 * refused with a message naming the field. */
#include "vm.h"
#include "server/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const spec_keys[] = { "name", "vcpus", "memory_mib", "boot", "disks", "nics",
					 "autostart", "cpus", "cpu_limit_pct", "restart", "restart_max", NULL };
static const char *const boot_keys[] = { "kernel", "initrd", "cmdline", NULL };
static const char *const disk_keys[] = { "image", "size_mib", "readonly", NULL };
static const char *const nic_keys[] = { "network", "mac", NULL };

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

bool vm_mac_valid(const char *m)
{
	if (strlen(m) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (m[i] != ':')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", m[i])) {
			return false;
		}
	}
	unsigned first;
	sscanf(m, "%2x", &first);
	return (first & 1) == 0 && strcmp(m, "00:00:00:00:00:00") != 0; /* unicast */
}

void vm_mac_from_bytes(const unsigned char b[3], char out[18])
{
	snprintf(out, 18, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
}

/* A name (VM, image reference) against the one limit of wafer_contract.h:
 * 0, or -1 with a message that says what is wrong with it. */
static int check_name(const char *what, const char *v, char *err, size_t errlen)
{
	size_t len = strlen(v);
	if (len > WAFER_NAME_MAX)
		FAIL("%s is %zu characters long; the limit is %d", what, len, WAFER_NAME_MAX);
	if (!route_valid_name(v))
		FAIL("%s '%.64s' is invalid: 1-%d letters, digits, '.', '_', '-', starting with a letter or digit",
		     what, v, WAFER_NAME_MAX);
	return 0;
}

static int get_image_name(const struct json_node *o, const char *key, const char *ctx,
			  const struct vm_limits *lim, char *out, char *err, size_t errlen)
{
	const struct json_node *n = json_get(o, key);
	if (!n)
		return 0;
	if (json_is(n, JSON_NULL)) {
		out[0] = '\0';
		return 0;
	}
	if (!json_is(n, JSON_STRING))
		FAIL("'%s%s' must be a string (an image name)", ctx, key);
	char what[64];
	snprintf(what, sizeof what, "'%s%s': image name", ctx, key);
	if (check_name(what, n->str, err, errlen))
		return -1;
	if (lim && lim->image_exists && !lim->image_exists(n->str))
		FAIL("'%s%s': image '%s' does not exist (upload it with PUT /api/v1/images/%s)",
		     ctx, key, n->str, n->str);
	memcpy(out, n->str, strlen(n->str) + 1); /* checked: at most WAFER_NAME_MAX */
	return 0;
}

static int parse_boot(const struct json_node *b, const struct vm_limits *lim, struct vm_spec *s,
		      char *err, size_t errlen)
{
	if (!json_is(b, JSON_OBJECT))
		FAIL("'boot' must be an object");
	if (json_check_keys(b, boot_keys, err, errlen)) {
		char t[160];
		snprintf(t, sizeof t, "boot: %s", err);
		FAIL("%s", t);
	}
	if (get_image_name(b, "kernel", "boot.", lim, s->kernel, err, errlen) ||
	    get_image_name(b, "initrd", "boot.", lim, s->initrd, err, errlen))
		return -1;
	const struct json_node *c = json_get(b, "cmdline");
	if (c) {
		if (!json_is(c, JSON_STRING))
			FAIL("'boot.cmdline' must be a string");
		if (c->len >= sizeof s->cmdline)
			FAIL("'boot.cmdline' is longer than %zu bytes", sizeof s->cmdline - 1);
		snprintf(s->cmdline, sizeof s->cmdline, "%s", c->str);
	}
	return 0;
}

static int parse_disks(const struct json_node *a, const struct vm_limits *lim, struct vm_spec *s,
		       char *err, size_t errlen)
{
	if (!json_is(a, JSON_ARRAY))
		FAIL("'disks' must be an array");
	if (a->len > VM_MAX_DISKS)
		FAIL("'disks' has %zu entries, at most %d are allowed", a->len, VM_MAX_DISKS);
	s->ndisks = 0;
	int i = 0;
	for (const struct json_node *d = a->child; d; d = d->next, i++) {
		struct vm_disk *k = &s->disks[s->ndisks++];
		char ctx[24], m[160];
		memset(k, 0, sizeof *k);
		snprintf(ctx, sizeof ctx, "disks[%d].", i);
		if (json_check_keys(d, disk_keys, m, sizeof m))
			FAIL("'disks[%d]': %s", i, m);
		if (get_image_name(d, "image", ctx, lim, k->image, err, errlen))
			return -1;
		const struct json_node *sz = json_get(d, "size_mib");
		if (sz) {
			int64_t v;
			if (json_get_int_range(d, "size_mib", 1, 16 * 1024 * 1024, &v, m, sizeof m))
				FAIL("disks[%d]: %s", i, m);
			k->size_mib = (uint64_t)v;
		}
		if (!k->image[0] && !k->size_mib)
			FAIL("'disks[%d]' needs 'image' (to clone) or 'size_mib' (new empty disk)", i);
		const struct json_node *ro = json_get(d, "readonly");
		if (ro && !json_is(ro, JSON_BOOL))
			FAIL("'disks[%d].readonly' must be true or false", i);
		k->readonly = ro && ro->bval;
	}
	return 0;
}

static int parse_nics(const struct json_node *a, struct vm_spec *s, char *err, size_t errlen)
{
	if (!json_is(a, JSON_ARRAY))
		FAIL("'nics' must be an array");
	if (a->len > VM_MAX_NICS)
		FAIL("'nics' has %zu entries, at most %d are allowed", a->len, VM_MAX_NICS);
	s->nnics = 0;
	int i = 0;
	for (const struct json_node *n = a->child; n; n = n->next, i++) {
		struct vm_nic *k = &s->nics[s->nnics++];
		char m[160];
		memset(k, 0, sizeof *k);
		if (json_check_keys(n, nic_keys, m, sizeof m))
			FAIL("'nics[%d]': %s", i, m);
		const char *net = json_get_str(n, "network"), *mac = json_get_str(n, "mac");
		if (json_get(n, "network") && !net)
			FAIL("'nics[%d].network' must be a string", i);
		if (json_get(n, "mac") && !mac)
			FAIL("'nics[%d].mac' must be a string", i);
		if (!net)
			net = "br0";
		if (!*net || strlen(net) > 15 || !route_valid_name(net))
			FAIL("'nics[%d].network': invalid bridge name '%.32s'", i, net);
		snprintf(k->network, sizeof k->network, "%s", net);
		if (mac) {
			if (!vm_mac_valid(mac))
				FAIL("'nics[%d].mac': '%.32s' is not a unicast MAC address (xx:xx:xx:xx:xx:xx)", i, mac);
			snprintf(k->mac, sizeof k->mac, "%s", mac);
		}
	}
	return 0;
}

int vm_cpus_parse(const char *list, int ncpus, char *err, size_t errlen)
{
	const char *p = list;
	if (!*p)
		return 0;
	if (strlen(list) >= VM_CPUS_MAX)
		FAIL("'cpus' is longer than %d characters", VM_CPUS_MAX - 1);
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			FAIL("'cpus' '%s': expected a CPU number at '%.8s' (form: 0-3,6)", list, p);
		unsigned long a = strtoul(p, &end, 10), b = a;
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				FAIL("'cpus' '%s': a range needs an end (form: 0-3,6)", list);
			b = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (b < a)
			FAIL("'cpus' '%s': range %lu-%lu goes backwards", list, a, b);
		if (ncpus > 0 && b >= (unsigned long)ncpus)
			FAIL("'cpus' '%s': CPU %lu does not exist (this host has CPUs 0-%d)", list, b, ncpus - 1);
		if (!*p)
			return 0;
		if (*p++ != ',')
			FAIL("'cpus' '%s': unexpected '%c' (form: 0-3,6)", list, p[-1]);
	}
}

static int parse_cpu_fields(const struct json_node *o, const struct vm_limits *lim,
			    struct vm_spec *s, char *err, size_t errlen)
{
	const struct json_node *n = json_get(o, "cpus");
	int64_t v;
	if (n) {
		if (json_is(n, JSON_NULL)) {
			s->cpus[0] = '\0';
		} else {
			if (!json_is(n, JSON_STRING))
				FAIL("'cpus' must be a string such as \"0-3,6\" (host CPUs to pin to)");
			if (vm_cpus_parse(n->str, lim ? lim->host_cpus : 0, err, errlen))
				return -1;
			snprintf(s->cpus, sizeof s->cpus, "%s", n->str);
		}
	}
	if (json_get(o, "cpu_limit_pct")) {
		if (json_get_int_range(o, "cpu_limit_pct", 0, 100LL * 1024, &v, err, errlen))
			return -1;
		s->cpu_limit_pct = (int)v;
	}
	if (s->cpu_limit_pct && s->cpu_limit_pct < 10)
		FAIL("'cpu_limit_pct' %d is too small: at least 10 (%% of one CPU), or 0 for no limit",
		     s->cpu_limit_pct);
	if (s->cpu_limit_pct > 100 * s->vcpus)
		FAIL("'cpu_limit_pct' %d exceeds what %d vCPU(s) can use (%d)", s->cpu_limit_pct,
		     s->vcpus, 100 * s->vcpus);
	return 0;
}

int vm_spec_parse(const struct json_node *o, const struct vm_spec *base,
		  const struct vm_limits *lim, struct vm_spec *s, char *err, size_t errlen)
{
	int64_t v;
	if (!json_is(o, JSON_OBJECT))
		FAIL("the VM spec must be a JSON object");
	if (json_check_keys(o, spec_keys, err, errlen))
		return -1;
	if (base) {
		*s = *base;
	} else {
		memset(s, 0, sizeof *s);
		snprintf(s->cmdline, sizeof s->cmdline, "console=ttyS0");
		s->restart_max = VM_RESTART_MAX_DEFAULT;
		if (!json_get(o, "name") || !json_get(o, "vcpus") || !json_get(o, "memory_mib") ||
		    !json_get(o, "boot"))
			FAIL("'name', 'vcpus', 'memory_mib' and 'boot' are required");
	}
	const struct json_node *n = json_get(o, "name");
	if (n) {
		if (!json_is(n, JSON_STRING))
			FAIL("'name' must be a string");
		if (check_name("'name'", n->str, err, errlen))
			return -1;
		memcpy(s->name, n->str, strlen(n->str) + 1); /* checked: at most WAFER_NAME_MAX */
	}
	int maxc = lim && lim->max_vcpus ? lim->max_vcpus : 64;
	uint64_t maxm = lim && lim->max_memory_mib ? lim->max_memory_mib : 1048576;
	if (json_get(o, "vcpus")) {
		if (json_get_int_range(o, "vcpus", 1, maxc, &v, err, errlen))
			return -1;
		s->vcpus = (int)v;
	}
	if (json_get(o, "memory_mib")) {
		if (json_get_int_range(o, "memory_mib", 16, (int64_t)maxm, &v, err, errlen))
			return -1;
		s->memory_mib = (uint64_t)v;
	}
	if ((n = json_get(o, "boot")) && parse_boot(n, lim, s, err, errlen))
		return -1;
	if (!s->kernel[0])
		FAIL("'boot.kernel' is required (an uploaded image name)");
	if ((n = json_get(o, "disks")) && parse_disks(n, lim, s, err, errlen))
		return -1;
	if ((n = json_get(o, "nics")) && parse_nics(n, s, err, errlen))
		return -1;
	if ((n = json_get(o, "autostart"))) {
		if (!json_is(n, JSON_BOOL))
			FAIL("'autostart' must be true or false");
		s->autostart = n->bval;
	}
	if ((n = json_get(o, "restart"))) {
		int r = -1;
		for (int i = VM_RESTART_NEVER; i <= VM_RESTART_ALWAYS && json_is(n, JSON_STRING); i++)
			if (!strcmp(n->str, vm_restart_name((enum vm_restart)i)))
				r = i;
		if (r < 0)
			FAIL("'restart' must be \"never\", \"on-failure\" or \"always\"");
		s->restart = (enum vm_restart)r;
	}
	if (json_get(o, "restart_max")) {
		if (json_get_int_range(o, "restart_max", 1, VM_RESTART_MAX_LIMIT, &v, err, errlen))
			return -1;
		s->restart_max = (int)v;
	}
	return parse_cpu_fields(o, lim, s, err, errlen);
}

void vm_spec_write(struct json_w *w, const struct vm_spec *s)
{
	json_w_obj_begin(w);
	json_w_kstr(w, "name", s->name);
	json_w_kint(w, "vcpus", s->vcpus);
	json_w_kuint(w, "memory_mib", s->memory_mib);
	json_w_key(w, "boot");
	json_w_obj_begin(w);
	json_w_kstr(w, "kernel", s->kernel);
	if (s->initrd[0])
		json_w_kstr(w, "initrd", s->initrd);
	json_w_kstr(w, "cmdline", s->cmdline);
	json_w_obj_end(w);
	json_w_key(w, "disks");
	json_w_arr_begin(w);
	for (int i = 0; i < s->ndisks; i++) {
		json_w_obj_begin(w);
		if (s->disks[i].image[0])
			json_w_kstr(w, "image", s->disks[i].image);
		if (s->disks[i].size_mib)
			json_w_kuint(w, "size_mib", s->disks[i].size_mib);
		json_w_kbool(w, "readonly", s->disks[i].readonly);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_key(w, "nics");
	json_w_arr_begin(w);
	for (int i = 0; i < s->nnics; i++) {
		json_w_obj_begin(w);
		json_w_kstr(w, "network", s->nics[i].network);
		if (s->nics[i].mac[0]) /* none yet: the registry generates one at create */
			json_w_kstr(w, "mac", s->nics[i].mac);
		json_w_obj_end(w);
	}
	json_w_arr_end(w);
	json_w_kbool(w, "autostart", s->autostart);
	if (s->cpus[0])
		json_w_kstr(w, "cpus", s->cpus);
	if (s->cpu_limit_pct)
		json_w_kint(w, "cpu_limit_pct", s->cpu_limit_pct);
	json_w_kstr(w, "restart", vm_restart_name(s->restart));
	json_w_kint(w, "restart_max", s->restart_max ? s->restart_max : VM_RESTART_MAX_DEFAULT);
	json_w_obj_end(w);
}

const char *vm_restart_name(enum vm_restart r)
{
	static const char *n[] = { "never", "on-failure", "always" };
	return (unsigned)r < 3 ? n[r] : "never";
}

const char *vm_state_name(enum vm_state s)
{
	static const char *n[] = { "stopped", "starting", "running", "paused", "shutting-down", "crashed", "suspended" };
	return (unsigned)s < VM_STATES ? n[s] : "?";
}
