/* update_run.c: one update: the request body streams through the bundle
 * reader (signature checked before any payload byte) into the inactive
 * slot's .new files (lib/update_slot); the ESP is mounted read-write only
 * once the header passed the policy (board, version, length), and the state
 * allows it; then commit (rename, version, read back) and the try state
 * (lib/abstate). On any failure the .new files go and the state file is
 * untouched. docs/updates.md describes the steps. */
#include "update.h"
#include "errbuf.h"
#include "update_slot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct run {
	struct upd_job *j;
	struct upd_reader r;
	struct upd_slot_writer w;
	bool writer_ready;
	char esp[256];
	struct ab_env env;
};

/* Refuse from inside a reader callback: the status and message stick. */
static int refuse(struct run *x, int status, const char *code, const char *msg)
{
	x->j->status = status;
	snprintf(x->j->code, sizeof x->j->code, "%s", code);
	snprintf(x->j->msg, sizeof x->j->msg, "%s", msg);
	upd_reader_error(&x->r, "%.190s", msg);
	return -1;
}

static uint64_t file_size(const char *dir, const char *name)
{
	char p[600];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

static void remove_slot_files(const char *dir)
{
	static const char *const names[] = { "vmlinuz", "initramfs.img", "version", "vmlinuz.new",
					     "initramfs.img.new" };
	char p[340];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
}

/* The bundle is signed and its header valid: decide, then open the slot. */
static int on_header(void *ctx, const struct upd_info *info)
{
	struct run *x = ctx;
	struct upd_job *j = x->j;
	char msg[300], slot = 0, p[300], vpath[320];
	int st;
	snprintf(j->version, sizeof j->version, "%s", info->version);
	if ((st = upd_check_length(info, j->content_length, msg, sizeof msg)))
		return refuse(x, st, "bad_bundle", msg);
	if ((st = upd_check_header(info, j->board, j->running_version, j->force, msg, sizeof msg)))
		return refuse(x, st, "policy", msg);
	if ((st = upd_check_state(&j->host, &j->cached, &slot, msg, sizeof msg)))
		return refuse(x, st, "conflict", msg);
	/* accepted: only now does the boot medium come into play */
	if (j->mount && j->mount(j->mctx, x->esp, sizeof x->esp, msg, sizeof msg))
		return refuse(x, 500, "storage", msg);
	j->touched = true;
	snprintf(p, sizeof p, "%.256s/%s", x->esp, upd_state_file(&j->host));
	if (ab_file_load(p, j->host.fmt, &x->env, msg, sizeof msg))
		return refuse(x, 500, "storage", msg);
	ab_state_get(&x->env, &j->st);
	if ((st = upd_check_state(&j->host, &j->st, &slot, msg, sizeof msg)))
		return refuse(x, st, "conflict", msg);
	j->slot = slot;
	snprintf(p, sizeof p, "%.256s/%c", x->esp, slot);
	mkdir(p, 0755);
	snprintf(vpath, sizeof vpath, "%s/version", p);
	FILE *f = fopen(vpath, "r");
	if (f) {
		if (fgets(j->previous_version, sizeof j->previous_version, f))
			j->previous_version[strcspn(j->previous_version, "\r\n")] = '\0';
		fclose(f);
	}
	struct statvfs sv;
	bool remove_old;
	if (statvfs(p, &sv) != 0) {
		snprintf(msg, sizeof msg, "statvfs %.200s: %s", p, strerror(errno));
		return refuse(x, 500, "storage", msg);
	}
	uint64_t need = info->size[UPD_PART_KERNEL] + info->size[UPD_PART_INITRAMFS];
	uint64_t reclaim = file_size(p, "vmlinuz") + file_size(p, "initramfs.img") +
			   file_size(p, "vmlinuz.new") + file_size(p, "initramfs.img.new");
	if ((st = upd_check_space(need, (uint64_t)sv.f_bavail * sv.f_frsize, reclaim, &remove_old, msg,
				  sizeof msg)))
		return refuse(x, st, "no_space", msg);
	if (remove_old) {
		remove_slot_files(p);
		j->removed_old = true;
	}
	if (upd_slot_init(&x->w, p))
		return refuse(x, 500, "storage", x->w.err);
	x->writer_ready = true;
	if (upd_slot_header(&x->w, info))
		return refuse(x, 500, "storage", x->w.err);
	return 0;
}

static int on_data(void *ctx, enum upd_part part, const uint8_t *buf, size_t len)
{
	struct run *x = ctx;
	if (upd_slot_data(&x->w, part, buf, len))
		return refuse(x, strstr(x->w.err, strerror(ENOSPC)) ? 507 : 500, "storage", x->w.err);
	return 0;
}

static int on_done(void *ctx, enum upd_part part)
{
	struct run *x = ctx;
	if (upd_slot_part_done(&x->w, part))
		return refuse(x, 500, "storage", x->w.err);
	return 0;
}

static void finish(struct run *x)
{
	struct upd_job *j = x->j;
	char p[300];
	if (upd_slot_commit(&x->w)) {
		j->status = strstr(x->w.err, strerror(ENOSPC)) ? 507 : 500;
		snprintf(j->code, sizeof j->code, "storage");
		snprintf(j->msg, sizeof j->msg, "%s", x->w.err);
		return;
	}
	if (ab_try(&j->st, j->slot, UPD_TRIES, j->version, j->msg, sizeof j->msg) ||
	    ab_state_put(&x->env, &j->st)) {
		j->status = 500;
		snprintf(j->code, sizeof j->code, "internal");
		if (!j->msg[0])
			snprintf(j->msg, sizeof j->msg, "cannot set the try state");
		return;
	}
	snprintf(p, sizeof p, "%.256s/%s", x->esp, upd_state_file(&j->host));
	if (ab_file_store(p, &x->env, j->msg, sizeof j->msg)) {
		j->status = 500;
		snprintf(j->code, sizeof j->code, "storage");
		return;
	}
	j->status = 200;
}

void upd_run(struct upd_job *j)
{
	struct run *x = calloc(1, sizeof *x);
	char *buf = malloc(65536);
	j->status = 0;
	j->code[0] = j->msg[0] = j->version[0] = j->previous_version[0] = '\0';
	j->slot = 0;
	j->bytes = 0;
	j->touched = j->removed_old = false;
	if (!x || !buf) {
		free(x);
		free(buf);
		j->status = 500;
		snprintf(j->code, sizeof j->code, "internal");
		snprintf(j->msg, sizeof j->msg, "out of memory");
		return;
	}
	x->j = j;
	x->w.fd = -1;
	struct upd_callbacks cb = { on_header, on_data, on_done, x };
	/* the board is checked by the policy (422), not by the reader (400) */
	if (upd_reader_init(&x->r, j->pub, j->publen, "", &cb)) {
		j->status = 500;
		snprintf(j->code, sizeof j->code, "release_key");
		snprintf(j->msg, sizeof j->msg, "%s", x->r.err);
	}
	int n = 0;
	while (!j->status) {
		n = j->read(j->rctx, buf, 65536);
		if (n < 0) {
			j->status = -1;
			snprintf(j->msg, sizeof j->msg, "upload interrupted after %llu bytes",
				 (unsigned long long)j->bytes);
			break;
		}
		if (n == 0)
			break;
		j->bytes += (uint64_t)n;
		if (j->progress)
			j->progress(j->pctx, j->bytes);
		if (upd_reader_feed(&x->r, buf, (size_t)n))
			break;
	}
	if (!j->status && n == 0 && upd_reader_finish(&x->r) == 0)
		finish(x);
	else if (!j->status || (j->status != -1 && !j->msg[0])) {
		if (!j->status) {
			j->status = 400;
			snprintf(j->code, sizeof j->code, "bad_bundle");
		}
		snprintf(j->msg, sizeof j->msg, "%s", x->r.err);
	}
	if (j->status != 200 && x->writer_ready)
		upd_slot_abort(&x->w);
	if (j->touched && j->umount)
		j->umount(j->mctx);
	upd_reader_free(&x->r);
	free(buf);
	free(x);
}
