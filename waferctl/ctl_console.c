/* ctl_console.c: `waferctl vm console VM --interactive`: a WebSocket client
 * (RFC 6455) for the VM's interactive serial console over the mutual-TLS
 * connection. Keys typed go to the guest's serial input; its output goes to
 * stdout. On a terminal, the terminal is raw and Ctrl-] quits; with stdin
 * from a pipe, end of input closes the console (after the guest's output
 * that is already on its way). */
#include "ctl.h"
#include "tls_x509.h"
#include "ws_frame.h"

#include <errno.h>
#include <mbedtls/base64.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define WS_MAX_IN (64u << 10)   /* largest server frame accepted */
#define WS_MAX_OUT 4096u        /* the agent takes at most 4 KiB per frame */
#define CTRL_RBRACKET 0x1d

struct ws {
	struct ctl_conn *c;
	unsigned char *in;          /* unparsed received bytes */
	size_t inlen;
	bool closed;                /* a close frame was received */
};

/* The response head (NUL-terminated in c->buf) must carry the right accept key. */
static bool head_accept_ok(struct ctl_conn *c, const char *want)
{
	for (char *l = strstr(c->buf, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		char *h = l + 2;
		if (!strncasecmp(h, "sec-websocket-accept:", 21)) {
			h += 21;
			h += strspn(h, " \t");
			return !strncmp(h, want, strlen(want)) && (h[strlen(want)] == '\r' || !h[strlen(want)]);
		}
	}
	return false;
}

static int ws_send(struct ws *w, int op, const void *data, size_t len)
{
	unsigned char f[WS_MAX_OUT + 14], mask[4];
	if (len > WS_MAX_OUT || tls_rng(NULL, mask, 4))
		return -1;
	return ctl_write(w->c, f, ws_frame_build(op, data, len, mask, f));
}

/* Handle every complete frame in w->in. Returns 0, or -1 on a protocol error. */
static int ws_frames(struct ws *w)
{
	struct ws_frame f;
	int r;
	while ((r = ws_frame_parse(w->in, w->inlen, WS_MAX_IN, &f, w->c->err, sizeof w->c->err)) == 1) {
		if (f.op == WS_OP_CONT || f.op == WS_OP_TEXT || f.op == WS_OP_BINARY) {
			fwrite(f.payload, 1, f.len, stdout);
			fflush(stdout);
		} else if (f.op == WS_OP_PING) {
			if (ws_send(w, WS_OP_PONG, f.payload, f.len))
				return -1;
		} else if (f.op == WS_OP_CLOSE) {
			w->closed = true;
		}
		memmove(w->in, w->in + f.size, w->inlen - f.size);
		w->inlen -= f.size;
	}
	return r < 0 ? -1 : 0;
}

/* Read what the connection has (blocks until at least one TLS record). */
static int ws_receive(struct ws *w)
{
	if (w->inlen == WS_MAX_IN + 16) {
		snprintf(w->c->err, sizeof w->c->err, "frame too large");
		return -1;
	}
	int r = ctl_body_read(w->c, w->in + w->inlen, WS_MAX_IN + 16 - w->inlen);
	if (r <= 0)
		return r == 0 ? 1 : -1; /* 1: the host closed the connection */
	w->inlen += (size_t)r;
	return ws_frames(w);
}

static bool conn_has_data(struct ctl_conn *c)
{
	return c->bpos < c->blen || mbedtls_ssl_get_bytes_avail(&c->ssl) > 0;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Pump stdin → guest and guest → stdout until Ctrl-] (tty), end of input,
 * or the host closes. Returns 0 or -1 (error in w->c->err). */
static int ws_loop(struct ws *w, bool tty)
{
	bool in_open = true;
	int64_t linger_until = 0;
	for (;;) {
		if (w->closed)
			return 0;
		if (!in_open && now_ms() > linger_until)
			return 0;
		if (!conn_has_data(w->c)) {
			struct pollfd p[2] = { { .fd = w->c->net.fd, .events = POLLIN },
					       { .fd = 0, .events = in_open ? POLLIN : 0 } };
			int r = poll(p, 2, in_open ? -1 : 200);
			if (r < 0 && errno != EINTR)
				return -1;
			if (r <= 0)
				continue;
			if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
				unsigned char b[WS_MAX_OUT];
				ssize_t n = read(0, b, tty ? 512 : sizeof b);
				unsigned char *quit = n > 0 && tty ? memchr(b, CTRL_RBRACKET, (size_t)n) : NULL;
				if (quit)
					n = quit - b;
				if (n > 0 && ws_send(w, WS_OP_BINARY, b, (size_t)n))
					return -1;
				if (n <= 0 || quit)
					in_open = false;
				if (!in_open) { /* give output already under way a moment, then close */
					ws_send(w, WS_OP_CLOSE, "\x03\xe8", 2);
					linger_until = now_ms() + (tty ? 500 : 3000);
				}
			}
			if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		int r = ws_receive(w);
		if (r < 0)
			return -1;
		if (r == 1)
			return 0;
	}
}

int ctl_console_interactive(const char *vm)
{
	struct ctl_conn c;
	unsigned char nonce[16];
	char key[32], want[64], path[256], hdr[256];
	size_t kl;
	snprintf(path, sizeof path, "/api/v1/vms/%s/console", vm);
	ctl.timeout_ms = 0; /* an interactive session may stay quiet for long */
	if (ctl_connect(&c) || tls_rng(NULL, nonce, sizeof nonce) ||
	    mbedtls_base64_encode((unsigned char *)key, sizeof key, &kl, nonce, sizeof nonce) ||
	    ws_accept_key(key, want)) {
		fprintf(stderr, "waferctl: %s\n", c.err[0] ? c.err : "cannot set up the WebSocket key");
		ctl_close(&c);
		return 1;
	}
	snprintf(hdr, sizeof hdr, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		 "Sec-WebSocket-Version: 13\r\n", key);
	if (ctl_send(&c, "GET", path, NULL, NULL, 0, hdr) || ctl_response(&c) < 0) {
		fprintf(stderr, "waferctl: %s\n", c.err);
		ctl_close(&c);
		return 1;
	}
	if (c.status != 101)
		return ctl_answer_error(&c, "the host did not switch to a WebSocket: ");
	if (!head_accept_ok(&c, want)) {
		fprintf(stderr, "waferctl: wrong or missing Sec-WebSocket-Accept in the host's answer\n");
		ctl_close(&c);
		return 1;
	}
	struct ws w = { .c = &c, .in = malloc(WS_MAX_IN + 16) };
	struct termios saved, raw;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		fprintf(stderr, "Connected to the console of %s; Ctrl-] quits.\r\n", vm);
	}
	int rc = w.in ? ws_loop(&w, tty) : -1;
	if (tty) {
		tcsetattr(0, TCSANOW, &saved);
		fprintf(stderr, "\nConsole of %s closed.\n", vm);
	}
	if (rc)
		fprintf(stderr, "waferctl: console: %s\n", c.err[0] ? c.err : "out of memory");
	free(w.in);
	ctl_close(&c);
	return rc ? 1 : 0;
}
