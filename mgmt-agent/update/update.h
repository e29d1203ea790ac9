/* update.h: host updates through the API (docs/updates.md): the policy
 * decisions (pure), the streamed write of a bundle into the inactive slot,
 * the boot medium's ESP (found by GPT name, mounted only while needed), the
 * view served by GET /api/v1/host/update, and the health commit of a trying
 * boot. lib/update_bundle, lib/update_slot and lib/abstate do the work. */
#ifndef WAFER_UPDATE_H
#define WAFER_UPDATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abstate.h"
#include "json.h"
#include "update_bundle.h"

#define UPD_TRIES 3              /* boots the bootloader gives a fresh slot */
#define UPD_GRACE_DEFAULT 120    /* update_grace, seconds */
#define UPD_GRACE_MAX 3600

/* ---- update_policy.c: pure decisions ---- */

/* What the kernel command line says about this boot. */
struct upd_host {
	char slot;                 /* 'A', 'B'; 0: stateless (PXE) or unknown */
	char boot[16];             /* wafer.boot=: grub-bios, grub-uefi, u-boot, pxe, "" */
	bool has_state;            /* a bootloader with an A/B state file */
	enum ab_format fmt;        /* which one (when has_state) */
};
void upd_host_parse(const char *cmdline, struct upd_host *h);
/* The state file's path inside the ESP ("grub/grubenv", "uboot-ab.env"). */
const char *upd_state_file(const struct upd_host *h);

/* Each returns 0 (go on) or the HTTP status refusing the update, with the
 * reason in msg. */
/* 409: stateless host, try pending/running, running != committed, busy. */
int upd_check_state(const struct upd_host *h, const struct ab_state *s, char *slot, char *msg, size_t n);
/* 422: another board; not newer than running_version without force. */
int upd_check_header(const struct upd_info *in, const char *board, const char *running_version, bool force,
		     char *msg, size_t n);
/* 400: Content-Length does not match what the verified header announces. */
int upd_check_length(const struct upd_info *in, uint64_t content_length, char *msg, size_t n);
/* 507: the parts (need bytes) do not fit into the free space (avail) plus
 * what the inactive slot's old files occupy (reclaim). *remove_old says
 * whether they must be deleted first to make room. */
int upd_check_space(uint64_t need, uint64_t avail, uint64_t reclaim, bool *remove_old, char *msg, size_t n);

/* Health: init's status text says every service that was started is up
 * (a service that is down after restarts is not healthy; one that never
 * started, e.g. not configured, does not count). why names the first bad one. */
bool upd_services_ok(const char *status, char *why, size_t n);
enum upd_health { UPD_HEALTH_WAIT, UPD_HEALTH_COMMIT };
/* ready_ms: when the agent started serving; all times in ms. */
enum upd_health upd_health_decide(uint64_t now_ms, uint64_t ready_ms, int grace_s, bool services_ok,
				  bool api_ok);

/* ---- update_view.c: what GET /api/v1/host/update shows ---- */

struct upd_last {
	char result[16];           /* committed|rolled-back|pending|trying; "": none (null) */
	char slot;
	char version[AB_VAL_MAX];
	char message[200];
};

struct upd_view {
	struct upd_host host;
	char running_version[UPD_STR_MAX];
	bool state_ok;             /* the state file was read */
	char state_err[160];
	struct ab_state st;
	char slot_version[2][UPD_STR_MAX];   /* A, B: "" when unknown */
	bool slot_known[2];
	struct upd_last last;
	int grace_s;
	double committed_after_s;  /* < 0: null */
	bool updating;             /* a POST is running */
};

/* Render the view (pure). */
void upd_view_json(const struct upd_view *v, struct json_w *w);
/* Read the state file and the slots' version files from a mounted ESP. */
int upd_view_read_esp(struct upd_view *v, const char *esp_dir, char *err, size_t n);
/* The process-wide view (locked copies). */
void upd_view_get(struct upd_view *out);
void upd_view_put(const struct upd_view *in);
/* last_update persisted in run_dir (survives an agent restart, not a boot). */
void upd_last_save(const char *path, const struct upd_last *l);
int upd_last_load(const char *path, struct upd_last *l);

/* ---- update_esp.c: the boot partition (GPT name WAFERBOOT) ---- */

/* The partition named WAFERBOOT on disk ("vda"; "" = any disk), from the
 * PARTNAME= lines of sysfs_block/<part>/uevent. dev gets "/dev/vda2". */
int esp_find(const char *sysfs_block, const char *disk, char *dev, size_t n, char *err, size_t errlen);
/* Mount the ESP (noatime, nosuid, nodev, noexec; read-only unless rw) on
 * dir; when agent_cfg.esp_dir is set (tests, development) that folder is
 * used as is and nothing is mounted. dir gets the path. 0 or -1 with err. */
int esp_mount(bool rw, char *dir, size_t n, char *err, size_t errlen);
void esp_umount(void);

/* ---- update_run.c: one update (POST /api/v1/host/update) ---- */

struct upd_job {
	/* input */
	struct upd_host host;
	struct ab_state cached;        /* the state as last read (early refusal) */
	const uint8_t *pub;            /* release key, PEM with its NUL, or DER */
	size_t publen;
	const char *board, *running_version;
	bool force;
	uint64_t content_length;
	/* the ESP: mount (rw) on demand, called only once the header was accepted;
	 * dir gets where it is */
	int (*mount)(void *ctx, char *dir, size_t n, char *err, size_t errlen);
	void (*umount)(void *ctx);
	void *mctx;
	/* the body: >0 bytes, 0 at the end, -1 on error (already answered) */
	int (*read)(void *ctx, void *buf, size_t len);
	void *rctx;
	void (*progress)(void *ctx, uint64_t bytes);
	void *pctx;
	/* result */
	int status;                    /* 200, or the HTTP error; -1: body read failed */
	char code[24];                 /* API error code */
	char msg[300];
	char slot;
	char version[UPD_STR_MAX], previous_version[UPD_STR_MAX];
	uint64_t bytes;
	struct ab_state st;            /* the state stored (status 200) */
	bool touched;                  /* the ESP was mounted read-write */
	bool removed_old;              /* the slot's old files were deleted for room */
};
/* Runs the whole update; fills the result fields. */
void upd_run(struct upd_job *j);

/* ---- update_health.c: boot-time report and the commit of a trying boot ---- */

/* At start (after the listener is up): read the state, report a rolled-back
 * update, start the health watcher on a trying boot. */
void update_boot(void);
/* Serialises updates and commits: 0 taken, -1 busy. */
int update_lock_try(void);
void update_unlock(void);

/* ---- update_probe.c ---- */
/* A TLS request to the agent's own listener answers with an HTTP status. */
bool upd_probe_api(int port, char *why, size_t n);

#endif
