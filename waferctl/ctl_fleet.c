/* ctl_fleet.c: `waferctl fleet status|vms|place` (update: ctl_fleet_update.c): every context of the settings
 * file, asked at once (one child process per host, each with its own
 * connection settings and the network timeout, 5 s unless --timeout), one
 * row per host; a host that does not answer is a row that says why, and the
 * others are still shown (exit 1 then, after the table). `place` creates a
 * VM (vm create's flags or --spec) on the answering host with the most memory
 * not given to running VMs that fits it, and says which. */
#include "ctl.h"
#include "fsutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct host_q {
	const struct ctl_ctx *ctx;
	pid_t pid;
	int fd;
	char *out;
	size_t len;
};

/* In the child: the host's answers as one JSON object on stdout. */
static int ask(const char *what)
{
	struct json_doc h = { 0 }, st = { 0 }, vms = { 0 };
	if (ctl_call_ok("GET", "/api/v1/vms", NULL, &vms) < 0)
		return 1;
	if (!strcmp(what, "status") &&
	    (ctl_call_ok("GET", "/api/v1/host", NULL, &h) < 0 || ctl_call_ok("GET", "/api/v1/host/stats", NULL, &st) < 0))
		return 1;
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	const struct json_node *r = json_root(&h), *s = json_root(&st);
	if (r) {
		json_w_kstr(&w, "version", ctl_str(r, "version"));
		json_w_kstr(&w, "slot", ctl_str(r, "slot"));
		const struct json_node *n = json_get(r, "uptime_s");
		json_w_kdouble(&w, "uptime_s", n ? n->num : 0);
		n = json_get(r, "kvm");
		json_w_kbool(&w, "kvm", n && n->bval);
		json_w_kstr(&w, "cert_not_after", ctl_str(json_get(r, "certificate"), "not_after"));
	}
	if (s) {
		const struct json_node *c = json_get(s, "cpu"), *m = json_get(s, "memory");
		const struct json_node *u = json_get(c, "usage"), *t = json_get(c, "threads");
		const struct json_node *mt = json_get(m, "total_mib"), *ma = json_get(m, "available_mib");
		json_w_kdouble(&w, "cpu_usage", u ? u->num : 0);
		json_w_kint(&w, "threads", t ? t->ival : 0);
		json_w_kint(&w, "mem_total_mib", mt ? mt->ival : 0);
		json_w_kint(&w, "mem_used_mib", mt && ma ? mt->ival - ma->ival : 0);
	}
	/* committed: what the VMs that run were given; all VMs listed as they are */
	long long vcpus = 0, mem = 0, running = 0, crashed = 0, total = 0;
	const struct json_node *a = json_get(json_root(&vms), "vms");
	json_w_key(&w, "vms");
	json_w_arr_begin(&w);
	for (const struct json_node *v = a ? a->child : NULL; v; v = v->next) {
		const struct json_node *sp = json_get(v, "spec");
		const struct json_node *c = json_get(sp, "vcpus"), *m = json_get(sp, "memory_mib");
		const char *state = ctl_str(v, "state");
		bool on = !strcmp(state, "running") || !strcmp(state, "paused") || !strcmp(state, "starting") ||
			  !strcmp(state, "shutting-down");
		total++;
		running += on;
		crashed += !strcmp(state, "crashed");
		if (on) {
			vcpus += c ? c->ival : 0;
			mem += m ? m->ival : 0;
		}
		json_w_obj_begin(&w);
		json_w_kstr(&w, "name", ctl_str(sp, "name"));
		json_w_kstr(&w, "id", ctl_str(v, "id"));
		json_w_kstr(&w, "state", state);
		json_w_kint(&w, "vcpus", c ? c->ival : 0);
		json_w_kint(&w, "memory_mib", m ? m->ival : 0);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_kint(&w, "vcpus_committed", vcpus);
	json_w_kint(&w, "mem_committed_mib", mem);
	json_w_kint(&w, "vms_running", running);
	json_w_kint(&w, "vms_crashed", crashed);
	json_w_kint(&w, "vms_total", total);
	json_w_obj_end(&w);
	char *out = json_w_finish(&w, NULL);
	json_doc_free(&h);
	json_doc_free(&st);
	json_doc_free(&vms);
	if (!out)
		return 1;
	printf("%s\n", out);
	free(out);
	return 0;
}

void ctl_fleet_use(const struct ctl_ctx *c)
{
	ctl.host = c->v[0];
	ctl.cert = c->v[1];
	ctl.key = c->v[2];
	ctl.ca = c->v[3];
	ctl.fingerprint = c->v[4];
	ctl.json = false;
}

static void start(struct host_q *q, const char *what)
{
	int p[2];
	q->pid = -1;
	q->fd = -1;
	if (pipe(p) < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	q->pid = fork();
	if (q->pid == 0) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);   /* the reason of a failure goes to the row */
		close(p[1]);
		ctl_fleet_use(q->ctx);
		int rc = ask(what);
		fflush(stdout);   /* _exit does not flush stdio */
		fflush(stderr);
		_exit(rc);
	}
	close(p[1]);
	q->fd = p[0];
}

