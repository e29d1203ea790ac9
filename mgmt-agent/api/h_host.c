/* h_host.c: GET /api/v1/host, /host/stats, /host/logs and POST
 * /host/reboot, /host/shutdown (through init's control socket). */
#include "agent.h"
#include "agent_privs.h"
#include "server/api.h"
#include "vms/cgroup.h"
#include "server/conn_pool.h"
#include "server/enroll.h"
#include "server/events.h"
#include "fsutil.h"
#include "host/hostinfo.h"
#include "initctl.h"
#include "server/tls_server.h"
#include "vms/vm.h"
#include "vms/vm_service.h"
#include "wafer-version.h"
#include "wlog.h"

#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

const char *agent_version(void)
{
	static char v[64];
	if (!v[0]) {
		char p[512], *b;
		agent_path(p, sizeof p, agent_cfg.etc_dir, "version");
		if (fs_read_file(p, 63, &b, NULL) == 0) {
			snprintf(v, sizeof v, "%.*s", (int)strcspn(b, "\r\n"), b);
			free(b);
		}
		if (!v[0])
			snprintf(v, sizeof v, "%s", WAFER_VERSION);
	}
	return v;
}

/* What GET /api/v1/host says that does not change while the host runs (the
 * boot medium, the image's manifest) is read once and kept as JSON text: a
 * dashboard polling the host does not ask init or parse 40 KiB each time. */
static pthread_mutex_t once_lock = PTHREAD_MUTEX_INITIALIZER;
static char *medium_json, *manifest_json;
static size_t medium_len, manifest_len;

/* "medium": the disk the host booted from as init found it (bus, model,
 * size, how long init waited for it), {"stateless": true} without one; NULL
 * (null in the reply, asked again next time) when init cannot be asked. */
static char *read_medium(size_t *len)
{
	char st[4096], buf[512], v[128];
	struct json_w ww, *w = &ww;
	if (initctl_status(agent_init_sock(buf, sizeof buf), st, sizeof st) != 0)
		return NULL;
	json_w_init(w);
	json_w_obj_begin(w);
	int stateless = initctl_kv(st, "stateless", v, sizeof v) == 0 && !strcmp(v, "1");
	json_w_kbool(w, "stateless", stateless);
	if (!stateless && initctl_kv(st, "medium", v, sizeof v) == 0) {
		json_w_kstr(w, "disk", v);
		static const char *const keys[][2] = { { "medium_bus", "bus" }, { "medium_model", "model" },
						       { "medium_text", "description" } };
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (initctl_kv(st, keys[i][0], v, sizeof v) == 0)
				json_w_kstr(w, keys[i][1], v);
		if (initctl_kv(st, "medium_bytes", v, sizeof v) == 0)
			json_w_kuint(w, "bytes", strtoull(v, NULL, 10));
		if (initctl_kv(st, "medium_wait_ms", v, sizeof v) == 0)
			json_w_kuint(w, "wait_ms", strtoull(v, NULL, 10));
	}
	json_w_obj_end(w);
	return json_w_finish(w, len);
}

/* The image's manifest.json, checked to be JSON; NULL when missing or not. */
static char *read_manifest(size_t *len)
{
	char p[512], *man = NULL;
	struct json_doc d;
	agent_path(p, sizeof p, agent_cfg.etc_dir, "manifest.json");
	if (fs_read_file(p, 1 << 20, &man, len) != 0)
		return NULL;
	if (json_parse(&d, man, *len, NULL, NULL) != 0) {
		free(man);
		return NULL;
	}
	json_doc_free(&d);
	return man;
}

static void write_kept(struct json_w *w, const char *key, char **text, size_t *len, char *(*read)(size_t *))
{
	pthread_mutex_lock(&once_lock);
	if (!*text)
		*text = read(len);
	json_w_key(w, key);
	if (*text)
		json_w_raw(w, *text, *len);
	else
		json_w_null(w);
	pthread_mutex_unlock(&once_lock);
}

/* "memory" (HostMemory in docs/openapi.yaml) of GET /host and /host/stats */
static void write_memory(struct json_w *w, const struct hostinfo *h)
{
	json_w_key(w, "memory");
	json_w_obj_begin(w);
	json_w_kuint(w, "total_mib", h->mem_total_kib / 1024);
	json_w_kuint(w, "available_mib", h->mem_available_kib / 1024);
	json_w_obj_end(w);
}

