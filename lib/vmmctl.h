/* vmmctl.h: client side of a wafer-vmm control socket (docs/vmm.md).
 * Blocking calls with a timeout; one request in flight per connection. Every
 * call returns 0 on success or -1 with a message in c->err. */
#ifndef WAFER_VMMCTL_H
#define WAFER_VMMCTL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMMCTL_MAX_DEVS 8
#define VMMCTL_ID_MAX 65

struct vmmctl {
	int fd;
	int timeout_ms;          /* per request (default 5000) */
	char err[256];
	char *rbuf;              /* bytes received but not yet consumed */
	size_t rlen, rcap;
};

struct vmmctl_status {
	char id[VMMCTL_ID_MAX];
	char state[16];          /* running, paused, shutting-down, stopped */
	char exit_reason[32];    /* "" while running */
	int vcpus;
	uint64_t memory_mib;
	int pid;
	uint64_t uptime_ms;
	int64_t boot_ms;         /* -1 until the guest's boot-timer write */
	int nbroken;
	char broken[VMMCTL_MAX_DEVS * 2][VMMCTL_ID_MAX];
};

struct vmmctl_disk_stats {
	char id[VMMCTL_ID_MAX];
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops, flush_ops, discard_ops, errors;
	bool broken;
};

struct vmmctl_net_stats {
	char id[VMMCTL_ID_MAX];
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped;
	bool broken;
};

struct vmmctl_stats {
	uint64_t vcpu_time_ns, exits, exits_io, exits_mmio, uptime_ms;
	int64_t boot_ms;
	int ndisks, nnets;
	struct vmmctl_disk_stats disks[VMMCTL_MAX_DEVS];
	struct vmmctl_net_stats nets[VMMCTL_MAX_DEVS];
	bool has_balloon;
	uint64_t balloon_target_mib, balloon_actual_mib;
	uint64_t guest_free_memory, guest_total_memory, guest_available_memory,
		guest_disk_caches, guest_swap_in, guest_swap_out, guest_major_faults,
		guest_minor_faults;
	uint64_t console_bytes, console_ring_size;
};

/* Connect to the socket at path. */
int vmmctl_connect(struct vmmctl *c, const char *path);
void vmmctl_close(struct vmmctl *c);

int vmmctl_status(struct vmmctl *c, struct vmmctl_status *st);
int vmmctl_pause(struct vmmctl *c);
int vmmctl_resume(struct vmmctl *c);
/* Press the ACPI power button; the VMM stops the VM after timeout_s (0: 60). */
int vmmctl_shutdown(struct vmmctl *c, unsigned timeout_s);
/* Hard stop: the VMM answers, then exits. */
int vmmctl_stop(struct vmmctl *c);
int vmmctl_balloon(struct vmmctl *c, uint64_t target_mib);
/* What a save wrote (docs/vmm.md, "Saved state"). */
struct vmmctl_save {
	uint64_t state_bytes, memory_bytes, pages_written, file_bytes, ms;
};
/* Save the paused VM into the VMM's --state file (set c->timeout_ms for
 * the guest memory's size: the VMM answers once the file is synced). */
int vmmctl_save(struct vmmctl *c, struct vmmctl_save *out);
int vmmctl_stats(struct vmmctl *c, struct vmmctl_stats *st);
/* Queue bytes to the guest's serial input (at most 4096 per call). */
int vmmctl_console_write(struct vmmctl *c, const void *data, size_t len);

/* Turn this connection into a raw console stream. from: absolute offset, or
 * VMMCTL_FROM_START / VMMCTL_FROM_END. On success *offset is the absolute
 * offset of the first byte that follows and *lost the bytes already
 * overwritten; then read raw bytes with vmmctl_console_read() (or poll
 * c->fd after draining them) until it returns 0 (end of stream: without
 * follow, after the ring's current content). With input, bytes written to
 * c->fd (vmmctl_console_send) go to the guest's serial input. */
#define VMMCTL_FROM_START UINT64_MAX
#define VMMCTL_FROM_END (UINT64_MAX - 1)
int vmmctl_console_open(struct vmmctl *c, uint64_t from, bool follow, bool input,
			uint64_t *offset, uint64_t *lost);
/* Returns bytes read (>0), 0 at end of stream, -1 on error. Blocks up to
 * c->timeout_ms (then -1 with errno EAGAIN; timeout_ms < 0 waits forever). */
ssize_t vmmctl_console_read(struct vmmctl *c, void *buf, size_t len);
int vmmctl_console_send(struct vmmctl *c, const void *data, size_t len);

/* Send one raw JSON request line (without newline) and return the response
 * line (caller frees). Returns NULL with c->err set on error. */
char *vmmctl_request(struct vmmctl *c, const char *json);

#endif
