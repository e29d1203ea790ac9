/* hostinfo.h: facts about the host read from /proc and /sys: CPU, memory,
 * uptime, booted slot, network and datastore usage. */
#ifndef WAFER_HOSTINFO_H
#define WAFER_HOSTINFO_H
#include <stdbool.h>
#include <stdint.h>

struct hostinfo {
	char cpu_model[128];
	int cores, threads;
	uint64_t mem_total_kib, mem_available_kib;
	double uptime_s;
	char slot[16];
	bool kvm;
};
void hostinfo_read(struct hostinfo *h);
/* Aggregate CPU jiffies from /proc/stat. */
int hostinfo_cpu(uint64_t *busy, uint64_t *total);
#endif
