/* update_policy.c: the pure decisions of an update (update.h): which boot
 * this is, whether the state allows an update, whether a verified bundle is
 * acceptable (board, version, length, space), and when a trying boot is
 * healthy enough to commit. */
#include "update.h"
#include "errbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of word "name=" on the command line, or NULL; *len its length. */
static const char *cmdline_word(const char *cmdline, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = cmdline; p && *p;) {
		p += strspn(p, " \t\n");
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			*len = strcspn(p + nl + 1, " \t\n");
			return p + nl + 1;
		}
		p += strcspn(p, " \t\n");
	}
	return NULL;
}

void upd_host_parse(const char *cmdline, struct upd_host *h)
{
	size_t l = 0;
	const char *v;
	memset(h, 0, sizeof *h);
	if ((v = cmdline_word(cmdline, "wafer.slot", &l)) && l == 1 && (v[0] == 'A' || v[0] == 'B'))
		h->slot = v[0];
	if ((v = cmdline_word(cmdline, "wafer.boot", &l)) && l < sizeof h->boot)
		snprintf(h->boot, sizeof h->boot, "%.*s", (int)l, v);
	if (!strcmp(h->boot, "grub-bios") || !strcmp(h->boot, "grub-uefi")) {
		h->has_state = true;
		h->fmt = AB_FMT_GRUBENV;
	} else if (!strcmp(h->boot, "u-boot")) {
		h->has_state = true;
		h->fmt = AB_FMT_UBOOT;
	}
	if (!h->has_state)
		h->slot = 0;       /* without a state file there is no A/B */
}

const char *upd_state_file(const struct upd_host *h)
{
	return h->fmt == AB_FMT_UBOOT ? "uboot-ab.env" : "grub/grubenv";
}

int upd_check_state(const struct upd_host *h, const struct ab_state *s, char *slot, char *msg, size_t n)
{
	if (!h->has_state || !h->slot) {
		seterr(msg, n, "this host booted without a boot medium (%s): there is no slot to update",
		       h->boot[0] ? h->boot : "no wafer.boot= on the kernel command line");
		return 409;
	}
	if (ab_update_slot(s, h->slot, slot, msg, n))
		return 409;
	return 0;
}

int upd_check_header(const struct upd_info *in, const char *board, const char *running_version, bool force,
		     char *msg, size_t n)
{
	if (strcmp(in->board, board) != 0) {
		seterr(msg, n, "bundle: for board '%s', this host is '%s'", in->board, board);
		return 422;
	}
	int c = upd_version_cmp(in->version, running_version);
	if (c <= 0 && !force) {
		seterr(msg, n, "bundle: version %s is %s the running version %s (force=1 installs it anyway)",
		       in->version, c == 0 ? "the same as" : "older than", running_version);
		return 422;
	}
	return 0;
}

int upd_check_length(const struct upd_info *in, uint64_t content_length, char *msg, size_t n)
{
	uint64_t want = UPD_PREAMBLE + in->size[UPD_PART_KERNEL] + in->size[UPD_PART_INITRAMFS];
	if (content_length == want)
		return 0;
	if (content_length < want)
		seterr(msg, n, "bundle: truncated: %llu of %llu bytes (Content-Length is shorter than the signed header says)",
		       (unsigned long long)content_length, (unsigned long long)want);
	else
		seterr(msg, n, "bundle: %llu unexpected bytes after the end",
		       (unsigned long long)(content_length - want));
	return 400;
}

#define SPACE_MARGIN (256u << 10)   /* FAT metadata, the version file */

int upd_check_space(uint64_t need, uint64_t avail, uint64_t reclaim, bool *remove_old, char *msg, size_t n)
{
	*remove_old = false;
	if (need + SPACE_MARGIN <= avail)
		return 0;
	if (need + SPACE_MARGIN <= avail + reclaim) {
		*remove_old = true;
		return 0;
	}
	seterr(msg, n, "not enough space on the boot partition: the update needs %llu KiB, %llu KiB are free "
	       "(%llu KiB more when the inactive slot's files are replaced)",
	       (unsigned long long)((need + SPACE_MARGIN) >> 10), (unsigned long long)(avail >> 10),
	       (unsigned long long)(reclaim >> 10));
	return 507;
}

bool upd_services_ok(const char *status, char *why, size_t n)
{
	bool any = false;
	for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "service.", 8) != 0)
			continue;
		char name[48] = "", state[16] = "";
		int pid = 0, restarts = 0;
		if (sscanf(l + 8, "%47[^=]=%15s pid=%d restarts=%d", name, state, &pid, &restarts) != 4) {
			seterr(why, n, "cannot read init's status line '%.60s'", l);
			return false;
		}
		any = true;
		if (strcmp(state, "up") != 0 && restarts > 0) {
			seterr(why, n, "service %s is %s after %d restarts", name, state, restarts);
			return false;
		}
		if (!strcmp(name, "wafer-agent") && strcmp(state, "up") != 0) {
			seterr(why, n, "init does not see wafer-agent up");
			return false;
		}
	}
	if (!any)
		seterr(why, n, "init's status lists no services");
	return any;
}

enum upd_health upd_health_decide(uint64_t now_ms, uint64_t ready_ms, int grace_s, bool services_ok,
				  bool api_ok)
{
	if (!services_ok || !api_ok || now_ms < ready_ms)
		return UPD_HEALTH_WAIT;
	return now_ms - ready_ms >= (uint64_t)grace_s * 1000u ? UPD_HEALTH_COMMIT : UPD_HEALTH_WAIT;
}