void h_host(struct api_ctx *x)
{
	struct hostinfo h;
	struct json_w w;
	char host[64] = "";
	hostinfo_read(&h);
	gethostname(host, sizeof host - 1);
	int running, nvms = vm_count(&running);
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "hostname", host);
	json_w_kstr(&w, "version", agent_version());
	json_w_kstr(&w, "board", WAFER_BOARD);
	json_w_kstr(&w, "slot", h.slot);
	json_w_kdouble(&w, "uptime_s", h.uptime_s);
	json_w_key(&w, "cpu");
	json_w_obj_begin(&w);
	json_w_kstr(&w, "model", h.cpu_model);
	json_w_kint(&w, "cores", h.cores);
	json_w_kint(&w, "threads", h.threads);
	json_w_obj_end(&w);
	write_memory(&w, &h);
	json_w_kbool(&w, "kvm", h.kvm);
	json_w_kstr(&w, "fingerprint", tls_host_fingerprint());
	char nb[32], na[32];
	tls_host_validity(nb, na, sizeof nb);
	json_w_key(&w, "certificate");
	json_w_obj_begin(&w);
	json_w_kstr(&w, "not_before", nb);
	json_w_kstr(&w, "not_after", na);
	json_w_obj_end(&w);
	json_w_kstr(&w, "enrollment", enroll_open() ? "open" : "closed");
	json_w_kint(&w, "vms", nvms);
	json_w_kint(&w, "vms_running", running);
	int cgroups, vmms;
	if (cg_census(CG_ROOT, &cgroups, &vmms) == 0) {
		json_w_kint(&w, "vmm_processes", vmms);
		json_w_kint(&w, "vm_cgroups", cgroups);
	}
	write_kept(&w, "medium", &medium_json, &medium_len, read_medium);
	agent_privs_json(&w);
	write_kept(&w, "manifest", &manifest_json, &manifest_len, read_manifest);
	json_w_obj_end(&w);
	api_reply_w(x, 200, &w);
}

static void write_nets(struct json_w *w)
{
	char *b;
	json_w_key(w, "network");
	json_w_arr_begin(w);
	if (fs_read_file("/proc/net/dev", 1 << 20, &b, NULL) == 0) {
		char *line = strchr(b, '\n');
		line = line ? strchr(line + 1, '\n') : NULL;
		while (line && *++line) {
			char name[32];
			unsigned long long v[16];
			if (sscanf(line, " %31[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
				   &v[9], &v[10], &v[11]) == 13) {
				json_w_obj_begin(w);
				json_w_kstr(w, "name", name);
				json_w_kuint(w, "rx_bytes", v[0]);
				json_w_kuint(w, "rx_packets", v[1]);
				json_w_kuint(w, "tx_bytes", v[8]);
				json_w_kuint(w, "tx_packets", v[9]);
				json_w_obj_end(w);
			}
			line = strchr(line, '\n');
		}
		free(b);
	}
	json_w_arr_end(w);
}

void h_host_stats(struct api_ctx *x)
{
	struct hostinfo h;
	struct json_w w;
	uint64_t b1, t1, b2, t2;
	struct statvfs sv;
	hostinfo_read(&h);
	int cpu_ok = hostinfo_cpu(&b1, &t1) == 0;
	usleep(100000);
	cpu_ok = cpu_ok && hostinfo_cpu(&b2, &t2) == 0 && t2 > t1;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "cpu");
	json_w_obj_begin(&w);
	json_w_kint(&w, "threads", h.threads);
	json_w_kdouble(&w, "usage", cpu_ok ? (double)(b2 - b1) / (double)(t2 - t1) : 0.0);
	json_w_obj_end(&w);
	write_memory(&w, &h);
	write_nets(&w);
	json_w_key(&w, "datastores");
	json_w_arr_begin(&w);
	if (statvfs(agent_cfg.data_dir, &sv) == 0) {
		json_w_obj_begin(&w);
		json_w_kstr(&w, "path", agent_cfg.data_dir);
		json_w_kuint(&w, "total_bytes", (uint64_t)sv.f_blocks * sv.f_frsize);
		json_w_kuint(&w, "free_bytes", (uint64_t)sv.f_bavail * sv.f_frsize);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	api_reply_w(x, 200, &w);
}

