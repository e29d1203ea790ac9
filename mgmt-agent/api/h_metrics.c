/* h_metrics.c: GET /metrics in the Prometheus text format: host, agent and
 * per-VM metrics (VM device counters from each VMM's control socket). */
#include "agent.h"
#include "server/api.h"
#include "server/conn_pool.h"
#include "host/hostinfo.h"
#include "metrics_label.h"
#include "vms/vm_service.h"
#include "vmmctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

struct mbuf { char *b; size_t len, cap; };

static void mp(struct mbuf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mp(struct mbuf *m, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(m->b ? m->b + m->len : NULL, m->b ? m->cap - m->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (m->b && m->len + (size_t)n < m->cap) {
			m->len += (size_t)n;
			return;
		}
		size_t nc = m->cap ? m->cap * 2 : 8192;
		while (nc < m->len + (size_t)n + 1)
			nc *= 2;
		char *nb = realloc(m->b, nc);
		if (!nb)
			return;
		m->b = nb;
		m->cap = nc;
	}
}

static void vm_metrics(struct mbuf *m)
{
	struct vm_brief *snap = malloc(VM_MAX * sizeof *snap);
	int n = snap ? vm_svc_briefs(snap, VM_MAX) : 0;
	mp(m, "# TYPE wafer_vm_state gauge\n# TYPE wafer_vm_vcpus gauge\n# TYPE wafer_vm_memory_bytes gauge\n");
	for (int i = 0; i < n; i++) {
		struct vm_brief *s = &snap[i];
		char id[2 * sizeof s->id], name[2 * sizeof s->name], dev[2 * VMMCTL_ID_MAX];
		metrics_label(s->id, id, sizeof id);
		metrics_label(s->name, name, sizeof name);
		for (int st = 0; st < VM_STATES; st++)
			mp(m, "wafer_vm_state{vm=\"%s\",name=\"%s\",state=\"%s\"} %d\n", id, name,
			   vm_state_name((enum vm_state)st), (int)s->state == st);
		mp(m, "wafer_vm_vcpus{vm=\"%s\",name=\"%s\"} %d\n", id, name, s->vcpus);
		mp(m, "wafer_vm_memory_bytes{vm=\"%s\",name=\"%s\"} %llu\n", id, name,
		   (unsigned long long)s->memory_mib << 20);
		if (!s->running)
			continue;
		struct vmmctl c;
		struct vmmctl_stats st;
		memset(&c, 0, sizeof c);
		c.timeout_ms = 1000;
		if (vmmctl_connect(&c, s->ctl) == 0 && vmmctl_stats(&c, &st) == 0) {
			/* the disk and NIC ids come from the VMM: outside input */
			mp(m, "wafer_vm_cpu_seconds_total{vm=\"%s\"} %.3f\n", id, (double)st.vcpu_time_ns / 1e9);
			mp(m, "wafer_vm_exits_total{vm=\"%s\"} %llu\n", id, (unsigned long long)st.exits);
			for (int d = 0; d < st.ndisks; d++) {
				metrics_label(st.disks[d].id, dev, sizeof dev);
				mp(m, "wafer_vm_disk_read_bytes_total{vm=\"%s\",disk=\"%s\"} %llu\n", id, dev,
				   (unsigned long long)st.disks[d].rd_bytes);
				mp(m, "wafer_vm_disk_written_bytes_total{vm=\"%s\",disk=\"%s\"} %llu\n", id, dev,
				   (unsigned long long)st.disks[d].wr_bytes);
			}
			for (int d = 0; d < st.nnets; d++) {
				metrics_label(st.nets[d].id, dev, sizeof dev);
				mp(m, "wafer_vm_net_rx_bytes_total{vm=\"%s\",nic=\"%s\"} %llu\n", id, dev,
				   (unsigned long long)st.nets[d].rx_bytes);
				mp(m, "wafer_vm_net_tx_bytes_total{vm=\"%s\",nic=\"%s\"} %llu\n", id, dev,
				   (unsigned long long)st.nets[d].tx_bytes);
			}
		}
		vmmctl_close(&c);
	}
	free(snap);
}

void h_metrics(struct api_ctx *x)
{
	struct mbuf m = { 0 };
	struct hostinfo h;
	uint64_t busy, total;
	struct statvfs sv;
	hostinfo_read(&h);
	mp(&m, "# TYPE wafer_host_uptime_seconds gauge\nwafer_host_uptime_seconds %.2f\n", h.uptime_s);
	mp(&m, "# TYPE wafer_host_memory_total_bytes gauge\nwafer_host_memory_total_bytes %llu\n",
	   (unsigned long long)h.mem_total_kib * 1024);
	mp(&m, "# TYPE wafer_host_memory_available_bytes gauge\nwafer_host_memory_available_bytes %llu\n",
	   (unsigned long long)h.mem_available_kib * 1024);
	mp(&m, "# TYPE wafer_host_cpu_threads gauge\nwafer_host_cpu_threads %d\n", h.threads);
	if (hostinfo_cpu(&busy, &total) == 0)
		mp(&m, "# TYPE wafer_host_cpu_busy_ticks_total counter\nwafer_host_cpu_busy_ticks_total %llu\n"
		   "# TYPE wafer_host_cpu_ticks_total counter\nwafer_host_cpu_ticks_total %llu\n",
		   (unsigned long long)busy, (unsigned long long)total);
	char path[1024];
	metrics_label(agent_cfg.data_dir, path, sizeof path);
	if (statvfs(agent_cfg.data_dir, &sv) == 0)
		mp(&m, "# TYPE wafer_datastore_size_bytes gauge\nwafer_datastore_size_bytes{path=\"%s\"} %llu\n"
		   "# TYPE wafer_datastore_free_bytes gauge\nwafer_datastore_free_bytes{path=\"%s\"} %llu\n",
		   path, (unsigned long long)sv.f_blocks * sv.f_frsize, path, (unsigned long long)sv.f_bavail * sv.f_frsize);
	mp(&m, "# TYPE wafer_agent_connections gauge\nwafer_agent_connections %d\n",
	   __atomic_load_n(&agent_stats.conns_active, __ATOMIC_RELAXED));
	mp(&m, "# TYPE wafer_agent_connections_total counter\nwafer_agent_connections_total %llu\n",
	   (unsigned long long)agent_stats.conns_total);
	mp(&m, "# TYPE wafer_agent_connections_rejected_total counter\nwafer_agent_connections_rejected_total %llu\n",
	   (unsigned long long)agent_stats.conns_rejected);
	int pu, pa, pe;
	pool_counts(&pu, &pa, &pe);
	mp(&m, "# TYPE wafer_agent_connections_unauthenticated gauge\nwafer_agent_connections_unauthenticated %d\n"
	   "# TYPE wafer_agent_connections_authenticated gauge\nwafer_agent_connections_authenticated %d\n"
	   "# TYPE wafer_agent_connections_evicted_total counter\nwafer_agent_connections_evicted_total %d\n",
	   pu, pa, pe);
	mp(&m, "# TYPE wafer_agent_tls_handshake_failures_total counter\nwafer_agent_tls_handshake_failures_total %llu\n",
	   (unsigned long long)agent_stats.handshake_failures);
	mp(&m, "# TYPE wafer_agent_responses_total counter\n");
	for (int k = 1; k <= 5; k++)
		mp(&m, "wafer_agent_responses_total{class=\"%dxx\"} %llu\n", k,
		   (unsigned long long)agent_stats.responses[k]);
	struct vm_lock_stats ls;
	vm_lock_stats_get(&ls);
	char where[2 * sizeof ls.max_where];
	metrics_label(ls.max_where[0] ? ls.max_where : "none", where, sizeof where);
	mp(&m, "# TYPE wafer_agent_vm_lock_holds_total counter\nwafer_agent_vm_lock_holds_total %llu\n"
	   "# TYPE wafer_agent_vm_lock_hold_seconds_total counter\nwafer_agent_vm_lock_hold_seconds_total %.6f\n"
	   "# TYPE wafer_agent_vm_lock_holds_over_10ms_total counter\nwafer_agent_vm_lock_holds_over_10ms_total %llu\n"
	   "# TYPE wafer_agent_vm_lock_holds_over_100ms_total counter\nwafer_agent_vm_lock_holds_over_100ms_total %llu\n"
	   "# TYPE wafer_agent_vm_lock_hold_max_seconds gauge\nwafer_agent_vm_lock_hold_max_seconds{holder=\"%s\"} %.6f\n",
	   (unsigned long long)ls.holds, (double)ls.total_ns / 1e9, (unsigned long long)ls.over_10ms,
	   (unsigned long long)ls.over_100ms, where, (double)ls.max_ns / 1e9);
	vm_metrics(&m);
	if (!m.b) {
		api_error(x, 500, "internal", "out of memory");
		return;
	}
	api_reply(x, 200, "text/plain; version=0.0.4", m.b, m.len, NULL);
	free(m.b);
}
