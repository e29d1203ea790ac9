/* agent_privs.h: the agent's own privileges (docs/isolation.md, "The agent's
 * own privileges"): the capabilities it keeps, dropping the rest at start,
 * raising CAP_SYS_PTRACE on one thread for reading other processes' /proc
 * entries, and the report for GET /api/v1/host. */
#ifndef WAFER_AGENT_PRIVS_H
#define WAFER_AGENT_PRIVS_H
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define PRIVS_BIT(cap) (UINT64_C(1) << (cap))

/* Capabilities the agent keeps effective (numbers from linux/capability.h). */
#define PRIVS_KEEP_EFF                                                                     \
	(PRIVS_BIT(0) /* chown */ | PRIVS_BIT(5) /* kill */ | PRIVS_BIT(6) /* setgid */ |  \
	 PRIVS_BIT(7) /* setuid */ | PRIVS_BIT(8) /* setpcap */ |                          \
	 PRIVS_BIT(12) /* net_admin */ | PRIVS_BIT(18) /* sys_chroot */ |                  \
	 PRIVS_BIT(21) /* sys_admin */ | PRIVS_BIT(27) /* mknod */ |                        \
	 PRIVS_BIT(30) /* audit_control */)
/* Kept permitted but not effective: raised per thread around /proc reads. */
#define PRIVS_SYS_PTRACE 19
#define PRIVS_ON_DEMAND PRIVS_BIT(PRIVS_SYS_PTRACE)
#define PRIVS_KEEP_PRM (PRIVS_KEEP_EFF | PRIVS_ON_DEMAND)

/* The sets to install, given the permitted set the process has now: what
 * it has of the kept ones; nothing it does not have. */
void privs_compute(uint64_t have_prm, uint64_t *eff, uint64_t *prm);

/* "cap_sys_admin" for 21; "cap_<n>" for numbers this table does not name. */
const char *privs_name(int cap, char *buf, size_t n);

/* Comma-separated names of the bits of mask; "" when empty. Returns -1 when
 * out is too small (out then ends in a truncated, terminated list). */
int privs_names(uint64_t mask, char *out, size_t n);

/* The hex mask after "Key:" in a /proc/<pid>/status text; -1 when the key
 * is missing or its value is not 1..16 hex digits. */
int privs_status_mask(const char *text, const char *key, uint64_t *out);

/* At start, before any thread exists: RLIMIT_CORE 0, ambient set cleared,
 * bounding set reduced to PRIVS_KEEP_PRM, permitted/effective/inheritable
 * set by privs_compute, no_new_privs; then checked against
 * /proc/self/status. Not running as root: what can be done, and a warning
 * in warn. Returns -1 with err on failure. */
int agent_privs_drop(char *warn, size_t wlen, char *err, size_t errlen);

/* Make an on-demand capability effective on the calling thread only;
 * agent_privs_lower makes that thread's effective set the kept one again. */
int agent_privs_raise(int cap);
void agent_privs_lower(void);

/* The "agent" object of GET /api/v1/host. */
void agent_privs_json(struct json_w *w);
#endif
