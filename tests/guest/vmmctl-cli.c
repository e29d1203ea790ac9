/* vmmctl-cli.c: a tiny command-line client of the VMM control socket for the
 * VMM system tests (tests/system/t40-vmm-*.sh), built on lib/vmmctl:
 *   vmmctl SOCKET status|stats|pause|resume|stop|shutdown [TIMEOUT]|balloon MIB
 *   vmmctl SOCKET console [follow]     (raw console bytes to stdout)
 *   vmmctl SOCKET raw 'JSON'           (prints the response line) */
#include "vmmctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int console(struct vmmctl *c, int follow)
{
	uint64_t off, lost;
	if (vmmctl_console_open(c, VMMCTL_FROM_START, follow, false, &off, &lost) < 0)
		return -1;
	c->timeout_ms = -1;
	char buf[4096];
	ssize_t n;
	while ((n = vmmctl_console_read(c, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int run(struct vmmctl *c, int argc, char **argv)
{
	const char *cmd = argv[2];
	if (!strcmp(cmd, "raw") && argc == 4) {
		char *r = vmmctl_request(c, argv[3]);
		if (!r)
			return -1;
		printf("%s\n", r);
		free(r);
		return 0;
	}
	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats")) {
		char req[64];
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
		char *r = vmmctl_request(c, req);
		if (!r)
			return -1;
		printf("%s\n", r);
		free(r);
		return 0;
	}
	if (!strcmp(cmd, "pause")) return vmmctl_pause(c);
	if (!strcmp(cmd, "resume")) return vmmctl_resume(c);
	if (!strcmp(cmd, "stop")) return vmmctl_stop(c);
	if (!strcmp(cmd, "shutdown")) return vmmctl_shutdown(c, argc > 3 ? (unsigned)atoi(argv[3]) : 0);
	if (!strcmp(cmd, "balloon") && argc == 4) return vmmctl_balloon(c, strtoull(argv[3], NULL, 10));
	if (!strcmp(cmd, "console")) return console(c, argc > 3 && !strcmp(argv[3], "follow"));
	fprintf(stderr, "vmmctl: unknown command '%s'\n", cmd);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vmmctl SOCKET status|stats|pause|resume|stop|shutdown [S]|"
				"balloon MIB|console [follow]|raw JSON\n");
		return 2;
	}
	struct vmmctl c;
	if (vmmctl_connect(&c, argv[1]) < 0 || run(&c, argc, argv) < 0) {
		fprintf(stderr, "vmmctl: %s\n", c.err);
		vmmctl_close(&c);
		return 1;
	}
	vmmctl_close(&c);
	return 0;
}