/* Read every child's output until all are done or the deadline passed;
 * those still running then are killed (their row says so). */
static void collect(struct host_q *q, int n, int deadline_ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf[CTL_CONTEXTS_MAX];
		int idx[CTL_CONTEXTS_MAX], m = 0;
		for (int i = 0; i < n; i++)
			if (q[i].fd >= 0) {
				pf[m].fd = q[i].fd;
				pf[m].events = POLLIN;
				idx[m++] = i;
			}
		if (!m)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = deadline_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		if (poll(pf, (nfds_t)m, (int)left) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < m; k++) {
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct host_q *h = &q[idx[k]];
			char buf[8192];
			ssize_t r = read(h->fd, buf, sizeof buf);
			if (r > 0) {
				char *nb = realloc(h->out, h->len + (size_t)r + 1);
				if (nb) {
					h->out = nb;
					memcpy(h->out + h->len, buf, (size_t)r);
					h->len += (size_t)r;
					h->out[h->len] = '\0';
				}
			} else {
				close(h->fd);
				h->fd = -1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		if (q[i].fd >= 0) {
			kill(q[i].pid, SIGKILL);
			close(q[i].fd);
			q[i].fd = -1;
			free(q[i].out);
			q[i].out = strdup("waferctl: no answer in time");
			q[i].len = strlen(q[i].out);
		}
		int st;
		if (q[i].pid > 0)
			waitpid(q[i].pid, &st, 0);
	}
}

/* The child's answer, or NULL with *why the reason it has none. */
static const struct json_node *answer(struct host_q *h, struct json_doc *d, char *why, size_t n)
{
	memset(d, 0, sizeof *d);
	if (h->out && h->out[0] == '{' && json_parse(d, h->out, h->len, NULL, NULL) == 0)
		return json_root(d);
	const char *o = h->out ? h->out : "no answer";
	const char *line = strstr(o, "waferctl: ");
	snprintf(why, n, "unreachable: %s", line ? line + 10 : o);
	why[strcspn(why, "\n")] = '\0';
	return NULL;
}

static long long num(const struct json_node *o, const char *k)
{
	const struct json_node *n = json_get(o, k);
	return n ? (n->is_int ? (long long)n->ival : (long long)n->num) : 0;
}

/* The memory a VM to place asks for: --memory MIB, the spec file's
 * memory_mib, else vm create's default (256). -1 on a bad value. */
static long place_memory(int argc, char **argv)
{
	for (int i = 2; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--memory"))
			return strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1]) && *argv[i + 1] ? atol(argv[i + 1]) : -1;
		if (!strcmp(argv[i], "--spec")) {
			char *text;
			struct json_doc d;
			if (fs_read_file(argv[i + 1], 65536, &text, NULL))
				return -1;
			long m = -1;
			if (json_parse(&d, text, strlen(text), NULL, NULL) == 0) {
				const struct json_node *n = json_get(json_root(&d), "memory_mib");
				m = n && n->is_int ? (long)n->ival : -1;
				json_doc_free(&d);
			}
			free(text);
			return m;
		}
	}
	return 256;
}

