/* vmmctl.c: client side of the wafer-vmm control socket: connect, send one
 * JSON request line, read one JSON response line (with a timeout), decode
 * status/stats into structs; console streaming (docs/vmm.md). */
#include "vmmctl.h"
#include "json.h"
#include "wafer_contract.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VMMCTL_LINE_MAX (1u << 20)

static int vc_fail(struct vmmctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vc_fail(struct vmmctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

int vmmctl_connect(struct vmmctl *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = 5000;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vc_fail(c, "%s: path too long", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return vc_fail(c, "connect %s: %s", path, strerror(e));
	}
	return 0;
}

void vmmctl_close(struct vmmctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = c->rcap = 0;
}

static int vc_wait(struct vmmctl *c, short ev)
{
	struct pollfd p = { .fd = c->fd, .events = ev };
	int r;
	do
		r = poll(&p, 1, c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = EAGAIN;
		return vc_fail(c, "timeout after %d ms", c->timeout_ms);
	}
	return r < 0 ? vc_fail(c, "poll: %s", strerror(errno)) : 0;
}

static int vc_send_all(struct vmmctl *c, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return vc_fail(c, "send: %s", strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read more bytes into rbuf; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t vc_fill(struct vmmctl *c)
{
	if (c->rcap - c->rlen < 4096) {
		size_t cap = c->rcap ? c->rcap * 2 : 8192;
		if (cap > VMMCTL_LINE_MAX + 8192)
			return vc_fail(c, "response line too long");
		char *n = realloc(c->rbuf, cap);
		if (!n)
			return vc_fail(c, "out of memory");
		c->rbuf = n;
		c->rcap = cap;
	}
	if (vc_wait(c, POLLIN) < 0)
		return -1;
	ssize_t r = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
	if (r < 0)
		return vc_fail(c, "recv: %s", strerror(errno));
	c->rlen += (size_t)r;
	return r;
}

static char *vc_read_line(struct vmmctl *c)
{
	for (;;) {
		char *nl = c->rbuf ? memchr(c->rbuf, '\n', c->rlen) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->rbuf);
			char *line = malloc(n + 1);
			if (!line) {
				vc_fail(c, "out of memory");
				return NULL;
			}
			memcpy(line, c->rbuf, n);
			line[n] = 0;
			memmove(c->rbuf, nl + 1, c->rlen - n - 1);
			c->rlen -= n + 1;
			return line;
		}
		ssize_t r = vc_fill(c);
		if (r == 0)
			vc_fail(c, "connection closed by the VMM");
		if (r <= 0)
			return NULL;
	}
}

char *vmmctl_request(struct vmmctl *c, const char *json)
{
	if (c->fd < 0) {
		vc_fail(c, "not connected");
		return NULL;
	}
	/* the request and its newline in one message: a reader that takes one
	 * recv() for one request gets it whole */
	size_t n = strlen(json);
	char *line = malloc(n + 2);
	if (!line) {
		vc_fail(c, "out of memory");
		return NULL;
	}
	memcpy(line, json, n);
	line[n] = '\n';
	int rc = vc_send_all(c, line, n + 1);
	free(line);
	return rc < 0 ? NULL : vc_read_line(c);
}

/* Send, parse, check "ok"; on success *doc holds the response. */
static int vc_call(struct vmmctl *c, const char *json, struct json_doc *doc)
{
	char *line = vmmctl_request(c, json);
	if (!line)
		return -1;
	struct json_err je;
	int r = json_parse(doc, line, strlen(line), NULL, &je);
	free(line);
	if (r < 0)
		return vc_fail(c, "bad response: %s", je.msg);
	const struct json_node *root = json_root(doc);
	const struct json_node *ok = json_get(root, "ok");
	if (!json_is(ok, JSON_BOOL) || !ok->bval) {
		const char *e = json_get_str(root, "error");
		vc_fail(c, "%s", e ? e : "request failed");
		json_doc_free(doc);
		return -1;
	}
	return 0;
}

static int vc_simple(struct vmmctl *c, const char *json)
{
	struct json_doc doc;
	if (vc_call(c, json, &doc) < 0)
		return -1;
	json_doc_free(&doc);
	return 0;
}

/* A request (wafer_contract.h): {"cmd":CMD}, plus "KEY":VAL when key is
 * given, written by the one JSON writer. NULL when out of memory. */
static char *vc_req(const char *cmd, const char *key, uint64_t val)
{
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, VMMCTL_ARG_CMD, cmd);
	if (key)
		json_w_kuint(&w, key, val);
	json_w_obj_end(&w);
	size_t n;
	return json_w_finish(&w, &n);
}

/* Send CMD (KEY VAL) and expect "ok"; for commands whose reply is not read. */
static int vc_cmd(struct vmmctl *c, const char *cmd, const char *key, uint64_t val)
{
	char *req = vc_req(cmd, key, val);
	if (!req)
		return vc_fail(c, "%s: out of memory", cmd);
	int r = vc_simple(c, req);
	free(req);
	return r;
}

/* The same, keeping the reply in doc. */
static int vc_cmd_doc(struct vmmctl *c, const char *cmd, struct json_doc *doc)
{
	char *req = vc_req(cmd, NULL, 0);
	if (!req)
		return vc_fail(c, "%s: out of memory", cmd);
	int r = vc_call(c, req, doc);
	free(req);
	return r;
}

static uint64_t vc_u64(const struct json_node *o, const char *k)
{
	const struct json_node *n = json_get(o, k);
	return json_is(n, JSON_NUMBER) && n->is_int && n->ival >= 0 ? (uint64_t)n->ival : 0;
}

static void vc_str(char *dst, size_t len, const struct json_node *o, const char *k)
{
	const char *s = json_get_str(o, k);
	snprintf(dst, len, "%s", s ? s : "");
}

int vmmctl_status(struct vmmctl *c, struct vmmctl_status *st)
{
	struct json_doc doc;
	if (vc_cmd_doc(c, VMMCTL_CMD_STATUS, &doc) < 0)
		return -1;
	const struct json_node *r = json_root(&doc);
	memset(st, 0, sizeof(*st));
	vc_str(st->id, sizeof(st->id), r, "id");
	vc_str(st->state, sizeof(st->state), r, "state");
	vc_str(st->exit_reason, sizeof(st->exit_reason), r, "exit_reason");
	st->vcpus = (int)vc_u64(r, "vcpus");
	st->memory_mib = vc_u64(r, "memory_mib");
	st->pid = (int)vc_u64(r, "pid");
	st->uptime_ms = vc_u64(r, "uptime_ms");
	const struct json_node *b = json_get(r, "boot_ms");
	st->boot_ms = json_is(b, JSON_NUMBER) ? b->ival : -1;
	const struct json_node *br = json_get(r, "broken");
	for (const struct json_node *n = br ? br->child : NULL;
	     n && st->nbroken < (int)(sizeof(st->broken) / sizeof(st->broken[0])); n = n->next)
		if (json_is(n, JSON_STRING))
			snprintf(st->broken[st->nbroken++], VMMCTL_ID_MAX, "%s", n->str);
	json_doc_free(&doc);
	return 0;
}

int vmmctl_pause(struct vmmctl *c) { return vc_cmd(c, VMMCTL_CMD_PAUSE, NULL, 0); }
int vmmctl_resume(struct vmmctl *c) { return vc_cmd(c, VMMCTL_CMD_RESUME, NULL, 0); }
int vmmctl_stop(struct vmmctl *c) { return vc_cmd(c, VMMCTL_CMD_STOP, NULL, 0); }

int vmmctl_shutdown(struct vmmctl *c, unsigned timeout_s)
{
	return vc_cmd(c, VMMCTL_CMD_SHUTDOWN, VMMCTL_ARG_TIMEOUT_S, timeout_s ? timeout_s : 60);
}

int vmmctl_balloon(struct vmmctl *c, uint64_t target_mib)
{
	return vc_cmd(c, VMMCTL_CMD_BALLOON, VMMCTL_ARG_TARGET_MIB, target_mib);
}

int vmmctl_save(struct vmmctl *c, struct vmmctl_save *out)
{
	struct json_doc doc;
	if (vc_cmd_doc(c, VMMCTL_CMD_SAVE, &doc) < 0)
		return -1;
	const struct json_node *r = json_root(&doc);
	memset(out, 0, sizeof(*out));
	out->state_bytes = vc_u64(r, "state_bytes");
	out->memory_bytes = vc_u64(r, "memory_bytes");
	out->pages_written = vc_u64(r, "pages_written");
	out->file_bytes = vc_u64(r, "file_bytes");
	out->ms = vc_u64(r, "ms");
	json_doc_free(&doc);
	return 0;
}

static void vc_stats_devs(struct vmmctl_stats *st, const struct json_node *r)
{
	const struct json_node *a = json_get(r, "disks");
	for (const struct json_node *n = a ? a->child : NULL; n && st->ndisks < VMMCTL_MAX_DEVS; n = n->next) {
		struct vmmctl_disk_stats *d = &st->disks[st->ndisks++];
		vc_str(d->id, sizeof(d->id), n, "id");
		d->rd_bytes = vc_u64(n, "rd_bytes"); d->wr_bytes = vc_u64(n, "wr_bytes");
		d->rd_ops = vc_u64(n, "rd_ops"); d->wr_ops = vc_u64(n, "wr_ops");
		d->flush_ops = vc_u64(n, "flush_ops"); d->discard_ops = vc_u64(n, "discard_ops");
		d->errors = vc_u64(n, "errors");
		const struct json_node *b = json_get(n, "broken");
		d->broken = json_is(b, JSON_BOOL) && b->bval;
	}
	a = json_get(r, "nets");
	for (const struct json_node *n = a ? a->child : NULL; n && st->nnets < VMMCTL_MAX_DEVS; n = n->next) {
		struct vmmctl_net_stats *d = &st->nets[st->nnets++];
		vc_str(d->id, sizeof(d->id), n, "id");
		d->rx_bytes = vc_u64(n, "rx_bytes"); d->tx_bytes = vc_u64(n, "tx_bytes");
		d->rx_packets = vc_u64(n, "rx_packets"); d->tx_packets = vc_u64(n, "tx_packets");
		d->rx_dropped = vc_u64(n, "rx_dropped");
		const struct json_node *b = json_get(n, "broken");
		d->broken = json_is(b, JSON_BOOL) && b->bval;
	}
}

int vmmctl_stats(struct vmmctl *c, struct vmmctl_stats *st)
{
	struct json_doc doc;
	if (vc_cmd_doc(c, VMMCTL_CMD_STATS, &doc) < 0)
		return -1;
	const struct json_node *r = json_root(&doc);
	memset(st, 0, sizeof(*st));
	st->vcpu_time_ns = vc_u64(r, "vcpu_time_ns");
	st->exits = vc_u64(r, "exits");
	st->exits_io = vc_u64(r, "exits_io");
	st->exits_mmio = vc_u64(r, "exits_mmio");
	st->uptime_ms = vc_u64(r, "uptime_ms");
	const struct json_node *b = json_get(r, "boot_ms");
	st->boot_ms = json_is(b, JSON_NUMBER) ? b->ival : -1;
	vc_stats_devs(st, r);
	const struct json_node *bl = json_get(r, "balloon");
	if (bl) {
		const struct json_node *g = json_get(bl, "guest");
		st->has_balloon = true;
		st->balloon_target_mib = vc_u64(bl, "target_mib");
		st->balloon_actual_mib = vc_u64(bl, "actual_mib");
		st->guest_swap_in = vc_u64(g, "swap_in"); st->guest_swap_out = vc_u64(g, "swap_out");
		st->guest_major_faults = vc_u64(g, "major_faults");
		st->guest_minor_faults = vc_u64(g, "minor_faults");
		st->guest_free_memory = vc_u64(g, "free_memory");
		st->guest_total_memory = vc_u64(g, "total_memory");
		st->guest_available_memory = vc_u64(g, "available_memory");
		st->guest_disk_caches = vc_u64(g, "disk_caches");
	}
	const struct json_node *con = json_get(r, "console");
	st->console_bytes = vc_u64(con, "bytes");
	st->console_ring_size = vc_u64(con, "ring_size");
	json_doc_free(&doc);
	return 0;
}

int vmmctl_console_write(struct vmmctl *c, const void *data, size_t len)
{
	if (len > 4096)
		return vc_fail(c, "console-write: %zu bytes, at most 4096", len);
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, VMMCTL_ARG_CMD, VMMCTL_CMD_CONSOLE_WRITE);
	json_w_key(&w, VMMCTL_ARG_DATA);
	json_w_strn(&w, data, len);
	json_w_obj_end(&w);
	size_t n;
	char *req = json_w_finish(&w, &n);
	if (!req)
		return vc_fail(c, "console-write: data is not valid text");
	int r = vc_simple(c, req);
	free(req);
	return r;
}

