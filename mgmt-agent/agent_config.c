/* agent_config.c: the agent's configuration with its defaults, counters,
 * and path helper (see agent.h). */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>

struct agent_config agent_cfg = {
	.port = 443,
	.config_dir = "/config",
	.data_dir = "/data",
	.run_dir = "/run/wafer",
	.vmm_path = "/usr/bin/wafer-vmm",
	.etc_dir = "/etc/wafer",
	.cmdline = "/proc/cmdline",
	.lim = {
		.max_conns = 64, .max_unauth = 64, .conns_per_cert = 32, .streams_per_cert = 16, .handshake_ms = 3000,
		.request_ms = 30000, .idle_ms = 60000, .io_ms = 30000, .max_head = 8192,
	},
};
struct agent_stats agent_stats;
int agent_replies_pending;
uint64_t agent_start_ms;

void agent_path(char *out, size_t outlen, const char *base, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, outlen, "%s/", base);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < outlen)
		vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
	va_end(ap);
}


const char *agent_init_sock(char *buf, size_t n)
{
	if (agent_cfg.init_sock)
		return agent_cfg.init_sock;
	agent_path(buf, n, agent_cfg.run_dir, "init.sock");
	return buf;
}