static int fleet_place(int argc, char **argv, struct host_q *q, int n)
{
	long need = place_memory(argc, argv);
	if (need <= 0) {
		fprintf(stderr, "waferctl: fleet place: no memory size to place (--memory MIB, or a spec file with memory_mib)\n");
		return 2;
	}
	int best = -1;
	long best_free = -1;
	for (int i = 0; i < n; i++) {
		struct json_doc d;
		char why[300];
		const struct json_node *r = answer(&q[i], &d, why, sizeof why);
		if (!r) {
			fprintf(stderr, "%s: %s\n", q[i].ctx->name, why);
			continue;
		}
		long free_mib = (long)(num(r, "mem_total_mib") - num(r, "mem_committed_mib"));
		fprintf(stderr, "%s: %ld MiB free (%lld of %lld MiB given to running VMs)\n", q[i].ctx->name, free_mib,
			num(r, "mem_committed_mib"), num(r, "mem_total_mib"));
		if (free_mib >= need && free_mib > best_free) {
			best = i;
			best_free = free_mib;
		}
		json_doc_free(&d);
	}
	if (best < 0) {
		fprintf(stderr, "waferctl: fleet place: no host has %ld MiB free\n", need);
		return 1;
	}
	const struct ctl_ctx *c = q[best].ctx;
	printf("placing on %s (%ld MiB free, %ld needed)\n", c->name, best_free, need);
	fflush(stdout);
	ctl.host = c->v[0];
	ctl.cert = c->v[1];
	ctl.key = c->v[2];
	ctl.ca = c->v[3];
	ctl.fingerprint = c->v[4];
	if (!ctl.timeout_set)
		ctl.timeout_ms = 30000;
	char *av[argc + 1];
	av[0] = "vm";
	av[1] = "create";
	for (int i = 2; i < argc; i++)
		av[i] = argv[i];
	av[argc] = NULL;
	return ctl_vm_create(argc, av);
}

