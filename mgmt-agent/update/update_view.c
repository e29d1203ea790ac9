/* update_view.c: what GET /api/v1/host/update shows: the A/B state and slot
 * versions as last read from the ESP (kept in memory: the ESP is not mounted
 * in steady state), the last update's result, the health commit. */
#include "update.h"
#include "errbuf.h"
#include "fsutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upd_view view = { .grace_s = UPD_GRACE_DEFAULT, .committed_after_s = -1 };

void upd_view_get(struct upd_view *out)
{
	pthread_mutex_lock(&view_lock);
	*out = view;
	pthread_mutex_unlock(&view_lock);
}

void upd_view_put(const struct upd_view *in)
{
	pthread_mutex_lock(&view_lock);
	view = *in;
	pthread_mutex_unlock(&view_lock);
}

static void kslot(struct json_w *w, const char *k, char slot)
{
	char s[2] = { slot, 0 };
	json_w_kstr(w, k, s);
}

void upd_view_json(const struct upd_view *v, struct json_w *w)
{
	bool stateless = !v->host.has_state || !v->host.slot;
	json_w_obj_begin(w);
	json_w_kbool(w, "stateless", stateless);
	json_w_kstr(w, "boot", v->host.boot);
	kslot(w, "running_slot", v->host.slot);
	json_w_kstr(w, "running_version", v->running_version);
	json_w_kbool(w, "updating", v->updating);
	if (stateless) {
		json_w_kstr(w, "outcome", "steady");
	} else if (!v->state_ok) {
		json_w_kstr(w, "outcome", "unknown");
		json_w_kstr(w, "error", v->state_err);
	} else {
		kslot(w, "committed", v->st.committed);
		kslot(w, "trying", v->st.trying);
		json_w_kint(w, "tries_left", v->st.tries_left);
		json_w_kstr(w, "outcome", ab_outcome_name(ab_outcome(&v->st, v->host.slot)));
	}
	if (!stateless) {
		json_w_key(w, "slots");
		json_w_obj_begin(w);
		for (int i = 0; i < 2; i++) {
			json_w_key(w, i ? "B" : "A");
			json_w_obj_begin(w);
			json_w_key(w, "version");
			if (v->slot_known[i])
				json_w_str(w, v->slot_version[i]);
			else
				json_w_null(w);
			json_w_obj_end(w);
		}
		json_w_obj_end(w);
	}
	json_w_key(w, "last_update");
	if (v->last.result[0]) {
		json_w_obj_begin(w);
		json_w_kstr(w, "result", v->last.result);
		kslot(w, "slot", v->last.slot);
		json_w_kstr(w, "version", v->last.version);
		json_w_kstr(w, "message", v->last.message);
		json_w_obj_end(w);
	} else {
		json_w_null(w);
	}
	json_w_key(w, "health");
	json_w_obj_begin(w);
	json_w_kint(w, "grace_s", v->grace_s);
	json_w_key(w, "committed_after_s");
	if (v->committed_after_s >= 0)
		json_w_double(w, v->committed_after_s);
	else
		json_w_null(w);
	json_w_obj_end(w);
	json_w_obj_end(w);
}

int upd_view_read_esp(struct upd_view *v, const char *esp_dir, char *err, size_t n)
{
	char p[600], *b;
	struct ab_env env;
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%c/version", esp_dir, 'A' + i);
		v->slot_known[i] = fs_read_file(p, 256, &b, NULL) == 0;
		v->slot_version[i][0] = '\0';
		if (v->slot_known[i]) {
			snprintf(v->slot_version[i], sizeof v->slot_version[i], "%.*s", (int)strcspn(b, "\r\n"), b);
			free(b);
		}
	}
	snprintf(p, sizeof p, "%s/%s", esp_dir, upd_state_file(&v->host));
	v->state_ok = ab_file_load(p, v->host.fmt, &env, v->state_err, sizeof v->state_err) == 0;
	if (!v->state_ok) {
		seterr(err, n, "%s", v->state_err);
		return -1;
	}
	ab_state_get(&env, &v->st);
	v->state_err[0] = '\0';
	return 0;
}

void upd_last_save(const char *path, const struct upd_last *l)
{
	char buf[512];
	int len = snprintf(buf, sizeof buf, "result=%s\nslot=%c\nversion=%s\nmessage=%s\n", l->result,
			   l->slot ? l->slot : '-', l->version, l->message);
	if (len > 0 && (size_t)len < sizeof buf)
		fs_write_atomic(path, buf, (size_t)len, 0600);
}

static void line_val(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	out[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return;
		}
}

int upd_last_load(const char *path, struct upd_last *l)
{
	char *b, s[4];
	memset(l, 0, sizeof *l);
	if (fs_read_file(path, 4096, &b, NULL) != 0)
		return -1;
	line_val(b, "result", l->result, sizeof l->result);
	line_val(b, "slot", s, sizeof s);
	l->slot = s[0] == 'A' || s[0] == 'B' ? s[0] : 0;
	line_val(b, "version", l->version, sizeof l->version);
	line_val(b, "message", l->message, sizeof l->message);
	free(b);
	return l->result[0] ? 0 : -1;
}
