/* vm_transfer.c: a VM out of this host and into another (vm_service.h):
 * export writes a stopped or suspended VM as a lib/vmexport stream (its
 * definition, its boot images, its disks and its saved state); import reads
 * such a stream into <data>/wafer/import/.<random>/, checks it whole, then
 * makes it a VM of this host (the same id when free, the same name and
 * MACs: the VM moved), suspended when a saved state came with it. A stream
 * refused anywhere leaves nothing behind. */
#include "vm_internal.h"
#include "vm_service.h"
#include "agent.h"
#include "fsutil.h"
#include "server/events.h"
#include "tls_x509.h"
#include "vmexport.h"
#include "wlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT_FORMAT 1

/* ---- export ---- */

int vm_svc_export(const char *key, int (*start)(void *arg), int (*out)(void *arg, const void *buf, size_t len),
		  void *arg, struct vm_result *r)
{
	struct vm *v = vm_lock_find(key, r);
	if (!v || vm_refuse_busy(v, r))
		return -1;
	if (v->pid)
		return vm_refuse_state(v, r, ": suspend or stop it first (its disks would change during the export)");
	for (int i = 0; i < v->spec.ndisks; i++)
		if (v->spec.disks[i].readonly && v->spec.disks[i].image[0]) {
			vm_fail(r, VM_E_STATE, "VM '%s': disk %d is image '%s' used in place; an export carries the VM's "
				"own disks only", v->spec.name, i, v->spec.disks[i].image);
			vm_lock_release();
			return -1;
		}
	struct vm *c = malloc(sizeof *c);
	if (!c) {
		vm_lock_release();
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	}
	*c = *v;
	bool suspended = v->state == VM_SUSPENDED;
	v->busy = "export";
	vm_lock_release();

	struct json_w jw;
	size_t jlen;
	json_w_init(&jw);
	json_w_obj_begin(&jw);
	json_w_kint(&jw, "format", EXPORT_FORMAT);
	json_w_kstr(&jw, "id", c->id);
	json_w_kuint(&jw, "created_ms", c->created_ms);
	json_w_kbool(&jw, "suspended", suspended);
	json_w_key(&jw, "spec");
	vm_spec_write(&jw, &c->spec);
	json_w_obj_end(&jw);
	char *js = json_w_finish(&jw, &jlen);
	int rc = js ? 0 : vm_fail(r, VM_E_NOMEM, "out of memory");
	/* the files, opened before the stream starts: a missing one is an error reply, not a cut stream */
	const char *fname[2 + VM_MAX_DISKS + 1];
	int fds[2 + VM_MAX_DISKS + 1], nf = 0;
	char p[512];
	for (int k = 0; rc == 0 && k < 2; k++) {
		const char *img = k ? c->spec.initrd : c->spec.kernel;
		if (!img[0])
			continue;
		vm_image_path(img, p, sizeof p);
		fname[nf] = k ? "initrd" : "kernel";
		if ((fds[nf++] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			rc = vm_fail(r, VM_E_STORAGE, "VM '%s': its boot image %s: %s", c->spec.name, p, strerror(errno));
	}
	static const char *const disk_names[] = { "disk0.img", "disk1.img", "disk2.img", "disk3.img",
						  "disk4.img", "disk5.img", "disk6.img", "disk7.img" };
	for (int i = 0; rc == 0 && i < c->spec.ndisks; i++) {
		vm_disk_path(c, i, p, sizeof p);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;   /* never started: created afresh on the other host too */
		fname[nf] = disk_names[i];
		if ((fds[nf++] = fd) < 0)
			rc = vm_fail(r, VM_E_STORAGE, "VM '%s': %s: %s", c->spec.name, p, strerror(errno));
	}
	if (rc == 0 && suspended) {
		vm_saved_path(c, false, p, sizeof p);
		fname[nf] = "state.sav";
		if ((fds[nf++] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			rc = vm_fail(r, VM_E_STORAGE, "VM '%s': its saved state %s: %s", c->spec.name, p, strerror(errno));
	}
	bool started = false;
	if (rc == 0) {
		if (start(arg)) {
			rc = vm_fail(r, VM_E_VMM, "the client is gone");
		} else {
			struct vmx_writer w;
			started = true;
			vmx_writer_init(&w, out, arg);
			rc = vmx_write_begin(&w) || vmx_write_buf(&w, "vm.json", js, jlen);
			for (int k = 0; rc == 0 && k < nf; k++)
				rc = vmx_write_fd(&w, fname[k], fds[k]);
			if (rc == 0)
				rc = vmx_write_end(&w);
			if (rc)
				vm_fail(r, VM_E_STORAGE, "export of '%s' cut: %s", c->spec.name, w.err);
			else
				wlog(WLOG_INFO, "vm", "%s: exported (%s): %llu bytes", c->spec.name,
				     suspended ? "suspended" : "stopped", (unsigned long long)w.total);
		}
	}
	for (int k = 0; k < nf; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	free(js);
	vm_lock_take();
	if ((v = vm_find(c->id)) != NULL)
		v->busy = NULL;
	vm_lock_release();
	free(c);
	if (rc && started)
		wlog(WLOG_WARN, "vm", "%s", r->msg);
	return rc ? (started ? -2 : -1) : 0;
}

/* ---- import ---- */

struct import {
	char dir[512];            /* the staging folder */
	char *json;               /* vm.json */
	size_t json_len;
	int fd;                   /* the file being received */
	char name[16];
	bool nospace;
	bool exists;              /* a VM of that name is here */
	bool have[3];             /* kernel, initrd, state.sav received */
	struct vm_spec spec;
	char id[VM_ID_LEN + 1];
	bool suspended;
	char err[256];
};

static int imp_begin(void *arg, const char *name, uint64_t size, char *err, size_t errlen)
{
	struct import *im = arg;
	char p[560];
	snprintf(im->name, sizeof im->name, "%s", name);
	if (!strcmp(name, "vm.json")) {
		im->json = calloc(1, size + 1);
		if (!im->json) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		im->json_len = size;
		return 0;
	}
	snprintf(p, sizeof p, "%s/%s", im->dir, name);
	im->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (im->fd < 0 || ftruncate(im->fd, (off_t)size) < 0) {
		im->nospace = errno == ENOSPC || errno == EFBIG;
		snprintf(err, errlen, "cannot create %s (%llu bytes): %s", p, (unsigned long long)size, strerror(errno));
		return -1;
	}
	return 0;
}

static int imp_data(void *arg, uint64_t off, const void *buf, size_t len, char *err, size_t errlen)
{
	struct import *im = arg;
	if (!strcmp(im->name, "vm.json")) {
		memcpy(im->json + off, buf, len);   /* the reader keeps it within the file's size */
		return 0;
	}
	const char *b = buf;
	while (len) {
		ssize_t n = pwrite(im->fd, b, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			im->nospace = n < 0 && errno == ENOSPC;
			snprintf(err, errlen, "%s: %s", im->name, n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		b += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* vm.json, complete: what VM comes; refused early if it cannot be one here. */
static int imp_vm_json(struct import *im, char *err, size_t errlen)
{
	static const char *const keys[] = { "format", "id", "created_ms", "suspended", "spec", NULL };
	struct json_doc d;
	struct json_err je;
	char e2[256];
	int64_t fmt;
	if (json_parse(&d, im->json, im->json_len, NULL, &je)) {
		snprintf(err, errlen, "vm.json: %s", je.msg);
		return -1;
	}
	const struct json_node *o = json_root(&d), *s = json_get(o, "suspended");
	const char *id = json_get_str(o, "id");
	int rc = -1;
	if (!json_is(o, JSON_OBJECT) || json_check_keys(o, keys, e2, sizeof e2))
		snprintf(err, errlen, "vm.json: %s", json_is(o, JSON_OBJECT) ? e2 : "not an object");
	else if (json_get_int_range(o, "format", EXPORT_FORMAT, EXPORT_FORMAT, &fmt, e2, sizeof e2))
		snprintf(err, errlen, "vm.json: an export of another format: %s", e2);
	else if (!json_is(s, JSON_BOOL))
		snprintf(err, errlen, "vm.json: 'suspended' must be true or false");
	else if (vm_spec_parse(json_get(o, "spec"), NULL, NULL, &im->spec, e2, sizeof e2))
		snprintf(err, errlen, "vm.json: its definition: %s", e2);
	else
		rc = 0;
	if (rc == 0) {
		im->suspended = s->bval;
		snprintf(im->id, sizeof im->id, "%s", id && strlen(id) == VM_ID_LEN ? id : "");
		for (int i = 0; i < im->spec.ndisks && rc == 0; i++)
			if (im->spec.disks[i].readonly && im->spec.disks[i].image[0]) {
				snprintf(err, errlen, "disk %d is image '%s' used in place: not carried by an export", i,
					 im->spec.disks[i].image);
				rc = -1;
			}
		vm_lock_take();
		struct vm *v = rc ? NULL : vm_find(im->spec.name);
		if (v) {
			snprintf(err, errlen, "a VM named '%s' already exists on this host", im->spec.name);
			im->exists = true;
			rc = -1;
		}
		vm_lock_release();
	}
	json_doc_free(&d);
	return rc;
}

static int imp_end(void *arg, const char *name, char *err, size_t errlen)
{
	struct import *im = arg;
	if (!strcmp(name, "vm.json"))
		return imp_vm_json(im, err, errlen);
	int rc = fsync(im->fd) < 0 ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
	close(im->fd);
	im->fd = -1;
	if (!strcmp(name, "kernel"))
		im->have[0] = true;
	else if (!strcmp(name, "initrd"))
		im->have[1] = true;
	else if (!strcmp(name, "state.sav"))
		im->have[2] = true;
	return rc;
}

/* Files a and b hold the same bytes. */
static bool same_file(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	struct stat sa, sb;
	bool same = fa >= 0 && fb >= 0 && fstat(fa, &sa) == 0 && fstat(fb, &sb) == 0 && sa.st_size == sb.st_size;
	static char x[65536], y[65536];
	static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&buf_lock);
	while (same) {
		ssize_t n = read(fa, x, sizeof x), m = read(fb, y, sizeof y);
		if (n != m || n < 0)
			same = false;
		else if (n == 0)
			break;
		else
			same = memcmp(x, y, (size_t)n) == 0;
	}
	pthread_mutex_unlock(&buf_lock);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* The boot image k (0 kernel, 1 initrd) into the datastore's images: one
 * of that name already there must be the same. */
static int imp_image(struct import *im, int k, struct vm_result *r)
{
	const char *img = k ? im->spec.initrd : im->spec.kernel;
	char src[600], dst[512];
	if (!img[0])
		return 0;
	vm_image_path(img, dst, sizeof dst);
	bool exists = access(dst, F_OK) == 0;
	if (!im->have[k])
		return exists ? 0 : vm_fail(r, VM_E_INVALID, "the VM boots image '%s', which neither came with it nor is on "
					    "this host", img);
	snprintf(src, sizeof src, "%s/%s", im->dir, k ? "initrd" : "kernel");
	if (exists)
		return same_file(src, dst) ? 0 : vm_fail(r, VM_E_EXISTS, "image '%s' on this host differs from the one the "
							 "VM boots; rename one of them first", img);
	if (rename(src, dst) < 0)
		return vm_fail(r, VM_E_STORAGE, "cannot store image '%s': %s", img, strerror(errno));
	fs_fsync_parent(dst);
	wlog(WLOG_INFO, "vm", "image %s came with VM %s", img, im->spec.name);
	return 0;
}

int vm_svc_import(int (*in)(void *arg, void *buf, size_t len), void *arg, const char *who, struct json_w *w,
		  struct vm_result *r)
{
	struct import *im = calloc(1, sizeof *im);
	char *buf = malloc(1 << 16);
	if (!im || !buf) {
		free(im);
		free(buf);
		return vm_fail(r, VM_E_NOMEM, "out of memory");
	}
	im->fd = -1;
	unsigned char rnd[6];
	tls_rng(NULL, rnd, sizeof rnd);
	agent_path(im->dir, sizeof im->dir, agent_cfg.data_dir, "wafer/import/.%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		   rnd[2], rnd[3], rnd[4], rnd[5]);
	int rc = fs_mkdir_p(im->dir, 0700);
	if (rc) {
		vm_fail(r, VM_E_STORAGE, "cannot create %s: %s", im->dir, strerror(-rc));
		goto out;
	}
	struct vmx_reader rd;
	rd.file_begin = imp_begin;
	rd.data = imp_data;
	rd.file_end = imp_end;
	rd.arg = im;
	vmx_reader_init(&rd);
	int n;
	while ((n = in(arg, buf, 1 << 16)) > 0)
		if (vmx_feed(&rd, buf, (size_t)n))
			break;
	if (n < 0) {
		rc = vm_fail(r, VM_E_INVALID, "the stream was cut after %llu bytes", (unsigned long long)rd.total);
		goto out;
	}
	if (rd.failed || vmx_finish(&rd)) {
		rc = vm_fail(r, im->nospace ? VM_E_SPACE : im->exists ? VM_E_EXISTS : VM_E_INVALID, "import refused: %s",
			     rd.err);
		goto out;
	}
	if (im->suspended != im->have[2]) {
		rc = vm_fail(r, VM_E_INVALID, "import refused: the VM %s suspended but its saved state %s",
			     im->suspended ? "was" : "was not", im->have[2] ? "came" : "did not come");
		goto out;
	}
	if ((rc = imp_image(im, 0, r)) || (rc = imp_image(im, 1, r)))
		goto out;
	/* the stream is whole: a VM of this host */
	struct vm *v = vm_new_record(&im->spec, im->id, r);
	if (!v) {
		rc = -1;
		goto out;
	}
	v->busy = "import";
	struct vm c = *v;
	vm_lock_release();
	char dir[512], src[600], dst[600];
	agent_path(dir, sizeof dir, agent_cfg.data_dir, "wafer/vms/%s", c.id);
	rc = fs_mkdir_p(dir, 0700);
	for (int i = 0; rc == 0 && i < c.spec.ndisks; i++) {
		snprintf(src, sizeof src, "%s/disk%d.img", im->dir, i);
		vm_disk_path(&c, i, dst, sizeof dst);
		if (access(src, F_OK) == 0 && rename(src, dst) < 0)
			rc = -errno;
	}
	if (rc == 0 && im->have[2]) {
		snprintf(src, sizeof src, "%s/state.sav", im->dir);
		vm_saved_path(&c, false, dst, sizeof dst);
		if (rename(src, dst) < 0)
			rc = -errno;
	}
	char err[256] = "";
	if (rc == 0)
		rc = vm_prepare_disks(&c, err, sizeof err) ? -EIO : 0;
	if (rc == 0)
		fs_fsync_parent(dst);
	vm_lock_take();
	if (rc == 0 && (rc = vm_save_busy(v)) == 0) {
		if (im->suspended && vm_saved_stat(v))
			vm_set_state(v, VM_SUSPENDED, "imported");
	}
	v->busy = NULL;
	if (rc) {
		vm_remove_dirs(v);
		for (int i = 0; i < VM_MAX_DISKS; i++) {
			vm_disk_path(v, i, dst, sizeof dst);
			unlink(dst);
		}
		v->used = false;
		vm_lock_release();
		rc = vm_fail(r, VM_E_STORAGE, "import: cannot place the VM's files: %s", err[0] ? err : strerror(-rc));
		goto out;
	}
	events_post_str("vm.created", v->id, "name", v->spec.name);
	wlog(WLOG_INFO, "vm", "imported %s (%s, %s) by %s: %llu bytes", v->spec.name, v->id,
	     im->suspended ? "suspended" : "stopped", who, (unsigned long long)rd.total);
	rc = vm_reply_copy(v, w, r);
out:
	if (im->fd >= 0)
		close(im->fd);
	fs_remove_tree(im->dir);
	free(im->json);
	free(im);
	free(buf);
	return rc ? -1 : 0;
}
