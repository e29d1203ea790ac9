/* initctl.h: client side of wafer-init's sockets (docs/init.md):
 * /run/wafer/init.sock (status, reboot, poweroff, restart SERVICE) and
 * /run/wafer/log.sock (the log ring: dump, or follow). Functions return 0 or
 * a negative errno; -EPROTO means init answered "error ..." (the reason is in
 * the reply buffer). */
#ifndef WAFER_INITCTL_H
#define WAFER_INITCTL_H
#include <stddef.h>
#include <stdint.h>

#define INITCTL_SOCK "/run/wafer/init.sock"
#define INITCTL_LOG_SOCK "/run/wafer/log.sock"
#define INITCTL_LOG_IN_SOCK "/run/wafer/log-in.sock"

/* Send one request line, read the whole reply (up to n-1 bytes) into reply.
 * On "ok", reply holds what followed the "ok" line (key=value lines). */
int initctl_request(const char *sock, const char *request, char *reply, size_t n, int timeout_ms);
int initctl_reboot(const char *sock);
int initctl_poweroff(const char *sock);
/* key=value lines: version, board, slot, boot, hostname, uptime_ms, kvm,
 * stateless, medium, uplink, bridge, service.NAME, problem (repeated). */
int initctl_status(const char *sock, char *out, size_t n);
/* Value of the first key=value line for key in text; returns 0 or -ENOENT. */
int initctl_kv(const char *text, const char *key, char *out, size_t n);

struct initctl_logrec {
	uint64_t seq;          /* 0 for a "records lost" notice */
	int64_t time_ms;       /* ms since the epoch */
	int prio;              /* syslog facility << 3 | severity */
	char tag[32];
	char msg[1025];
};

struct initctl_log {
	int fd;
	char buf[2048];
	size_t len;
};

/* Open the log: follow = 0 dumps the ring and ends; 1 keeps following.
 * from_seq > 0 starts at that sequence number (for resuming). */
int initctl_log_open(struct initctl_log *l, const char *sock, int follow, uint64_t from_seq);
/* Next record: 1 with *r filled, 0 at the end, -ETIMEDOUT, or -errno. */
int initctl_log_next(struct initctl_log *l, struct initctl_logrec *r, int timeout_ms);
void initctl_log_close(struct initctl_log *l);
/* Parse one wire line "SEQ TIME_MS PRIO TAG MSG" (no newline); 0 or -EINVAL. */
int initctl_log_parse(const char *line, size_t len, struct initctl_logrec *r);
/* Open an intake stream to log-in.sock tagged tag: write lines to the fd. */
int initctl_log_intake(const char *sock, const char *tag);
#endif