/* Connect to one of init's sockets (path relative to run_dir). */
static int unix_connect(const char *configured, const char *name)
{
	char path[512];
	if (configured)
		snprintf(path, sizeof path, "%s", configured);
	else
		agent_path(path, sizeof path, agent_cfg.run_dir, "%s", name);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ?vms=suspend: every running or paused VM suspended to the datastore, one
 * after the other, before init is asked (an autostart VM then resumes at
 * boot, the others stay suspended). The first that fails stops it all:
 * 409 naming it and those already suspended, and the host stays up. */
static int suspend_all(struct api_ctx *x, struct json_w *names)
{
	struct vm_brief *b = malloc(VM_MAX * sizeof *b);
	if (!b) {
		api_error(x, 500, "internal", "out of memory");
		return -1;
	}
	int n = vm_svc_briefs(b, VM_MAX), done = 0;
	char list[600] = "";
	for (int i = 0; i < n; i++) {
		if (b[i].state != VM_RUNNING && b[i].state != VM_PAUSED)
			continue;
		struct vm_result r;
		if (vm_svc_action(b[i].id, VM_ACT_SUSPEND, NULL, &r) < 0) {
			api_error(x, 409, "conflict", "not rebooted: VM '%s' could not be suspended: %.300s%s%s", b[i].name,
				  r.msg, done ? "; suspended before it:" : "", list);
			free(b);
			return -1;
		}
		json_w_str(names, b[i].name);
		if (strlen(list) + strlen(b[i].name) + 2 < sizeof list)
			snprintf(list + strlen(list), sizeof list - strlen(list), " %s", b[i].name);
		done++;
	}
	free(b);
	return done;
}

/* Ask init through its control socket (lib/initctl). */
static void power(struct api_ctx *x, const char *cmd)
{
	char buf[512], vms[16] = "stop";
	struct json_w w;
	if (http_query_param(x->req, "vms", vms, sizeof vms) < 0 || (strcmp(vms, "stop") && strcmp(vms, "suspend"))) {
		api_error(x, 400, "bad_request", "vms: 'stop' (the VMs are stopped by the %s) or 'suspend'", cmd);
		return;
	}
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "action", cmd);
	json_w_key(&w, "suspended");
	json_w_arr_begin(&w);
	int ns = 0;
	if (!strcmp(vms, "suspend") && (ns = suspend_all(x, &w)) < 0) {
		free(json_w_finish(&w, NULL));
		return;
	}
	json_w_arr_end(&w);
	const char *sock = agent_init_sock(buf, sizeof buf);
	__atomic_add_fetch(&agent_replies_pending, 1, __ATOMIC_ACQ_REL);   /* answered before the agent exits */
	int rc = !strcmp(cmd, "reboot") ? initctl_reboot(sock) : initctl_poweroff(sock);
	if (rc) {
		/* the VMs suspended above stay so (nothing lost): say it */
		const char *sus = ns > 0 ? "; the VMs were suspended: start resumes them" : "";
		free(json_w_finish(&w, NULL));
		if (rc == -EPROTO)
			api_error(x, 500, "init_error", "init refused '%s'%s", cmd, sus);
		else
			api_error(x, 503, "init_unavailable", "cannot reach init's control socket %s: %s%s", sock,
				  strerror(-rc), sus);
		__atomic_sub_fetch(&agent_replies_pending, 1, __ATOMIC_ACQ_REL);
		return;
	}
	wlog(WLOG_INFO, "host", "%s requested by %s (%s)%s", cmd, x->c->cn, x->c->peer,
	     ns > 0 ? ", its VMs suspended" : "");
	events_post_str("host.power", NULL, "action", cmd);
	json_w_kbool(&w, "accepted", true);
	json_w_obj_end(&w);
	x->keep_alive = false;
	api_reply_w(x, 202, &w);
	__atomic_sub_fetch(&agent_replies_pending, 1, __ATOMIC_ACQ_REL);
}

void h_host_reboot(struct api_ctx *x) { power(x, "reboot"); }
void h_host_shutdown(struct api_ctx *x) { power(x, "poweroff"); }

/* GET /api/v1/host/logs[?follow=1][&from=SEQ]: init's log ring as text lines
 * "SEQ TIME_MS PRIO TAG MESSAGE". */
void h_host_logs(struct api_ctx *x)
{
	char from[24] = "", req[64];
	bool follow = api_query_bool(x, "follow");
	if (http_query_param(x->req, "from", from, sizeof from) == 1 &&
	    (!*from || strspn(from, "0123456789") != strlen(from))) {
		api_error(x, 400, "bad_request", "'from' must be a sequence number");
		return;
	}
	if (follow && pool_stream_hold(x))
		return;
	int fd = unix_connect(agent_cfg.log_sock, "log.sock");
	if (fd < 0) {
		api_error(x, 503, "log_unavailable", "cannot reach init's log socket: %s", strerror(errno));
		return;
	}
	int n = snprintf(req, sizeof req, "%s%s%s\n", follow ? "follow" : "dump", from[0] ? " " : "", from);
	if (fs_write_all(fd, req, (size_t)n) || api_stream_begin(x, 200, "text/plain; charset=utf-8", NULL)) {
		close(fd);
		if (!x->status)
			api_error(x, 503, "log_unavailable", "log socket write failed");
		return;
	}
	if (follow)
		x->keep_alive = false;
	x->c->deadline_ms = 0;
	char buf[8192];
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = x->c->fd, .events = POLLRDHUP } };
		int r = poll(p, 2, 15000);
		if (r == 0) {
			if (!follow)
				break;
			continue;
		}
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
			break; /* the client went away */
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t k = read(fd, buf, sizeof buf);
		if (k <= 0 || api_stream_write(x, buf, (size_t)k))
			break;
	}
	close(fd);
}
