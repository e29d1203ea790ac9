/* log.h: the VMM's log lines on stderr ("wafer-vmm[ID]: ...") and a
 * per-kind rate limit for messages a guest can trigger. */
#ifndef VMM_LOG_H
#define VMM_LOG_H

enum log_kind {
	LOGK_PIO, LOGK_MMIO, LOGK_PCI, LOGK_VIRTIO, LOGK_UART, LOGK_MISC, LOGK_COUNT
};

void log_set_id(const char *id);
void vmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* At most 10 messages per second per kind; then one "suppressed" summary. */
void vmm_log_rl(enum log_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
