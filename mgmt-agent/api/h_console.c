/* h_console.c: GET /api/v1/vms/{id}/console: the serial output so far
 * (?follow=1 keeps streaming), or, with "Upgrade: websocket", an interactive
 * console (admin only): guest output as binary frames, client text/binary
 * frames go to the guest's serial input. */
#include "server/api.h"
#include "vms/vm_service.h"
#include "vmmctl.h"
#include "wlog.h"
#include "server/conn_pool.h"
#include "ws_frame.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int open_console(struct api_ctx *x, struct vmmctl *c, bool follow, bool input)
{
	struct vm_result r;
	if (vm_svc_console(route_param(x->m, "id"), follow, input, c, &r) == 0)
		return 0;
	int status = r.outcome == VM_E_NOT_FOUND ? 404 : r.outcome == VM_E_STATE ? 409 : 502;
	api_error(x, status, status == 404 ? "not_found" : status == 409 ? "conflict" : "vmm_error", "%s", r.msg);
	return -1;
}

static int read_exact(struct conn *c, unsigned char *b, size_t n)
{
	while (n) {
		int r = conn_read(c, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int ws_send(struct conn *c, int opcode, const void *data, size_t len)
{
	unsigned char h[4];
	size_t hl = 2;
	h[0] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		h[1] = (unsigned char)len;
	} else {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	}
	return conn_write_all(c, h, hl) || conn_write_all(c, data, len) ? -1 : 0;
}

/* One client frame; returns 0 to continue, -1 to close. */
static int ws_client_frame(struct conn *c, struct vmmctl *vc)
{
	unsigned char h[14], data[4096];
	if (read_exact(c, h, 2))
		return -1;
	int op = h[0] & 0x0f;
	uint64_t len = h[1] & 0x7f;
	if (!(h[1] & 0x80))
		return -1; /* clients must mask */
	if (len == 126) {
		if (read_exact(c, h + 2, 2)) return -1;
		len = (uint64_t)h[2] << 8 | h[3];
	} else if (len == 127) {
		return -1; /* nobody types 64 KiB at once */
	}
	if (len > sizeof data || read_exact(c, h + 10, 4) || read_exact(c, data, (size_t)len))
		return -1;
	for (uint64_t i = 0; i < len; i++)
		data[i] ^= h[10 + (i & 3)];
	switch (op) {
	case 0: case 1: case 2:
		return len && vmmctl_console_send(vc, data, (size_t)len) ? -1 : 0;
	case 8:
		ws_send(c, 8, data, len >= 2 ? 2 : 0);
		return -1;
	case 9:
		return ws_send(c, 10, data, (size_t)len);
	case 10:
		return 0;
	default:
		return -1;
	}
}

static void websocket(struct api_ctx *x)
{
	const char *key = http_header(x->req, "sec-websocket-key");
	const char *ver = http_header(x->req, "sec-websocket-version");
	char accept[64], head[256];
	struct vmmctl vc;
	if (x->c->role < ROLE_ADMIN) {
		api_error(x, 403, "forbidden", "the interactive console needs the admin role");
		return;
	}
	if (!key || !ver || strcmp(ver, "13") != 0 || ws_accept_key(key, accept)) {
		api_error(x, 400, "bad_request", "WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13");
		return;
	}
	if (open_console(x, &vc, true, true))
		return;
	int n = snprintf(head, sizeof head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
	x->status = 101;
	x->keep_alive = false;
	if (conn_write_all(x->c, head, (size_t)n)) {
		vmmctl_close(&vc);
		return;
	}
	x->c->deadline_ms = 0;
	x->c->io_ms = 30000;
	char buf[4096];
	for (;;) {
		if (conn_pending(x->c)) {
			if (ws_client_frame(x->c, &vc))
				break;
			continue;
		}
		struct pollfd p[2] = { { .fd = x->c->fd, .events = POLLIN }, { .fd = vc.fd, .events = POLLIN } };
		/* bytes vmmctl already buffered come first */
		if (vc.rlen == 0 && poll(p, 2, 60000) <= 0) {
			/* a quiet minute: ping, so a client that vanished without a
			 * FIN is found out by TCP instead of holding this slot forever */
			if (ws_send(x->c, 9, "", 0))
				break;
			continue;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (ws_client_frame(x->c, &vc))
				break;
		}
		if (vc.rlen || (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			vc.timeout_ms = 1000;
			ssize_t k = vmmctl_console_read(&vc, buf, sizeof buf);
			if (k <= 0 || ws_send(x->c, 2, buf, (size_t)k))
				break;
		}
	}
	vmmctl_close(&vc);
}

void h_vm_console(struct api_ctx *x)
{
	bool follow = api_query_bool(x, "follow");
	if ((x->req->upgrade_websocket || follow) && pool_stream_hold(x))
		return;
	if (x->req->upgrade_websocket) {
		websocket(x);
		return;
	}
	struct vmmctl vc;
	if (open_console(x, &vc, follow, false))
		return;
	if (api_stream_begin(x, 200, "text/plain; charset=utf-8", NULL)) {
		vmmctl_close(&vc);
		return;
	}
	if (follow)
		x->keep_alive = false;
	x->c->deadline_ms = 0;
	vc.timeout_ms = follow ? -1 : 5000;
	char buf[8192];
	for (;;) {
		if (follow && vc.rlen == 0) {
			struct pollfd p[2] = { { .fd = x->c->fd, .events = POLLRDHUP }, { .fd = vc.fd, .events = POLLIN } };
			if (poll(p, 2, 30000) <= 0)
				continue;
			if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR))
				break; /* client gone */
			if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		ssize_t k = vmmctl_console_read(&vc, buf, sizeof buf);
		if (k <= 0 || api_stream_write(x, buf, (size_t)k))
			break;
	}
	vmmctl_close(&vc);
}
