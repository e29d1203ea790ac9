/* h_update.c: POST /api/v1/host/update (stream a signed bundle into the
 * inactive slot, set the try state, optionally reboot through init) and
 * GET /api/v1/host/update (slots, versions, state, last update, health).
 * The work is in update_run.c; docs/updates.md describes the flow. */
#include "agent.h"
#include "server/api.h"
#include "server/events.h"
#include "fsutil.h"
#include "initctl.h"
#include "tasks.h"
#include "update/update.h"
#include "wafer-version.h"
#include "wlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refuse, after reading the rest of the body: a client still sending
 * megabytes would otherwise see the connection reset instead of the answer. */
static void refuse(struct api_ctx *x, int status, const char *code, const char *msg)
{
	char buf[16384];
	while (!x->body_done && api_body_read(x, buf, sizeof buf) > 0)
		;
	if (!x->status)
		api_error(x, status, code, "%s", msg);
}

void h_update_get(struct api_ctx *x)
{
	struct upd_view v;
	struct json_w w;
	upd_view_get(&v);
	json_w_init(&w);
	upd_view_json(&v, &w);
	api_reply_w(x, 200, &w);
}

struct body { struct api_ctx *x; unsigned task; uint64_t next; };

static int body_read(void *ctx, void *buf, size_t len)
{
	struct body *b = ctx;
	return api_body_read(b->x, buf, len);
}

static void body_progress(void *ctx, uint64_t bytes)
{
	struct body *b = ctx;
	if (bytes >= b->next) {
		task_progress(b->task, bytes);
		b->next = bytes + (1u << 20);
	}
}

static int mount_rw(void *ctx, char *dir, size_t n, char *err, size_t errlen)
{
	(void)ctx;
	return esp_mount(true, dir, n, err, errlen);
}

static void umount_esp(void *ctx)
{
	(void)ctx;
	esp_umount();
}

static void set_updating(bool on, const struct upd_job *j)
{
	struct upd_view v;
	upd_view_get(&v);
	v.updating = on;
	if (j && j->status == 200) {
		v.st = j->st;
		v.state_ok = true;
		v.slot_known[j->slot - 'A'] = true;
		snprintf(v.slot_version[j->slot - 'A'], sizeof v.slot_version[0], "%s", j->version);
		snprintf(v.last.result, sizeof v.last.result, "pending");
		v.last.slot = j->slot;
		snprintf(v.last.version, sizeof v.last.version, "%s", j->version);
		snprintf(v.last.message, sizeof v.last.message, "slot %c written; the next boot tries it", j->slot);
		char p[512];
		agent_path(p, sizeof p, agent_cfg.run_dir, "update-last");
		upd_last_save(p, &v.last);
	} else if (j && j->slot && j->removed_old) {
		/* the failed update had deleted the inactive slot's old files */
		v.slot_known[j->slot - 'A'] = false;
	}
	upd_view_put(&v);
}

