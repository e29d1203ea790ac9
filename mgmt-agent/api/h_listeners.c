/* h_listeners.c: GET /api/v1/host/listeners: every listening TCP socket and
 * every bound UDP socket of the host, with the owning process, so a manager
 * (and the system tests) can check that the API port is the only way in. */
#include "agent_privs.h"
#include "server/api.h"
#include "fsutil.h"
#include "host/netlisten.h"

#include <stdlib.h>

#define LISTEN_MAX 256

void h_host_listeners(struct api_ctx *x)
{
	static const struct { const char *file, *proto; bool v6; } tabs[] = {
		{ "/proc/net/tcp", "tcp", false }, { "/proc/net/tcp6", "tcp", true },
		{ "/proc/net/udp", "udp", false }, { "/proc/net/udp6", "udp", true },
	};
	struct netlisten *ls = calloc(LISTEN_MAX, sizeof *ls);
	int n = 0, bad = 0;
	if (!ls) {
		api_error(x, 500, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
		char *text;
		if (fs_read_file(tabs[i].file, 4 << 20, &text, NULL) == 0) {
			netlisten_parse(text, tabs[i].proto, tabs[i].v6, ls, &n, LISTEN_MAX, &bad);
			free(text);
		} /* a missing table (no IPv6) lists nothing */
	}
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "listeners");
	json_w_arr_begin(&w);
	/* other processes' /proc/<pid>/fd: CAP_SYS_PTRACE on this thread only */
	int raised = agent_privs_raise(PRIVS_SYS_PTRACE) == 0;
	for (int i = 0; i < n; i++) {
		char comm[32];
		netlisten_owner(ls[i].inode, comm, sizeof comm);
		json_w_obj_begin(&w);
		json_w_kstr(&w, "proto", ls[i].proto);
		json_w_kstr(&w, "family", ls[i].v6 ? "ipv6" : "ipv4");
		json_w_kstr(&w, "address", ls[i].addr);
		json_w_kint(&w, "port", (long long)ls[i].port);
		json_w_kstr(&w, "process", comm);
		json_w_obj_end(&w);
	}
	if (raised)
		agent_privs_lower();
	json_w_arr_end(&w);
	json_w_kint(&w, "unparsed_lines", bad);
	json_w_obj_end(&w);
	free(ls);
	api_reply_w(x, 200, &w);
}
