/* test_spec.c: VM spec validation: a full valid spec, defaults, PATCH merge,
 * and each invalid field refused with a message naming it. */
#include "vms/vm.h"
#include "wtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool img(const char *n) { return strcmp(n, "missing") != 0; }
static const struct vm_limits lim = { .max_vcpus = 4, .max_memory_mib = 2048, .image_exists = img };

static int spec(const char *json, const struct vm_spec *base, struct vm_spec *out, char *err)
{
	struct json_doc d;
	if (json_parse(&d, json, strlen(json), NULL, NULL))
		return -2;
	int rc = vm_spec_parse(json_root(&d), base, &lim, out, err, 256);
	json_doc_free(&d);
	return rc;
}

static void t_valid(void)
{
	struct vm_spec s;
	char err[256];
	WT_EQ_INT(spec("{\"name\":\"web1\",\"vcpus\":2,\"memory_mib\":512,\"boot\":{\"kernel\":\"k\",\"initrd\":\"i\","
		       "\"cmdline\":\"console=ttyS0 quiet\"},\"disks\":[{\"image\":\"root\"},{\"size_mib\":100,"
		       "\"readonly\":true}],\"nics\":[{},{\"network\":\"br1\",\"mac\":\"52:54:00:aa:bb:cc\"}],"
		       "\"autostart\":true}", NULL, &s, err), 0);
	WT_EQ_STR(s.name, "web1");
	WT_EQ_INT(s.vcpus, 2);
	WT_EQ_INT(s.memory_mib, 512);
	WT_EQ_STR(s.kernel, "k");
	WT_EQ_STR(s.initrd, "i");
	WT_EQ_INT(s.ndisks, 2);
	WT_EQ_STR(s.disks[0].image, "root");
	WT_CHECK(s.disks[1].readonly);
	WT_EQ_INT(s.disks[1].size_mib, 100);
	WT_EQ_INT(s.nnics, 2);
	WT_EQ_STR(s.nics[0].network, "br0");
	WT_EQ_STR(s.nics[0].mac, "");
	WT_EQ_STR(s.nics[1].mac, "52:54:00:aa:bb:cc");
	WT_CHECK(s.autostart);
	/* defaults */
	WT_EQ_INT(spec("{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", NULL, &s, err), 0);
	WT_EQ_STR(s.cmdline, "console=ttyS0");
	WT_CHECK(!s.autostart);
	WT_EQ_INT(s.restart, VM_RESTART_NEVER);
	WT_EQ_INT(s.restart_max, VM_RESTART_MAX_DEFAULT);
	/* restart policies */
	struct vm_spec rp;
	WT_EQ_INT(spec("{\"restart\":\"on-failure\",\"restart_max\":2}", &s, &rp, err), 0);
	WT_EQ_INT(rp.restart, VM_RESTART_ON_FAILURE);
	WT_EQ_INT(rp.restart_max, 2);
	WT_EQ_INT(spec("{\"restart\":\"always\"}", &rp, &rp, err), 0);
	WT_EQ_INT(rp.restart, VM_RESTART_ALWAYS);
	WT_EQ_INT(rp.restart_max, 2);
	WT_EQ_INT(spec("{\"restart\":\"never\"}", &rp, &rp, err), 0);
	WT_EQ_INT(rp.restart, VM_RESTART_NEVER);
	/* PATCH keeps what is not given */
	struct vm_spec p;
	WT_EQ_INT(spec("{\"vcpus\":4}", &s, &p, err), 0);
	WT_EQ_INT(p.vcpus, 4);
	WT_EQ_STR(p.name, "a");
	WT_EQ_STR(p.kernel, "k");
	/* JSON round trip through the writer */
	struct json_w w;
	json_w_init(&w);
	vm_spec_write(&w, &s);
	char *t = json_w_finish(&w, NULL);
	struct vm_spec r;
	WT_EQ_INT(spec(t, NULL, &r, err), 0);
	WT_CHECK(memcmp(&r, &s, sizeof r) == 0);
	free(t);
}

struct bad { const char *json; const char *frag; };

