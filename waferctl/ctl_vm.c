/* ctl_vm.c: `waferctl vm ...`: list (table), show, create from flags (local
 * files uploaded by content hash) or a JSON spec file, power actions, rm, console (output so far, --follow, or
 * --interactive: ctl_console.c). */
#include "ctl.h"
#include "fsutil.h"
#include "wafer_contract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void print_vm_line(const struct json_node *v)
{
	const struct json_node *s = json_get(v, "spec");
	const struct json_node *c = json_get(s, "vcpus"), *m = json_get(s, "memory_mib");
	printf("%-12s %-20s %-14s %2lld vCPU %6lld MiB%s%s\n", json_get_str(v, "id"),
	       json_get_str(s, "name"), json_get_str(v, "state"), c ? (long long)c->ival : 0,
	       m ? (long long)m->ival : 0, json_get_str(v, "exit_reason") ? "  " : "",
	       json_get_str(v, "exit_reason") ? json_get_str(v, "exit_reason") : "");
}

static int vm_list(void)
{
	struct json_doc d;
	if (ctl_call_ok("GET", "/api/v1/vms", NULL, &d) < 0)
		return 1;
	static const char *const hdr[] = { "ID", "NAME", "STATE", "VCPUS", "MEMORY", "AUTOSTART", "REASON" };
	struct ctl_table *t = ctl_table_new(7, hdr);
	const struct json_node *a = json_get(json_root(&d), "vms");
	for (const struct json_node *v = a ? a->child : NULL; v; v = v->next) {
		const struct json_node *s = json_get(v, "spec");
		const struct json_node *c = json_get(s, "vcpus"), *m = json_get(s, "memory_mib");
		const struct json_node *au = json_get(s, "autostart");
		char cs[16], ms[24];
		snprintf(cs, sizeof cs, "%lld", c ? (long long)c->ival : 0);
		snprintf(ms, sizeof ms, "%lld MiB", m ? (long long)m->ival : 0);
		const char *row[] = { json_get_str(v, "id"), json_get_str(s, "name"), json_get_str(v, "state"),
				      cs, ms, au && au->bval ? "yes" : "no", json_get_str(v, "exit_reason") };
		ctl_table_row(t, row);
	}
	ctl_table_print(t);
	json_doc_free(&d);
	return 0;
}

static int vm_call(const char *method, const char *path, const char *body)
{
	struct json_doc d;
	int st = ctl_call_ok(method, path, body, &d);
	if (st < 0)
		return 1;
	if (st == 204) {
		json_doc_free(&d);
		return 0;
	}
	if (json_get(json_root(&d), "spec"))
		print_vm_line(json_root(&d));
	json_doc_free(&d);
	return 0;
}

/* ---- vm create NAME [flags] ---- */

static int usage_create(const char *fmt, const char *arg)
{
	fprintf(stderr, "waferctl: vm create: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: waferctl vm create NAME [--vcpus N] [--memory MIB] --kernel FILE|IMAGE "
			"[--initrd FILE|IMAGE]\n"
			"           [--cmdline TEXT] [--disk SIZE_MIB|FILE|IMAGE]... [--nic BRIDGE]... "
			"[--restart never|on-failure|always]\n"
			"           [--autostart] [--start]\n"
			"       waferctl vm create --spec FILE.json [--start]\n");
	return 2;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 9;
}

/* An image reference on the command line: a local file is uploaded under
 * the name sha256-<first 32 hex digits of its SHA-256> unless the host has
 * it already (so the same file is never sent twice); anything else names an
 * image on the host. out: the image name. 0, 1 (failed, said why). */