int ctl_cmd_fleet(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "update"))
		return ctl_fleet_update(argc, argv);
	bool place = !strcmp(sub, "place") && argc > 2;
	if (!place && (argc != 2 || (strcmp(sub, "status") && strcmp(sub, "vms")))) {
		fprintf(stderr, "usage: waferctl fleet status | vms | place NAME [vm create flags] | place --spec FILE.json\n"
				"       waferctl fleet update BUNDLE [--stop-vms | --suspend-vms] [--force] [--wait SECONDS]\n"
				"       (every context of the settings file)\n");
		return 2;
	}
	struct host_q q[CTL_CONTEXTS_MAX];
	int n = 0;
	for (int i = 0; i < ctl_cfg.n; i++)
		if (ctl_cfg.ctx[i].name) {
			memset(&q[n], 0, sizeof q[n]);
			q[n++].ctx = &ctl_cfg.ctx[i];
		}
	if (!n) {
		fprintf(stderr, "waferctl: no contexts in %s (waferctl context add)\n",
			ctl_cfg.path ? ctl_cfg.path : "the settings file");
		return 1;
	}
	if (!ctl.timeout_set)
		ctl.timeout_ms = 5000;
	for (int i = 0; i < n; i++)
		start(&q[i], place ? "status" : sub);
	collect(q, n, 3 * ctl.timeout_ms + 2000);
	if (place) {
		int rc = fleet_place(argc, argv, q, n);
		for (int i = 0; i < n; i++)
			free(q[i].out);
		return rc;
	}
	int bad = 0;
	struct ctl_table *t;
	if (!strcmp(sub, "status")) {
		static const char *const hdr[] = { "HOST", "VERSION", "UPTIME", "CPU", "MEMORY MiB", "COMMITTED", "VMS",
						   "HEALTH" };
		t = ctl_table_new(8, hdr);
	} else {
		static const char *const hdr[] = { "HOST", "VM", "STATE", "VCPUS", "MEMORY" };
		t = ctl_table_new(5, hdr);
	}
	for (int i = 0; i < n; i++) {
		struct json_doc d;
		char why[300];
		const struct json_node *r = answer(&q[i], &d, why, sizeof why);
		const char *name = q[i].ctx->name;
		if (!r) {
			bad++;
			const char *row[] = { name, "-", "-", "-", "-", "-", "-", why };
			if (!strcmp(sub, "status"))
				ctl_table_row(t, row);
			else
				ctl_table_row(t, (const char *const[]){ name, "-", why, "-", "-" });
			continue;
		}
		if (!strcmp(sub, "vms")) {
			const struct json_node *a = json_get(r, "vms");
			for (const struct json_node *v = a ? a->child : NULL; v; v = v->next) {
				char c[16], m[24];
				snprintf(c, sizeof c, "%lld", num(v, "vcpus"));
				snprintf(m, sizeof m, "%lld MiB", num(v, "memory_mib"));
				ctl_table_row(t, (const char *const[]){ name, ctl_str(v, "name"), ctl_str(v, "state"), c, m });
			}
		} else {
			char ver[96], up[32], cpu[32], mem[48], com[48], vms[32], health[160] = "";
			snprintf(ver, sizeof ver, "%s (%s)", ctl_str(r, "version"), ctl_str(r, "slot"));
			long long s = num(r, "uptime_s");
			if (s >= 86400) snprintf(up, sizeof up, "%lldd%lldh", s / 86400, s % 86400 / 3600);
			else snprintf(up, sizeof up, "%lldh%02lldm", s / 3600, s % 3600 / 60);
			const struct json_node *u = json_get(r, "cpu_usage");
			snprintf(cpu, sizeof cpu, "%.0f%% of %lld", u ? u->num * 100 : 0.0, num(r, "threads"));
			snprintf(mem, sizeof mem, "%lld/%lld", num(r, "mem_used_mib"), num(r, "mem_total_mib"));
			snprintf(com, sizeof com, "%lld vCPU %lld MiB", num(r, "vcpus_committed"), num(r, "mem_committed_mib"));
			snprintf(vms, sizeof vms, "%lld/%lld", num(r, "vms_running"), num(r, "vms_total"));
			const struct json_node *k = json_get(r, "kvm");
			if (k && !k->bval)
				snprintf(health + strlen(health), sizeof health - strlen(health), "no KVM; ");
			if (num(r, "vms_crashed"))
				snprintf(health + strlen(health), sizeof health - strlen(health), "%lld VM(s) crashed; ",
					 num(r, "vms_crashed"));
			if (num(r, "mem_committed_mib") > num(r, "mem_total_mib"))
				snprintf(health + strlen(health), sizeof health - strlen(health), "memory overcommitted; ");
			const char *na = ctl_str(r, "cert_not_after");
			struct tm tm = { 0 };
			if (strptime(na, "%Y-%m-%dT%H:%M:%SZ", &tm) && timegm(&tm) - time(NULL) < 30 * 86400)
				snprintf(health + strlen(health), sizeof health - strlen(health),
					 "certificate expires %.10s; ", na);
			size_t hl = strlen(health);
			if (hl)
				health[hl - 2] = '\0';
			else
				snprintf(health, sizeof health, "ok");
			ctl_table_row(t, (const char *const[]){ name, ver, up, cpu, mem, com, vms, health });
		}
		json_doc_free(&d);
	}
	ctl_table_print(t);
	for (int i = 0; i < n; i++)
		free(q[i].out);
	return bad ? 1 : 0;
}
