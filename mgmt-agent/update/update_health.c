/* update_health.c: what the agent does about updates when it starts: read
 * the A/B state (ESP mounted read-only for that moment), report a
 * rolled-back update (log, event, last_update; then ab_forget), and on a
 * trying boot watch health (init's services up, the API answering, the
 * update_grace period since the agent became ready) and commit the slot:
 * one write of the state file. Updates and commits are serialised. */
#include "agent.h"
#include "server/events.h"
#include "initctl.h"
#include "update.h"
#include "wlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

static pthread_mutex_t upd_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ready_ms;

int update_lock_try(void)
{
	return pthread_mutex_trylock(&upd_lock) == 0 ? 0 : -1;
}

void update_unlock(void)
{
	pthread_mutex_unlock(&upd_lock);
}

static void last_path(char *p, size_t n)
{
	agent_path(p, n, agent_cfg.run_dir, "update-last");
}

static void set_last(struct upd_view *v, const char *result, char slot, const char *version, const char *msg)
{
	char p[512];
	snprintf(v->last.result, sizeof v->last.result, "%s", result);
	v->last.slot = slot;
	snprintf(v->last.version, sizeof v->last.version, "%s", version);
	snprintf(v->last.message, sizeof v->last.message, "%s", msg);
	last_path(p, sizeof p);
	upd_last_save(p, &v->last);
}

/* Mount the ESP (rw), load the state, change it with fn, store, unmount. */
static int state_change(struct upd_view *v, int (*fn)(struct ab_state *s, char running, char *err, size_t n),
			char *err, size_t n)
{
	char dir[512], p[600];
	struct ab_env env;
	if (esp_mount(true, dir, sizeof dir, err, n))
		return -1;
	snprintf(p, sizeof p, "%s/%s", dir, upd_state_file(&v->host));
	int rc = ab_file_load(p, v->host.fmt, &env, err, n);
	if (rc == 0) {
		ab_state_get(&env, &v->st);
		rc = fn(&v->st, v->host.slot, err, n);
	}
	if (rc == 0 && ab_state_put(&env, &v->st)) {
		snprintf(err, n, "cannot encode the state");
		rc = -1;
	}
	if (rc == 0)
		rc = ab_file_store(p, &env, err, n);
	esp_umount();
	return rc;
}

static int do_forget(struct ab_state *s, char running, char *err, size_t n)
{
	(void)running, (void)err, (void)n;
	ab_forget(s);
	return 0;
}

static int do_commit(struct ab_state *s, char running, char *err, size_t n)
{
	if (ab_outcome(s, running) != AB_TRYING) {
		snprintf(err, n, "slot %c is no longer being tried (state changed: %s)", running,
			 ab_outcome_name(ab_outcome(s, running)));
		return -1;
	}
	return ab_commit(s, running, err, n);
}

static void *health_main(void *arg)
{
	(void)arg;
	char why[200] = "", last_why[200] = "", status[4096], sock[512];
	int failures = 0;
	struct upd_view v;
	upd_view_get(&v);
	wlog(WLOG_INFO, "update", "slot %c (version %s) is being tried: commit once healthy (grace %d s)",
	     v.host.slot, v.running_version, v.grace_s);
	for (;;) {
		sleep(2);
		bool svc = initctl_status(agent_init_sock(sock, sizeof sock), status, sizeof status) == 0 &&
			   upd_services_ok(status, why, sizeof why);
		if (!svc && !why[0])
			snprintf(why, sizeof why, "init's control socket does not answer");
		/* the TLS probe costs a handshake: only once the grace period is over */
		uint64_t now = wlog_now_ms();
		bool due = upd_health_decide(now, ready_ms, v.grace_s, true, true) == UPD_HEALTH_COMMIT;
		bool api = svc && due && upd_probe_api(agent_cfg.port, why, sizeof why);
		if (upd_health_decide(now, ready_ms, v.grace_s, svc, api) != UPD_HEALTH_COMMIT) {
			if (why[0] && strcmp(why, last_why)) {
				wlog(WLOG_INFO, "update", "not healthy yet: %s", why);
				snprintf(last_why, sizeof last_why, "%s", why);
			}
			why[0] = '\0';
			if (!due && svc && (now - ready_ms) / 1000 % 60 < 2)
				wlog(WLOG_INFO, "update", "healthy so far; commit in %llu s (update_grace)",
				     (unsigned long long)(((uint64_t)v.grace_s * 1000 - (now - ready_ms)) / 1000));
			continue;
		}
		while (update_lock_try())
			sleep(1);
		upd_view_get(&v);
		int rc = state_change(&v, do_commit, why, sizeof why);
		if (rc == 0) {
			v.committed_after_s = (double)(wlog_now_ms() - agent_start_ms) / 1000.0;
			char msg[200];
			snprintf(msg, sizeof msg, "version %s committed on slot %c", v.running_version, v.host.slot);
			set_last(&v, "committed", v.host.slot, v.running_version, msg);
			upd_view_put(&v);
			update_unlock();
			wlog(WLOG_INFO, "update", "%s, %.1f s after the agent started", msg, v.committed_after_s);
			char sl[2] = { v.host.slot, 0 };
			struct json_w ev;
			events_data(&ev);
			json_w_kstr(&ev, "slot", sl);
			json_w_kstr(&ev, "version", v.running_version);
			json_w_kdouble(&ev, "after_s", v.committed_after_s);
			events_post("host.update.committed", NULL, &ev);
			return NULL;
		}
		update_unlock();
		wlog(WLOG_ERR, "update", "commit of slot %c failed: %s", v.host.slot, why);
		if (++failures >= 5) {
			wlog(WLOG_ERR, "update", "giving up the commit; init's trial timeout rolls the update back");
			return NULL;
		}
		sleep(10);
	}
}

