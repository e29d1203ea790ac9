/* init_trialwatch.c: the trial watchdog around init_trial.c: mounts the ESP
 * (read-only to look, read-write only to end a trial, unmounted right after:
 * the ESP is never mounted in steady state), arms the deadline, shows the
 * trial on the status screen, ends it with an orderly reboot. */
#include "init_trialwatch.h"
#include "init_bootmedium.h"
#include "init_console.h"
#include "init_log.h"
#include "init_loop.h"
#include "init_shutdown.h"
#include "init_state.h"
#include "init_trial.h"
#include <stdio.h>
#include <string.h>

#define ESP_DIR "/run/wafer/init-esp" /* not /boot: the agent mounts there */
#define POLL_MS 30000                  /* how often a running trial looks for the agent's commit */

static struct {
	int armed;
	char slot;
	enum ab_format fmt;
	const char *file;
	char version[AB_VAL_MAX];
	int timeout_s;
	int64_t deadline, next_poll;
	char text[200];
} g_tr;

/* Mount the ESP, check (and with end set, end) the trial, unmount. */
static int read_state(int end, struct ab_state *s)
{
	char path[128], err[200];
	if (bootmedium_mount_boot(ESP_DIR, end) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s", ESP_DIR, g_tr.file);
	int v = trial_check_file(path, g_tr.fmt, g_tr.slot, end, s, err, sizeof err);
	if (v < 0)
		ilog(LOG_WARNING, "update: %s", err);
	bootmedium_umount_boot(ESP_DIR);
	return v;
}

void trialwatch_boot(void)
{
	struct ab_state s;
	if (g_st.stateless)
		return;
	g_tr.file = trial_state_file(g_st.boot_path, &g_tr.fmt);
	g_tr.slot = trial_slot(g_st.slot);
	if (!g_tr.file || !g_tr.slot || read_state(0, &s) != TRIAL_RUNNING)
		return;
	snprintf(g_tr.version, sizeof g_tr.version, "%s", s.attempted_version[0] ? s.attempted_version : g_st.version);
	g_tr.timeout_s = g_st.cfg.update_trial_timeout;
	g_tr.deadline = trial_deadline_ms(g_tr.timeout_s);
	g_tr.next_poll = mono_ms() + POLL_MS;
	g_tr.armed = 1;
	snprintf(g_tr.text, sizeof g_tr.text, "trial boot of slot %c (version %s): commit pending", g_tr.slot,
		 g_tr.version);
	ilog(LOG_NOTICE, "update: %s; rolled back unless the agent commits it by %d s after boot (%d tries left)",
	     g_tr.text, g_tr.timeout_s, s.tries_left);
}

void trialwatch_tick(void)
{
	struct ab_state s;
	if (!g_tr.armed || g_st.shutting_down || shutdown_pending() != SHUTDOWN_NONE)
		return;
	int64_t now = mono_ms();
	if (now < g_tr.deadline && now < g_tr.next_poll)
		return;
	g_tr.next_poll = now + POLL_MS;
	int v = read_state(0, &s);
	if (v == TRIAL_COMMITTED || v == TRIAL_NONE) {
		g_tr.armed = 0;
		g_tr.text[0] = '\0';
		ilog(LOG_NOTICE, "update: slot %c (version %s) %s after %lld s: trial watchdog stopped", g_tr.slot,
		     g_tr.version, v == TRIAL_COMMITTED ? "committed" : "no longer being tried", (long long)(now / 1000));
		return;
	}
	if (now < g_tr.deadline)
		return;
	/* Still a trial (or the state cannot be read): end it. */
	ilog(LOG_WARNING, "update: slot %c (version %s) not healthy after %d s: rolling back", g_tr.slot,
	     g_tr.version, g_tr.timeout_s);
	v = read_state(1, &s);
	if (v == TRIAL_COMMITTED) { /* the agent committed in between */
		g_tr.armed = 0;
		g_tr.text[0] = '\0';
		ilog(LOG_NOTICE, "update: slot %c committed at the last moment: no rollback", g_tr.slot);
		return;
	}
	if (v == TRIAL_RUNNING)
		ilog(LOG_NOTICE, "update: tries_left=0 stored: the bootloader boots slot %c next", s.committed);
	else /* a reboot still uses up a try: the bootloader rolls back when they run out */
		ilog(LOG_WARNING, "update: the trial could not be ended in the state file; rebooting anyway");
	g_tr.armed = 0;
	snprintf(g_tr.text, sizeof g_tr.text, "slot %c (version %s) not healthy after %d s: rolling back", g_tr.slot,
		 g_tr.version, g_tr.timeout_s);
	console_printf("\n  update: %s\n", g_tr.text); /* the screen is cleared for the reboot next */
	shutdown_request(SHUTDOWN_REBOOT, "update trial ran out");
}

const char *trialwatch_text(void)
{
	return g_tr.text;
}
