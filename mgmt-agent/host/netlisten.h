/* netlisten.h: the host's listening sockets, read from the kernel's
 * /proc/net/{tcp,tcp6,udp,udp6} tables (what `ss -tuln` shows), for
 * GET /api/v1/host/listeners: which ports the appliance exposes. */
#ifndef WAFER_NETLISTEN_H
#define WAFER_NETLISTEN_H
#include <stdbool.h>
#include <stddef.h>

struct netlisten {
	char proto[4];          /* "tcp" or "udp" */
	bool v6;
	char addr[48];          /* printable local address */
	unsigned port;
	unsigned long inode;    /* socket inode (to find the owning process) */
};

/* Parse the text of one /proc/net table (tcp or udp, v6 or not) and append
 * the TCP sockets in LISTEN state / all bound UDP sockets to out[*n..max).
 * Lines that do not parse are skipped and counted in *bad (may be NULL).
 * Returns the number appended. */
int netlisten_parse(const char *text, const char *proto, bool v6,
		    struct netlisten *out, int *n, int max, int *bad);

/* Name (comm) of the process that holds the socket inode, or "" if none is
 * found (scans /proc/<pid>/fd; root sees every process). */
void netlisten_owner(unsigned long inode, char *comm, size_t len);
#endif