void h_update_post(struct api_ctx *x)
{
	char pubpath[512], *pub = NULL;
	size_t publen = 0;
	struct upd_view v;
	bool reboot = api_query_bool(x, "reboot");
	struct upd_job *j;
	if (x->req->chunked || !x->req->has_length) {
		api_error(x, 400, "bad_bundle", "bundle: Content-Length is required (send the file, not a chunked stream)");
		api_body_discard(x, 30);
		return;
	}
	if (x->req->content_length > UPD_PREAMBLE + 2ull * UPD_PART_MAX) {
		api_error(x, 400, "bad_bundle", "bundle: %llu bytes is more than any bundle can be",
			  (unsigned long long)x->req->content_length);
		return;
	}
	x->c->deadline_ms = 0;   /* 18 MB over a slow link: only the inactivity limit applies */
	if (update_lock_try()) {
		refuse(x, 409, "conflict", "another update or a commit is in progress");
		return;
	}
	upd_view_get(&v);
	int early = 0;
	char msg[300], slot;
	if (!v.host.has_state || !v.host.slot)
		early = upd_check_state(&v.host, &v.st, &slot, msg, sizeof msg);
	else if (!v.state_ok)
		early = 409, snprintf(msg, sizeof msg, "the A/B state is not readable: %s", v.state_err);
	else
		early = upd_check_state(&v.host, &v.st, &slot, msg, sizeof msg);
	if (early) {
		update_unlock();
		refuse(x, early, "conflict", msg);
		return;
	}
	agent_path(pubpath, sizeof pubpath, agent_cfg.etc_dir, "release.pub.pem");
	if (fs_read_file(pubpath, 16384, &pub, &publen) != 0 || !(j = calloc(1, sizeof *j))) {
		free(pub);
		update_unlock();
		api_error(x, 500, "release_key", "cannot read the release key %s", pubpath);
		return;
	}
	set_updating(true, NULL);
	uint64_t t0 = wlog_now_ms();
	struct body b = { x, task_begin("host-update", "host", x->req->content_length), 0 };
	j->host = v.host;
	j->cached = v.st;
	j->pub = (const uint8_t *)pub;
	j->publen = publen + 1;   /* PEM: the parser wants the NUL */
	j->board = WAFER_BOARD;
	j->running_version = agent_version();
	j->force = api_query_bool(x, "force");
	j->content_length = x->req->content_length;
	j->mount = mount_rw;
	j->umount = umount_esp;
	j->read = body_read;
	j->rctx = &b;
	j->progress = body_progress;
	j->pctx = &b;
	wlog(WLOG_INFO, "update", "update requested by %s (%s): %llu bytes%s%s", x->c->cn, x->c->peer,
	     (unsigned long long)x->req->content_length, j->force ? ", force" : "", reboot ? ", reboot" : "");
	upd_run(j);
	free(pub);
	uint64_t ms = wlog_now_ms() - t0;
	task_progress(b.task, j->bytes);
	set_updating(false, j);
	if (j->status != 200) {
		task_end(b.task, j->msg);
		wlog(WLOG_WARN, "update", "update by %s refused or failed (%d): %s", x->c->cn, j->status, j->msg);
		update_unlock();
		if (j->status > 0)
			refuse(x, j->status, j->code[0] ? j->code : "bad_bundle", j->msg);
		free(j);
		return;
	}
	task_end(b.task, NULL);
	update_unlock();
	wlog(WLOG_INFO, "update", "slot %c written with version %s (was %s) in %llu ms by %s; next boot tries it",
	     j->slot, j->version, j->previous_version[0] ? j->previous_version : "-", (unsigned long long)ms,
	     x->c->cn);
	char s[2] = { j->slot, 0 };
	struct json_w ev;
	events_data(&ev);
	json_w_kstr(&ev, "slot", s);
	json_w_kstr(&ev, "version", j->version);
	json_w_kuint(&ev, "bytes", j->bytes);
	json_w_kbool(&ev, "reboot", reboot);
	events_post("host.update.written", NULL, &ev);
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "slot", s);
	json_w_kstr(&w, "version", j->version);
	json_w_kstr(&w, "previous_version", j->previous_version);
	json_w_kuint(&w, "bytes", j->bytes);
	json_w_kuint(&w, "written_ms", ms);
	json_w_kbool(&w, "reboot", reboot);
	json_w_kstr(&w, "outcome", "pending");
	json_w_kuint(&w, "task", b.task);
	json_w_obj_end(&w);
	free(j);
	if (reboot)
		x->keep_alive = false;
	api_reply_w(x, 200, &w);
	if (reboot) {
		char sock[512];
		if (agent_cfg.init_sock)
			snprintf(sock, sizeof sock, "%s", agent_cfg.init_sock);
		else
			agent_path(sock, sizeof sock, agent_cfg.run_dir, "init.sock");
		int rc = initctl_reboot(sock);
		if (rc)
			wlog(WLOG_ERR, "update", "reboot through init failed: %s (the update waits for the next reboot)",
			     strerror(-rc));
		else
		{
			struct json_w pw;
			events_data(&pw);
			json_w_kstr(&pw, "action", "reboot");
			json_w_kstr(&pw, "reason", "update");
			events_post("host.power", NULL, &pw);
		}
	}
}
