/* control.c: control socket server. One JSON request per line, one JSON
 * response per line; "console" turns a connection into a byte stream. All
 * sockets are non-blocking; a client can never stall the loop or others. */
#include "control.h"
#include "json.h"
#include "log.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_OUT_MAX (1u << 20)     /* per-client pending output */

int control_init(struct control *c, struct vm *vm, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	if (vm->cfg->control_fd >= 0) {
		c->listen_fd = vm->cfg->control_fd;
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(vm->cfg->control_path) >= sizeof(sa.sun_path)) {
			snprintf(err, errlen, "--control: path too long");
			return -1;
		}
		strcpy(sa.sun_path, vm->cfg->control_path);
		c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unlink(sa.sun_path);
		mode_t old = umask(077);
		int r = c->listen_fd < 0 ? -1 : bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (r < 0 || listen(c->listen_fd, 16) < 0) {
			snprintf(err, errlen, "control socket %s: %s", sa.sun_path, strerror(errno));
			return -1;
		}
		c->path = vm->cfg->control_path;
	}
	fcntl(c->listen_fd, F_SETFL, fcntl(c->listen_fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void ctl_drop(struct control *c, struct ctl_client *cl)
{
	if (cl->console && cl->follow)
		c->followers--;
	close(cl->fd);
	free(cl->in);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

void control_close(struct control *c)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			ctl_drop(c, &c->cl[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->path)
		unlink(c->path);
}

static int ctl_append(struct ctl_client *cl, const char *data, size_t len)
{
	if (cl->out_len + len > CTL_OUT_MAX)
		return -1;
	if (cl->out_len + len > cl->out_cap) {
		size_t cap = cl->out_cap ? cl->out_cap : 4096;
		while (cap < cl->out_len + len)
			cap *= 2;
		char *n = realloc(cl->out, cap);
		if (!n)
			return -1;
		cl->out = n;
		cl->out_cap = cap;
	}
	memcpy(cl->out + cl->out_len, data, len);
	cl->out_len += len;
	return 0;
}

static void ctl_flush(struct control *c, struct ctl_client *cl)
{
	while (cl->out_len) {
		ssize_t w = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			ctl_drop(c, cl);
			return;
		}
		memmove(cl->out, cl->out + w, cl->out_len - (size_t)w);
		cl->out_len -= (size_t)w;
	}
	if (cl->close_when_flushed)
		ctl_drop(c, cl);
}

static void ctl_accept(struct control *c)
{
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct ctl_client *cl = NULL;
		for (int i = 0; i < CTL_MAX_CLIENTS && !cl; i++)
			if (c->cl[i].fd < 0)
				cl = &c->cl[i];
		char *in = cl ? malloc(CTL_LINE_MAX + 1) : NULL;
		if (!in) {
			static const char full[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
			ssize_t r = send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)r;
			close(fd);
			continue;
		}
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->in = in;
	}
}

void control_pump_console(struct control *c)
{
	uint8_t buf[16384];
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = &c->cl[i];
		if (cl->fd < 0 || !cl->console || cl->close_when_flushed)
			continue;
		while (cl->out_len < 65536) {
			size_t max = sizeof(buf);
			if (!cl->follow && cl->stop_at - cl->pos < max)
				max = (size_t)(cl->stop_at - cl->pos);
			size_t n = max ? console_get(&c->vm->console, &cl->pos, buf, max, NULL) : 0;
			if (n == 0)
				break;
			ctl_append(cl, (const char *)buf, n);
		}
		if (!cl->follow && cl->pos >= cl->stop_at)
			cl->close_when_flushed = true;
		ctl_flush(c, cl);
	}
}

static void ctl_client_input(struct control *c, struct ctl_client *cl)
{
	for (;;) {
		if (cl->console) {
			uint8_t buf[4096];
			ssize_t r = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				ctl_drop(c, cl);
				return;
			}
			if (r < 0)
				return;
			if (cl->input)
				uart_input(&c->vm->uart, buf, (size_t)r);
			continue;
		}
		ssize_t r = recv(cl->fd, cl->in + cl->in_len, CTL_LINE_MAX - cl->in_len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			ctl_drop(c, cl);
			return;
		}
		if (r < 0)
			return;
		cl->in_len += (size_t)r;
		char *nl;
		while (!cl->console && (nl = memchr(cl->in, '\n', cl->in_len))) {
			size_t len = (size_t)(nl - cl->in);
			char *resp = control_request(c, cl, cl->in, len);
			if (resp) {
				ctl_append(cl, resp, strlen(resp));
				free(resp);
			}
			memmove(cl->in, nl + 1, cl->in_len - len - 1);
			cl->in_len -= len + 1;
		}
		if (cl->in_len == CTL_LINE_MAX) {
			static const char big[] = "{\"ok\":false,\"error\":\"request line longer than 65536 bytes\"}\n";
			ctl_append(cl, big, sizeof(big) - 1);
			cl->close_when_flushed = true;
		}
		ctl_flush(c, cl);
		if (cl->fd < 0)
			return;
		if (c->stop_requested) {
			vm_request_exit(c->vm, VMEXIT_STOPPED);
			return;
		}
	}
}

int control_fill_pollfds(struct control *c, struct pollfd *fds, int max)
{
	int n = 0;
	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (int i = 0; i < CTL_MAX_CLIENTS && n < max; i++) {
		struct ctl_client *cl = &c->cl[i];
		if (cl->fd < 0)
			continue;
		fds[n++] = (struct pollfd){ .fd = cl->fd,
			.events = (short)(POLLIN | (cl->out_len ? POLLOUT : 0)) };
	}
	return n;
}

void control_handle(struct control *c, const struct pollfd *fds, int n)
{
	for (int k = 1; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *cl = &c->cl[i];
			if (cl->fd != fds[k].fd)
				continue;
			if (fds[k].revents & POLLOUT)
				ctl_flush(c, cl);
			if (cl->fd >= 0 && (fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				ctl_client_input(c, cl);
			break;
		}
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		ctl_accept(c);
}
