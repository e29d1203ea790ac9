/* control.h: the control socket server (docs/vmm.md): many clients, each
 * with its own buffers, driven by the main thread's poll loop. */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define CTL_MAX_CLIENTS 32
#define CTL_LINE_MAX 65536

struct ctl_client {
	int fd;
	char *in;                 /* CTL_LINE_MAX + 1 bytes */
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	bool console, follow, input, close_when_flushed;
	uint64_t pos, stop_at;    /* console mode: next offset; end for non-follow */
};

struct control {
	struct vm *vm;
	int listen_fd;
	const char *path;         /* unlinked at close when we created it */
	struct ctl_client cl[CTL_MAX_CLIENTS];
	int followers;
	bool stop_requested;
};

int control_init(struct control *c, struct vm *vm, char *err, size_t errlen);
/* Adds the listening socket and clients to fds; returns the count added. */
int control_fill_pollfds(struct control *c, struct pollfd *fds, int max);
/* Handle poll results for the fds added by control_fill_pollfds. */
void control_handle(struct control *c, const struct pollfd *fds, int n);
/* Move new console output to followers (called each loop iteration). */
void control_pump_console(struct control *c);
/* Answer one request line into a new JSON line (exposed for unit tests). */
char *control_request(struct control *c, struct ctl_client *cl, const char *line, size_t len);
void control_close(struct control *c);
#endif
