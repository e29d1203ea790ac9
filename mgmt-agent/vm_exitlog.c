/* vm_exitlog.c: why did a re-attached wafer-vmm exit? After an agent restart
 * the VMMs are init's children, so init reaps them and their exit status is
 * gone; but each VMM logs "exit: REASON" (hypervisor/main.c) into init's log
 * ring before it exits. This finds that line and gives the exit code the VMM
 * used for it, so the supervisor treats the exit like one of its own
 * children's (poweroff, guest reboot → restart, crash). */
#include "agent.h"
#include "initctl.h"
#include "vm_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* hypervisor/vm.c vm_exit_code(): the exit code for each logged reason */
static int code_for(const char *reason)
{
	static const struct { const char *name; int code; } map[] = {
		{ "poweroff", 0 }, { "reboot", 3 }, { "triple-fault", 4 }, { "internal-error", 4 },
		{ "stopped", 5 }, { "shutdown-timeout", 5 }, { "signal", 5 },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		size_t n = strlen(map[i].name);
		if (!strncmp(reason, map[i].name, n) && (reason[n] == '\0' || reason[n] == ' ' || reason[n] == '\n'))
			return map[i].code;
	}
	return -1;
}

static int scan(const char *id, uint64_t since_ms)
{
	char sock[512], who[64];
	struct initctl_log l;
	struct initctl_logrec r;
	int code = -1;
	if (agent_cfg.log_sock)
		snprintf(sock, sizeof sock, "%s", agent_cfg.log_sock);
	else
		agent_path(sock, sizeof sock, agent_cfg.run_dir, "log.sock");
	snprintf(who, sizeof who, "wafer-vmm[%s]:", id);
	if (initctl_log_open(&l, sock, 0, 0) < 0)
		return -1;
	while (initctl_log_next(&l, &r, 1000) == 1) {
		const char *e = strstr(r.msg, "vmm: exit: ");
		if (e && r.time_ms >= (int64_t)since_ms && strstr(r.msg, who))
			code = code_for(e + 11);
	}
	initctl_log_close(&l);
	return code;
}

int vm_exit_logged(const struct vm *v, uint64_t since_ms)
{
	/* the line travels VMM → init's intake → ring: give it a moment */
	for (int i = 0; i < 4; i++) {
		int code = scan(v->id, since_ms);
		if (code >= 0)
			return code;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}
