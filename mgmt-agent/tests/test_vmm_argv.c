/* test_vmm_argv.c: the agent's wafer-vmm command line (vm_argv.c), built
 * for the largest spec the agent accepts and for the smallest, parsed with
 * the VMM's own parser (hypervisor/config.c): every value arrives whole, and
 * both sides agree on the limits of lib/wafer_contract.h. */
#include "config.h"
#include "vms/vm.h"
#include "wtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool img(const char *n) { (void)n; return true; }
static const struct vm_limits lim = { .max_vcpus = WAFER_VM_VCPUS_MAX,
				      .max_memory_mib = WAFER_VM_MEMORY_MIB_MAX, .image_exists = img };

static int spec(const char *json, struct vm_spec *out, char *err)
{
	struct json_doc d;
	if (json_parse(&d, json, strlen(json), NULL, NULL))
		return -2;
	int rc = vm_spec_parse(json_root(&d), NULL, &lim, out, err, 256);
	json_doc_free(&d);
	return rc;
}

/* Build s's command line and parse it as wafer-vmm would. */
static int roundtrip_fds(const struct vm_spec *s, bool saved, struct vmm_argv *a, struct vmm_config *c, char *err)
{
	struct vmm_fds fds = { .control = 3 + s->ndisks + s->nnics, .exit = 4 + s->ndisks + s->nnics };
	if (saved) {   /* a suspended VM's start: where to save, and what to resume */
		fds.state = 5 + s->ndisks + s->nnics;
		fds.restore = 6 + s->ndisks + s->nnics;
	}
	for (int i = 0; i < s->ndisks; i++)
		fds.disk[i] = 3 + i;
	for (int i = 0; i < s->nnics; i++)
		fds.nic[i] = 3 + s->ndisks + i;
	if (vm_vmm_argv(s, "0123456789ab", &fds, a) < 0)
		return -2;
	return config_parse(c, a->n, a->v, err, 256);
}

static int roundtrip(const struct vm_spec *s, struct vmm_argv *a, struct vmm_config *c, char *err)
{
	return roundtrip_fds(s, false, a, c, err);
}

static void t_largest(void)
{
	char json[16384], err[256], name[WAFER_NAME_MAX + 1], cmd[WAFER_CMDLINE_MAX + 1];
	memset(name, 'n', WAFER_NAME_MAX);
	name[WAFER_NAME_MAX] = '\0';
	/* a command line at the limit, with the characters a shell would mangle */
	for (int i = 0; i < WAFER_CMDLINE_MAX; i++)
		cmd[i] = "a =\\'$;,x"[i % 9];
	cmd[WAFER_CMDLINE_MAX] = '\0';
	char esc[2 * WAFER_CMDLINE_MAX + 1], *e = esc;
	for (const char *p = cmd; *p; p++) {
		if (*p == '\\' || *p == '"')
			*e++ = '\\';
		*e++ = *p;
	}
	*e = '\0';
	int n = snprintf(json, sizeof json, "{\"name\":\"%s\",\"vcpus\":%d,\"memory_mib\":%d,"
			 "\"boot\":{\"kernel\":\"%s\",\"initrd\":\"%s\",\"cmdline\":\"%s\"},\"disks\":[",
			 name, WAFER_VM_VCPUS_MAX, WAFER_VM_MEMORY_MIB_MAX, name, name, esc);
	for (int i = 0; i < WAFER_VM_DISKS_MAX; i++)
		n += snprintf(json + n, sizeof json - (size_t)n, "%s{\"size_mib\":%d%s}", i ? "," : "", i + 1,
			      i % 2 ? ",\"readonly\":true" : "");
	n += snprintf(json + n, sizeof json - (size_t)n, "],\"nics\":[");
	for (int i = 0; i < WAFER_VM_NICS_MAX; i++)
		n += snprintf(json + n, sizeof json - (size_t)n, "%s{\"mac\":\"52:54:00:00:00:%02x\"}", i ? "," : "",
			      i + 16);
	snprintf(json + n, sizeof json - (size_t)n, "]}");

	struct vm_spec s;
	int rc = spec(json, &s, err);
	WT_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "  spec: %s\n", err);
		return;
	}
	static struct vmm_argv a;
	struct vmm_config c;
	rc = roundtrip(&s, &a, &c, err);
	WT_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "  vmm: %s\n", err);
		return;
	}
	WT_EQ_STR(c.id, "0123456789ab");
	WT_EQ_INT(c.vcpus, WAFER_VM_VCPUS_MAX);
	WT_EQ_INT(c.memory_mib, WAFER_VM_MEMORY_MIB_MAX);
	WT_EQ_INT(c.boot.kind, BOOT_KERNEL);
	WT_EQ_STR(c.boot.kernel, "/boot/kernel");
	WT_EQ_STR(c.boot.initrd, "/boot/initrd");
	WT_EQ_STR(c.boot.cmdline, cmd);
	WT_EQ_INT(c.ndisks, WAFER_VM_DISKS_MAX);
	for (int i = 0; i < c.ndisks; i++) {
		char id[16];
		snprintf(id, sizeof id, "disk%d", i);
		WT_EQ_INT(c.disks[i].fd, 3 + i);
		WT_EQ_INT(c.disks[i].readonly, i % 2 == 1);
		WT_EQ_STR(c.disks[i].id, id);
	}
	WT_EQ_INT(c.nnets, WAFER_VM_NICS_MAX);
	for (int i = 0; i < c.nnets; i++) {
		WT_EQ_INT(c.nets[i].fd, 3 + WAFER_VM_DISKS_MAX + i);
		WT_EQ_INT(c.nets[i].mac[5], i + 16);
		WT_CHECK(c.nets[i].mac_set);
	}
	WT_CHECK(c.rng);
	WT_EQ_INT(c.control_fd, 3 + WAFER_VM_DISKS_MAX + WAFER_VM_NICS_MAX);
	WT_EQ_INT(c.exit_fd, 4 + WAFER_VM_DISKS_MAX + WAFER_VM_NICS_MAX);
	WT_EQ_INT(c.state_fd, -1);
	WT_EQ_INT(c.restore_fd, -1);
	/* the largest line: a suspended VM's start also passes the saved state */
	WT_EQ_INT(roundtrip_fds(&s, true, &a, &c, err), 0);
	WT_EQ_INT(c.state_fd, 5 + WAFER_VM_DISKS_MAX + WAFER_VM_NICS_MAX);
	WT_EQ_INT(c.restore_fd, 6 + WAFER_VM_DISKS_MAX + WAFER_VM_NICS_MAX);
	WT_CHECK(a.n <= VMM_ARGV_MAX);
}