void update_boot(void)
{
	struct upd_view v;
	char *cmd = NULL, err[160] = "", dir[512], p[512];
	upd_view_get(&v);
	ready_ms = wlog_now_ms();
	if (fs_read_file(agent_cfg.cmdline, 8192, &cmd, NULL) == 0) {
		upd_host_parse(cmd, &v.host);
		free(cmd);
	}
	snprintf(v.running_version, sizeof v.running_version, "%s", agent_version());
	v.grace_s = agent_conf_int("update_grace", UPD_GRACE_DEFAULT, 0, UPD_GRACE_MAX);
	v.committed_after_s = -1;
	last_path(p, sizeof p);
	upd_last_load(p, &v.last);
	if (!v.host.has_state || !v.host.slot) {
		upd_view_put(&v);
		return;
	}
	if (esp_mount(false, dir, sizeof dir, err, sizeof err) == 0) {
		upd_view_read_esp(&v, dir, err, sizeof err);
		esp_umount();
	} else {
		v.state_ok = false;
		snprintf(v.state_err, sizeof v.state_err, "%.159s", err);
	}
	if (!v.state_ok) {
		wlog(WLOG_WARN, "update", "A/B state not readable: %s (updates refused)", err);
		upd_view_put(&v);
		return;
	}
	enum ab_outcome o = ab_outcome(&v.st, v.host.slot);
	if (o == AB_ROLLED_BACK) {
		char msg[200], ver[AB_VAL_MAX];
		char slot = v.st.attempted;
		snprintf(ver, sizeof ver, "%s", v.st.attempted_version[0] ? v.st.attempted_version : "?");
		snprintf(msg, sizeof msg, "update failed: version %s did not become healthy, rolled back", ver);
		wlog(WLOG_ERR, "update", "%s (slot %c; running slot %c, version %s)", msg, slot, v.host.slot,
		     v.running_version);
		set_last(&v, "rolled-back", slot, ver, msg);
		{
			char sl[2] = { slot, 0 };
			struct json_w ev;
			events_data(&ev);
			json_w_kstr(&ev, "slot", sl);
			json_w_kstr(&ev, "version", ver);
			json_w_kstr(&ev, "message", msg);
			events_post("host.update.rolled-back", NULL, &ev);
		}
		if (state_change(&v, do_forget, err, sizeof err))
			wlog(WLOG_WARN, "update", "cannot clear the rolled-back mark: %s", err);
	} else if (o == AB_TRYING) {
		set_last(&v, "trying", v.host.slot, v.running_version, "waiting for the health check");
		upd_view_put(&v);
		pthread_t th;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 256 * 1024);   /* a TLS handshake (the probe), as server.c */
		if (pthread_create(&th, &a, health_main, NULL) != 0)
			wlog(WLOG_ERR, "update", "cannot start the health watcher: the update will roll back");
		pthread_attr_destroy(&a);
		return;
	} else if (o == AB_PENDING && !v.last.result[0]) {
		set_last(&v, "pending", v.st.trying, v.st.attempted_version, "a try is set: the next boot runs it");
	}
	upd_view_put(&v);
}