static void t_invalid(void)
{
	static const struct bad cases[] = {
		{ "[]", "must be a JSON object" },
		{ "{\"name\":\"a\"}", "are required" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"x\":1}", "unknown field 'x'" },
		{ "{\"name\":\"-a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'name'" },
		{ "{\"name\":1,\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'name' must be a string" },
		{ "{\"name\":\"a\",\"vcpus\":5,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'vcpus' is 5, must be between 1 and 4" },
		{ "{\"name\":\"a\",\"vcpus\":0,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'vcpus' is 0" },
		{ "{\"name\":\"a\",\"vcpus\":1.5,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'vcpus' must be an integer" },
		{ "{\"name\":\"a\",\"vcpus\":\"2\",\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}", "'vcpus' must be an integer" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":4096,\"boot\":{\"kernel\":\"k\"}}", "'memory_mib' is 4096" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{}}", "'boot.kernel' is required" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"missing\"}}", "image 'missing' does not exist" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"../x\"}}", "image name '../x' is invalid" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\",\"foo\":1}}", "boot: unknown field 'foo'" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":{}}", "'disks' must be an array" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":[{}]}", "needs 'image'" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":[{\"size_mib\":-1}]}", "disks[0]" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":[{\"size_mib\":1,\"readonly\":1}]}", "readonly" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":[{},{},{},{},{},{},{},{},{}]}", "at most 8" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"nics\":[{\"mac\":\"01:00:00:00:00:01\"}]}", "unicast" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"nics\":[{\"mac\":\"52:54:00:zz:00:01\"}]}", "nics[0].mac" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"nics\":[{\"network\":\"averyveryverylongbridge\"}]}", "bridge name" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"autostart\":\"yes\"}", "'autostart'" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"restart\":\"sometimes\"}", "\"on-failure\"" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"restart\":true}", "'restart'" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"restart_max\":0}", "restart_max" },
		{ "{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"restart_max\":101}", "restart_max" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vm_spec s;
		char err[256] = "";
		wtest_current = cases[i].json;
		WT_EQ_INT(spec(cases[i].json, NULL, &s, err), -1);
		if (!strstr(err, cases[i].frag))
			fprintf(stderr, "  message was: %s\n", err);
		WT_CHECK(strstr(err, cases[i].frag) != NULL);
	}
	wtest_current = "t_invalid";
}

static void t_mac(void)
{
	char m[18];
	unsigned char b[3] = { 1, 2, 0xff };
	vm_mac_from_bytes(b, m);
	WT_EQ_STR(m, "52:54:00:01:02:ff");
	WT_CHECK(vm_mac_valid(m));
	WT_CHECK(!vm_mac_valid("00:00:00:00:00:00"));
	WT_CHECK(!vm_mac_valid("52:54:00:01:02"));
	WT_CHECK(!vm_mac_valid("52-54-00-01-02-03"));
}

/* Names at 63 and 64 characters are stored whole (a 64-character name was
 * cut to 63, and a VM then booted another image of the same prefix); 65 is
 * refused with the limit in the message. For the VM name, boot.kernel,
 * boot.initrd and a disk image. */
static void t_name_lengths(void)
{
	static const char *const fmt[] = {
		"{\"name\":\"%s\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"}}",
		"{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"%s\"}}",
		"{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\",\"initrd\":\"%s\"}}",
		"{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":16,\"boot\":{\"kernel\":\"k\"},\"disks\":[{\"image\":\"%s\"}]}",
	};
	static const char *const what[] = { "'name' is 65", "'boot.kernel': image name is 65",
					    "'boot.initrd': image name is 65", "'disks[0].image': image name is 65" };
	for (size_t f = 0; f < 4; f++)
		for (int len = 63; len <= 65; len++) {
			char name[80], json[300], err[256] = "";
			struct vm_spec s;
			memset(name, 'n', (size_t)len);
			name[len - 1] = (char)('0' + len % 10); /* differs from the shorter names */
			name[len] = '\0';
			snprintf(json, sizeof json, fmt[f], name);
			wtest_current = json;
			int rc = spec(json, NULL, &s, err);
			if (len <= WAFER_NAME_MAX) {
				WT_EQ_INT(rc, 0);
				const char *got = f == 0 ? s.name : f == 1 ? s.kernel : f == 2 ? s.initrd : s.disks[0].image;
				WT_EQ_STR(got, name);
			} else {
				WT_EQ_INT(rc, -1);
				WT_CHECK(strstr(err, what[f]) != NULL && strstr(err, "the limit is 64") != NULL);
			}
		}
	wtest_current = "t_name_lengths";
}

WTEST_MAIN("spec", WT_CASE(t_valid), WT_CASE(t_invalid), WT_CASE(t_mac), WT_CASE(t_name_lengths))
