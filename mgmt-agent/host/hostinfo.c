/* hostinfo.c: /proc and /sys readers for the host endpoints and metrics. */
#include "hostinfo.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t meminfo(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

void hostinfo_read(struct hostinfo *h)
{
	char *b;
	memset(h, 0, sizeof *h);
	snprintf(h->cpu_model, sizeof h->cpu_model, "unknown");
	if (fs_read_file("/proc/cpuinfo", 1 << 20, &b, NULL) == 0) {
		char *m = strstr(b, "model name");
		if (m && (m = strchr(m, ':'))) {
			m += 2;
			size_t l = strcspn(m, "\n");
			snprintf(h->cpu_model, sizeof h->cpu_model, "%.*s", (int)l, m);
		}
		/* distinct (physical id, core id) pairs */
		int ids[512], n = 0, phys = 0;
		for (char *l = b; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			if (!strncmp(l, "physical id", 11) && strchr(l, ':'))
				phys = atoi(strchr(l, ':') + 1);
			if (!strncmp(l, "core id", 7) && strchr(l, ':')) {
				int id = phys * 4096 + atoi(strchr(l, ':') + 1), dup = 0;
				for (int i = 0; i < n; i++)
					dup |= ids[i] == id;
				if (!dup && n < 512)
					ids[n++] = id;
			}
		}
		h->cores = n;
		free(b);
	}
	h->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (h->cores == 0)
		h->cores = h->threads;
	if (fs_read_file("/proc/meminfo", 1 << 16, &b, NULL) == 0) {
		h->mem_total_kib = meminfo(b, "MemTotal:");
		h->mem_available_kib = meminfo(b, "MemAvailable:");
		free(b);
	}
	if (fs_read_file("/proc/uptime", 256, &b, NULL) == 0) {
		h->uptime_s = strtod(b, NULL);
		free(b);
	}
	snprintf(h->slot, sizeof h->slot, "unknown");
	if (fs_read_file("/proc/cmdline", 8192, &b, NULL) == 0) {
		char *s = strstr(b, "wafer.slot=");
		if (s) {
			s += 11;
			snprintf(h->slot, sizeof h->slot, "%.*s", (int)strcspn(s, " \n"), s);
		}
		free(b);
	}
	h->kvm = access("/dev/kvm", R_OK | W_OK) == 0;
}

int hostinfo_cpu(uint64_t *busy, uint64_t *total)
{
	char *b;
	unsigned long long v[10] = { 0 };
	if (fs_read_file("/proc/stat", 1 << 20, &b, NULL))
		return -1;
	int n = sscanf(b, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		       &v[3], &v[4], &v[5], &v[6], &v[7]);
	free(b);
	if (n < 4)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];
	return 0;
}
