/* config.c: command-line parsing and validation for wafer-vmm. Every value
 * is range-checked; errors name the option and the offending value. */
#include "config.h"
#include "wafer_contract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char config_usage[] =
	"usage: wafer-vmm --id ID --vcpus N --memory-mib M --kernel PATH\n"
	"                 [--initrd PATH] [--cmdline STRING]\n"
	"                 [--disk path=FILE|fd=N[,readonly][,id=NAME]]...\n"
	"                 [--net tap=IFNAME|fd=N[,mac=MAC][,id=NAME][,vhost=auto|off]]...\n"
	"                 [--rng] [--balloon] [--console-ring BYTES]\n"
	"                 (--control PATH | --control-fd N) [--exit-fd N]\n"
	"                 [--state PATH | --state-fd N] [--restore PATH | --restore-fd N]\n";

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > WAFER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
				      &v[3], &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return (mac[0] & 1) ? -1 : 0;   /* no multicast MACs */
}

/* Split "k=v,k2,k3=v3" in place; calls fn for each item. */
typedef int (*item_fn)(void *obj, char *key, char *val, char *err, size_t errlen);

static int parse_items(char *s, item_fn fn, void *obj, char *err, size_t errlen)
{
	char *save = NULL;
	for (char *it = strtok_r(s, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(it, '=');
		if (eq)
			*eq++ = 0;
		if (fn(obj, it, eq, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int disk_item(void *obj, char *k, char *v, char *err, size_t errlen)
{
	struct cfg_disk *d = obj;
	uint64_t n;
	if (!strcmp(k, "path") && v && *v) {
		d->path = v;
	} else if (!strcmp(k, "fd") && v && parse_u64(v, 0, 65535, &n) == 0) {
		d->fd = (int)n;
	} else if (!strcmp(k, "readonly") && !v) {
		d->readonly = true;
	} else if (!strcmp(k, "id") && v && valid_id(v)) {
		snprintf(d->id, sizeof(d->id), "%s", v);
	} else {
		snprintf(err, errlen, "--disk: bad item '%s%s%s'", k, v ? "=" : "", v ? v : "");
		return -1;
	}
	return 0;
}

static int net_item(void *obj, char *k, char *v, char *err, size_t errlen)
{
	struct cfg_net *n = obj;
	uint64_t x;
	if (!strcmp(k, "tap") && v && *v && strlen(v) < 16) {
		n->tap = v;
	} else if (!strcmp(k, "fd") && v && parse_u64(v, 0, 65535, &x) == 0) {
		n->fd = (int)x;
	} else if (!strcmp(k, "mac") && v && parse_mac(v, n->mac) == 0) {
		n->mac_set = true;
	} else if (!strcmp(k, "id") && v && valid_id(v)) {
		snprintf(n->id, sizeof(n->id), "%s", v);
	} else if (!strcmp(k, "vhost") && v && (!strcmp(v, "auto") || !strcmp(v, "off"))) {
		n->vhost = !strcmp(v, "auto");
	} else {
		snprintf(err, errlen, "--net: bad item '%s%s%s'", k, v ? "=" : "", v ? v : "");
		return -1;
	}
	return 0;
}

static int config_check(struct vmm_config *c, char *err, size_t errlen)
{
	if (!c->id || !c->vcpus || !c->memory_mib || c->boot.kind == BOOT_NONE) {
		snprintf(err, errlen, "missing required option: %s",
			 !c->id ? "--id" : !c->vcpus ? "--vcpus" : !c->memory_mib ? "--memory-mib" :
			 "--kernel (the boot source)");
		return -1;
	}
	if ((c->state_path && c->state_fd >= 0) || (c->restore_path && c->restore_fd >= 0)) {
		snprintf(err, errlen, "give --state or --state-fd, --restore or --restore-fd, not both");
		return -1;
	}
	if (!c->control_path && c->control_fd < 0) {
		snprintf(err, errlen, "missing required option: --control or --control-fd");
		return -1;
	}
	for (int i = 0; i < c->ndisks; i++) {
		struct cfg_disk *d = &c->disks[i];
		if (!!d->path == (d->fd >= 0)) {
			snprintf(err, errlen, "--disk %d: give exactly one of path= or fd=", i + 1);
			return -1;
		}
		if (!d->id[0])
			snprintf(d->id, sizeof(d->id), "disk%d", i);
	}
	for (int i = 0; i < c->nnets; i++) {
		struct cfg_net *n = &c->nets[i];
		if (!!n->tap == (n->fd >= 0)) {
			snprintf(err, errlen, "--net %d: give exactly one of tap= or fd=", i + 1);
			return -1;
		}
		if (!n->id[0])
			snprintf(n->id, sizeof(n->id), "net%d", i);
		if (!n->mac_set) {   /* 52:54:<hash of id>:<index> */
			uint32_t h = 2166136261u;
			for (const char *p = c->id; *p; p++)
				h = (h ^ (uint8_t)*p) * 16777619u;
			uint8_t m[6] = { 0x52, 0x54, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)i };
			memcpy(n->mac, m, 6);
		}
	}
	return 0;
}

static int config_opt(struct vmm_config *c, const char *o, char *v, char *err, size_t errlen)
{
	uint64_t n;
	if (!strcmp(o, VMM_OPT_ID)) {
		if (!valid_id(v)) goto bad;
		c->id = v;
	} else if (!strcmp(o, VMM_OPT_VCPUS)) {
		if (parse_u64(v, 1, WAFER_VM_VCPUS_MAX, &n)) goto bad;
		c->vcpus = (int)n;
	} else if (!strcmp(o, VMM_OPT_MEMORY_MIB)) {
		if (parse_u64(v, WAFER_VM_MEMORY_MIB_MIN, WAFER_VM_MEMORY_MIB_MAX, &n)) goto bad;
		c->memory_mib = n;
	} else if (!strcmp(o, VMM_OPT_KERNEL)) {
		c->boot.kind = BOOT_KERNEL;
		c->boot.kernel = v;
	} else if (!strcmp(o, VMM_OPT_INITRD)) {
		c->boot.initrd = v;
	} else if (!strcmp(o, VMM_OPT_CMDLINE)) {
		if (strlen(v) > WAFER_CMDLINE_MAX) {
			snprintf(err, errlen, "%s: longer than %d bytes", o, WAFER_CMDLINE_MAX);
			return -1;
		}
		c->boot.cmdline = v;
	} else if (!strcmp(o, VMM_OPT_CONSOLE_RING)) {
		if (parse_u64(v, 4096, 64u << 20, &n)) goto bad;
		c->console_ring = (size_t)n;
	} else if (!strcmp(o, VMM_OPT_CONTROL)) {
		c->control_path = v;
	} else if (!strcmp(o, VMM_OPT_CONTROL_FD)) {
		if (parse_u64(v, 0, 65535, &n)) goto bad;
		c->control_fd = (int)n;
	} else if (!strcmp(o, VMM_OPT_EXIT_FD)) {
		if (parse_u64(v, 3, 65535, &n)) goto bad;
		c->exit_fd = (int)n;
	} else if (!strcmp(o, VMM_OPT_STATE)) {
		c->state_path = v;
	} else if (!strcmp(o, VMM_OPT_STATE_FD)) {
		if (parse_u64(v, 3, 65535, &n)) goto bad;
		c->state_fd = (int)n;
	} else if (!strcmp(o, VMM_OPT_RESTORE)) {
		c->restore_path = v;
	} else if (!strcmp(o, VMM_OPT_RESTORE_FD)) {
		if (parse_u64(v, 3, 65535, &n)) goto bad;
		c->restore_fd = (int)n;
	} else if (!strcmp(o, VMM_OPT_DISK)) {
		if (c->ndisks == CFG_MAX_DISKS) {
			snprintf(err, errlen, "--disk: at most %d disks", CFG_MAX_DISKS);
			return -1;
		}
		struct cfg_disk *d = &c->disks[c->ndisks++];
		d->fd = -1;
		return parse_items(v, disk_item, d, err, errlen);
	} else if (!strcmp(o, VMM_OPT_NET)) {
		if (c->nnets == CFG_MAX_NETS) {
			snprintf(err, errlen, "--net: at most %d interfaces", CFG_MAX_NETS);
			return -1;
		}
		struct cfg_net *nn = &c->nets[c->nnets++];
		nn->fd = -1;
		nn->vhost = true;
		return parse_items(v, net_item, nn, err, errlen);
	} else {
		snprintf(err, errlen, "unknown option '%s'", o);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: invalid value '%s'", o, v);
	return -1;
}

int config_parse(struct vmm_config *c, int argc, char **argv, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->control_fd = -1;
	c->exit_fd = -1;
	c->state_fd = -1;
	c->restore_fd = -1;
	c->console_ring = 1u << 20;
	c->boot.cmdline = "console=ttyS0";
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return 1;
		if (!strcmp(o, VMM_OPT_RNG)) { c->rng = true; continue; }
		if (!strcmp(o, VMM_OPT_BALLOON)) { c->balloon = true; continue; }
		if (i + 1 >= argc) {
			snprintf(err, errlen, "option '%s' needs a value (or is unknown)", o);
			return -1;
		}
		if (config_opt(c, o, argv[++i], err, errlen) < 0)
			return -1;
	}
	return config_check(c, err, errlen);
}