static int image_ref(const char *what, const char *arg, char out[WAFER_NAME_SIZE])
{
	struct stat st;
	if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (strchr(arg, '/')) {   /* an image name has no '/': a file that is not there */
			fprintf(stderr, "waferctl: vm create: %s: %s is not a file\n", what, arg);
			return 2;
		}
		if (!ctl_name_ok("image", arg))
			return 2;
		snprintf(out, WAFER_NAME_SIZE, "%s", arg);
		return 0;
	}
	char hex[65], got[65];
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ctl_file_sha256(fd, hex) < 0) {
		fprintf(stderr, "waferctl: %s: %s\n", arg, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	snprintf(out, WAFER_NAME_SIZE, "sha256-%.32s", hex);
	struct json_doc d;
	if (ctl_call_ok("GET", "/api/v1/images", NULL, &d) < 0)
		return 1;
	bool have = false;
	const struct json_node *a = json_get(json_root(&d), "images");
	for (const struct json_node *i = a ? a->child : NULL; i && !have; i = i->next)
		have = json_get_str(i, "name") && !strcmp(json_get_str(i, "name"), out);
	json_doc_free(&d);
	if (have) {
		fprintf(stderr, "%s: %s is on the host already as %s\n", what, arg, out);
		return 0;
	}
	uint64_t size;
	fprintf(stderr, "%s: uploading %s as %s\n", what, arg, out);
	bool json = ctl.json;
	ctl.json = false;   /* the upload's answer is not this command's output */
	int rc = ctl_image_upload(out, arg, got, &size);
	ctl.json = json;
	return rc;
}

int ctl_vm_create(int argc, char **argv)
{
	const char *name = NULL, *spec_file = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL;
	const char *restart = NULL, *disks[WAFER_VM_DISKS_MAX], *nics[WAFER_VM_NICS_MAX];
	long vcpus = 1, memory = 256;
	int ndisks = 0, nnics = 0;
	bool autostart = false, start = false, spec_flags = false;
	for (int i = 2; i < argc; i++) {
		const char *f = argv[i];
		if (f[0] != '-') {
			if (name)
				return usage_create("one NAME only ('%s' is a second)", f);
			name = f;
			continue;
		}
		if (!strcmp(f, "--autostart")) { autostart = spec_flags = true; continue; }
		if (!strcmp(f, "--start")) { start = true; continue; }
		if (i + 1 >= argc)
			return usage_create("%s needs a value", f);
		const char *v = argv[++i];
		if (!strcmp(f, "--spec")) spec_file = v;
		else if (!strcmp(f, "--vcpus") || !strcmp(f, "--memory")) {
			if (!all_digits(v) || atol(v) < 1)
				return usage_create(!strcmp(f, "--vcpus") ? "--vcpus: '%s' is not a number of vCPUs"
									   : "--memory: '%s' is not a size in MiB", v);
			*(!strcmp(f, "--vcpus") ? &vcpus : &memory) = atol(v);
			spec_flags = true;
		} else if (!strcmp(f, "--kernel")) { kernel = v; spec_flags = true; }
		else if (!strcmp(f, "--initrd")) { initrd = v; spec_flags = true; }
		else if (!strcmp(f, "--cmdline")) { cmdline = v; spec_flags = true; }
		else if (!strcmp(f, "--restart")) {
			if (strcmp(v, "never") && strcmp(v, "on-failure") && strcmp(v, "always"))
				return usage_create("--restart: '%s' is not never, on-failure or always", v);
			restart = v;
			spec_flags = true;
		} else if (!strcmp(f, "--disk")) {
			if (ndisks == WAFER_VM_DISKS_MAX)
				return usage_create("--disk: at most %s disks", "8");
			disks[ndisks++] = v;
			spec_flags = true;
		} else if (!strcmp(f, "--nic")) {
			if (nnics == WAFER_VM_NICS_MAX)
				return usage_create("--nic: at most %s NICs", "8");
			if (!*v || strlen(v) > 15)
				return usage_create("--nic: '%s' is not a bridge name (1-15 characters)", v);
			nics[nnics++] = v;
			spec_flags = true;
		} else
			return usage_create("unknown flag '%s'", f);
	}
	char *body = NULL;
	if (spec_file) {
		if (name || spec_flags)
			return usage_create("%s", "--spec takes the whole VM from the file: no NAME or other flags");
		int rc = fs_read_file(spec_file, 65536, &body, NULL);
		if (rc) {
			fprintf(stderr, "waferctl: %s: %s\n", spec_file, strerror(-rc));
			return 1;
		}
	} else {
		if (!name)
			return usage_create("%s", "a NAME is needed");
		if (!ctl_name_ok("VM", name))
			return 2;
		if (!kernel)
			return usage_create("%s", "--kernel is needed");
		char kname[WAFER_NAME_SIZE], iname[WAFER_NAME_SIZE] = "", dname[WAFER_VM_DISKS_MAX][WAFER_NAME_SIZE];
		int rc = image_ref("kernel", kernel, kname);
		if (!rc && initrd)
			rc = image_ref("initrd", initrd, iname);
		for (int d = 0; d < ndisks && !rc; d++)
			if (!all_digits(disks[d]))
				rc = image_ref("disk", disks[d], dname[d]);
		if (rc)
			return rc;
		struct json_w w;
		json_w_init(&w);
		json_w_obj_begin(&w);
		json_w_kstr(&w, "name", name);
		json_w_kint(&w, "vcpus", vcpus);
		json_w_kint(&w, "memory_mib", memory);
		json_w_key(&w, "boot");
		json_w_obj_begin(&w);
		json_w_kstr(&w, "kernel", kname);
		if (initrd)
			json_w_kstr(&w, "initrd", iname);
		if (cmdline)
			json_w_kstr(&w, "cmdline", cmdline);
		json_w_obj_end(&w);
		json_w_key(&w, "disks");
		json_w_arr_begin(&w);
		for (int d = 0; d < ndisks; d++) {
			json_w_obj_begin(&w);
			if (all_digits(disks[d]))
				json_w_kint(&w, "size_mib", atol(disks[d]));
			else
				json_w_kstr(&w, "image", dname[d]);
			json_w_obj_end(&w);
		}
		json_w_arr_end(&w);
		json_w_key(&w, "nics");
		json_w_arr_begin(&w);
		for (int n = 0; n < nnics; n++) {
			json_w_obj_begin(&w);
			json_w_kstr(&w, "network", nics[n]);
			json_w_obj_end(&w);
		}
		json_w_arr_end(&w);
		json_w_kbool(&w, "autostart", autostart);
		if (restart)
			json_w_kstr(&w, "restart", restart);
		json_w_obj_end(&w);
		body = json_w_finish(&w, NULL);
		if (!body)
			return 1;
	}
	if (ctl.json && !start) {
		int rc = ctl_cmd_raw(3, (char *[]){ "post", "/api/v1/vms", body, NULL });
		free(body);
		return rc;
	}
	struct json_doc d;
	int st = ctl_call_ok("POST", "/api/v1/vms", body, &d);
	free(body);
	if (st < 0)
		return 1;
	char id[32], path[96];
	snprintf(id, sizeof id, "%s", ctl_str(json_root(&d), "id"));
	if (!start || !ctl.json)
		print_vm_line(json_root(&d));
	json_doc_free(&d);
	if (!start)
		return 0;
	snprintf(path, sizeof path, "/api/v1/vms/%s/start", id);
	return ctl.json ? ctl_cmd_raw(3, (char *[]){ "post", path, "{}", NULL }) : vm_call("POST", path, "{}");
}

int ctl_cmd_vm(int argc, char **argv)
{
	char path[256];
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "names") && argc == 2)
		return ctl_print_names("/api/v1/vms", "vms", true);
	if (!strcmp(sub, "list") && argc == 2)
		return ctl.json ? ctl_cmd_raw(2, (char *[]){ "get", "/api/v1/vms", NULL }) : vm_list();
	if (!strcmp(sub, "move"))
		return ctl_vm_move(argc, argv);
	if (!strcmp(sub, "create")) {
		/* the older form: vm create SPEC.json (an existing .json file) */
		size_t l = argc == 3 ? strlen(argv[2]) : 0;
		if (l > 5 && !strcmp(argv[2] + l - 5, ".json") && access(argv[2], F_OK) == 0)
			return ctl_vm_create(4, (char *[]){ argv[0], argv[1], "--spec", argv[2], NULL });
		return ctl_vm_create(argc, argv);
	}
	if (argc != 3 && !(argc == 4 && !strcmp(sub, "console"))) {
		fprintf(stderr, "usage: waferctl vm list | show VM | create NAME --kernel ... | create --spec FILE.json | "
				"start|stop|shutdown|reboot|pause|resume|suspend VM | rm VM | console VM [--follow|--interactive] | "
				"move VM --to CONTEXT\n");
		return 2;
	}
	const char *vm = argv[2];
	if (!ctl_name_ok("VM", vm))
		return 2;
	if (!strcmp(sub, "show")) {
		snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
		return ctl_cmd_raw(2, (char *[]){ "get", path, NULL });
	}
	if (!strcmp(sub, "rm")) {
		snprintf(path, sizeof path, "/api/v1/vms/%s", vm);
		return vm_call("DELETE", path, NULL);
	}
	if (!strcmp(sub, "console")) {
		if (argc == 4 && (!strcmp(argv[3], "-i") || !strcmp(argv[3], "--interactive")))
			return ctl_console_interactive(vm);
		bool follow = argc == 4 && (!strcmp(argv[3], "-f") || !strcmp(argv[3], "--follow"));
		if (follow)
			ctl.timeout_ms = 0;
		snprintf(path, sizeof path, "/api/v1/vms/%s/console%s", vm, follow ? "?follow=1" : "");
		return ctl_stream(path);
	}
	static const char *const actions[] = { "start", "stop", "shutdown", "reboot", "pause", "resume", "suspend", NULL };
	for (const char *const *a = actions; *a; a++)
		if (!strcmp(sub, *a)) {
			/* a suspend writes the guest's memory, a start may read it back */
			if ((!strcmp(sub, "suspend") || !strcmp(sub, "start")) && !ctl.timeout_set)
				ctl.timeout_ms = 600000;
			snprintf(path, sizeof path, "/api/v1/vms/%s/%s", vm, *a);
			return ctl.json ? ctl_cmd_raw(3, (char *[]){ "post", path, "{}", NULL })
					: vm_call("POST", path, "{}");
		}
	fprintf(stderr, "waferctl: unknown vm command '%s'\n", sub);
	return 2;
}