static void t_smallest(void)
{
	char err[256];
	struct vm_spec s;
	static struct vmm_argv a;
	struct vmm_config c;
	WT_EQ_INT(spec("{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", &s, err), 0);
	WT_EQ_INT(roundtrip(&s, &a, &c, err), 0);
	WT_EQ_INT(c.vcpus, 1);
	WT_EQ_INT(c.memory_mib, WAFER_VM_MEMORY_MIB_MIN);
	WT_CHECK(c.boot.initrd == NULL);
	WT_EQ_STR(c.boot.cmdline, "console=ttyS0");
	WT_EQ_INT(c.ndisks, 0);
	WT_EQ_INT(c.nnets, 0);
	WT_EQ_INT(c.control_fd, 3);
	WT_EQ_INT(c.exit_fd, 4);
}

/* One over each limit is refused by both: the agent first, with the limit. */
static void t_over(void)
{
	char err[256], cmd[WAFER_CMDLINE_MAX + 2], json[4096];
	struct vm_spec s;
	memset(cmd, 'x', WAFER_CMDLINE_MAX + 1);
	cmd[WAFER_CMDLINE_MAX + 1] = '\0';
	snprintf(json, sizeof json, "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\","
		 "\"cmdline\":\"%s\"}}", cmd);
	WT_EQ_INT(spec(json, &s, err), -1);
	WT_CHECK(strstr(err, "2047") != NULL);
	snprintf(json, sizeof json, "{\"name\":\"a\",\"vcpus\":%d,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}",
		 WAFER_VM_VCPUS_MAX + 1);
	WT_EQ_INT(spec(json, &s, err), -1);
	snprintf(json, sizeof json, "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":%d,\"boot\":{\"kernel\":\"k\"}}",
		 WAFER_VM_MEMORY_MIB_MIN - 1);
	WT_EQ_INT(spec(json, &s, err), -1);

	struct vmm_config c;
	char vc[32];
	snprintf(vc, sizeof vc, "%d", WAFER_VM_VCPUS_MAX + 1);
	char *argv1[] = { "wafer-vmm", "--id", "x", "--vcpus", vc, "--memory-mib", "64", "--kernel", "/k",
			  "--control", "/c", NULL };
	WT_EQ_INT(config_parse(&c, 11, argv1, err, sizeof err), -1);
	char *argv2[] = { "wafer-vmm", "--id", "x", "--vcpus", "1", "--memory-mib", "64", "--kernel", "/k",
			  "--cmdline", cmd, "--control", "/c", NULL };
	WT_EQ_INT(config_parse(&c, 13, argv2, err, sizeof err), -1);
	WT_CHECK(strstr(err, "2047") != NULL);
}

WTEST_MAIN("vmm_argv", WT_CASE(t_largest), WT_CASE(t_smallest), WT_CASE(t_over))