int vmmctl_console_open(struct vmmctl *c, uint64_t from, bool follow, bool input,
			uint64_t *offset, uint64_t *lost)
{
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, VMMCTL_ARG_CMD, VMMCTL_CMD_CONSOLE);
	if (from == VMMCTL_FROM_START)
		json_w_kstr(&w, VMMCTL_ARG_FROM, "start");
	else if (from == VMMCTL_FROM_END)
		json_w_kstr(&w, VMMCTL_ARG_FROM, "end");
	else
		json_w_kuint(&w, VMMCTL_ARG_FROM, from);
	json_w_kbool(&w, VMMCTL_ARG_FOLLOW, follow);
	json_w_kbool(&w, VMMCTL_ARG_INPUT, input);
	json_w_obj_end(&w);
	size_t rn;
	char *req = json_w_finish(&w, &rn);
	if (!req)
		return vc_fail(c, "console: out of memory");
	struct json_doc doc;
	int cr = vc_call(c, req, &doc);
	free(req);
	if (cr < 0)
		return -1;
	const struct json_node *r = json_root(&doc);
	if (offset)
		*offset = vc_u64(r, "offset");
	if (lost)
		*lost = vc_u64(r, "lost");
	json_doc_free(&doc);
	return 0;
}

ssize_t vmmctl_console_read(struct vmmctl *c, void *buf, size_t len)
{
	if (c->rlen) {   /* bytes that arrived with the response line */
		size_t n = c->rlen < len ? c->rlen : len;
		memcpy(buf, c->rbuf, n);
		memmove(c->rbuf, c->rbuf + n, c->rlen - n);
		c->rlen -= n;
		return (ssize_t)n;
	}
	if (c->timeout_ms >= 0 && vc_wait(c, POLLIN) < 0)
		return -1;
	ssize_t r;
	do
		r = recv(c->fd, buf, len, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return vc_fail(c, "recv: %s", strerror(errno));
	return r;
}

int vmmctl_console_send(struct vmmctl *c, const void *data, size_t len)
{
	return vc_send_all(c, data, len);
}
