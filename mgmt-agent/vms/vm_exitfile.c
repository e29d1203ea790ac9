/* vm_exitfile.c: why did a wafer-vmm exit? The agent's own children tell it
 * with their wait status; after an agent restart the VMMs are re-attached
 * and become init's children, so their status is gone. Each VMM therefore
 * gets an fd (--exit-fd) to <run>/vms/<id>/exit, created empty by the agent
 * before the start, and writes "CODE REASON\n" into it as it exits
 * (hypervisor/main.c). Nothing is taken from log text: any process that can
 * log could write a line that looks like another VM's exit. */
#include "agent.h"
#include "fsutil.h"
#include "vm_internal.h"
#include "wafer_contract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void exit_path(const struct vm *v, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.run_dir, "vms/%s/exit", v->id);
}

int vm_exit_file_open(const struct vm *v, char *err, size_t errlen)
{
	char p[512];
	exit_path(v, p, sizeof p);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		snprintf(err, errlen, "exit file %s: %s", p, strerror(errno));
	return fd;
}

int vm_exit_file_code(const struct vm *v)
{
	char p[512], *b = NULL;
	size_t len;
	int code = -1;
	exit_path(v, p, sizeof p);
	if (fs_read_file(p, 256, &b, &len) == 0) {
		char *end;
		long c = strtol(b, &end, 10);
		/* what the VMM writes there (wafer_contract.h) */
		if (end != b && *end == ' ' &&
		    (c == VMM_EXIT_POWEROFF || c == VMM_EXIT_REBOOT || c == VMM_EXIT_CRASH || c == VMM_EXIT_STOPPED))
			code = (int)c;
		free(b);
	}
	return code;
}
