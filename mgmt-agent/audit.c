/* audit.c: enables kernel audit records for seccomp kills and finds the
 * syscall number of one in init's log ring (see audit.h). */
#include "audit.h"
#include "agent.h"
#include "initctl.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int audit_send(int fd, int type, const void *data, size_t len)
{
	struct {
		struct nlmsghdr h;
		char body[1024];
	} m;
	memset(&m, 0, sizeof m);
	m.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	m.h.nlmsg_type = (uint16_t)type;
	m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.h.nlmsg_seq = (uint32_t)type;
	memcpy(NLMSG_DATA(&m.h), data, len);
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	if (sendto(fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0)
		return -errno;
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return n < 0 ? -errno : -EPROTO;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return 0;
}

int audit_enable(char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) {
		snprintf(err, errlen, "audit netlink: %s", strerror(errno));
		return -1;
	}
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* task,never: no syscall audit context for any task (no overhead);
	 * seccomp kills are still recorded. EEXIST: an earlier agent added it. */
	struct audit_rule_data r;
	memset(&r, 0, sizeof r);
	r.flags = AUDIT_FILTER_TASK;
	r.action = AUDIT_NEVER;
	for (int i = 0; i < AUDIT_BITMASK_SIZE; i++)
		r.mask[i] = ~0u;
	int rc = audit_send(fd, AUDIT_ADD_RULE, &r, sizeof r);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "audit: add task,never rule: %s", strerror(-rc));
		close(fd);
		return -1;
	}
	struct audit_status st;
	memset(&st, 0, sizeof st);
	st.mask = AUDIT_STATUS_ENABLED;
	st.enabled = 1;
	rc = audit_send(fd, AUDIT_SET, &st, sizeof st);
	close(fd);
	if (rc) {
		snprintf(err, errlen, "audit: enable: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

long audit_parse_seccomp(const char *msg, pid_t pid)
{
	char want[32];
	if (!strstr(msg, "type=1326"))
		return -1;
	snprintf(want, sizeof want, " pid=%d ", (int)pid);
	const char *s = strstr(msg, want), *c = strstr(msg, " syscall=");
	if (!s || !c || c[9] < '0' || c[9] > '9')
		return -1;
	return strtol(c + 9, NULL, 10);
}

static long audit_scan_log(pid_t pid)
{
	struct initctl_log l;
	struct initctl_logrec r;
	long nr = -1;
	if (initctl_log_open(&l, agent_cfg.log_sock, 0, 0) < 0)
		return -1;
	while (initctl_log_next(&l, &r, 1000) == 1) {
		long x = audit_parse_seccomp(r.msg, pid);
		if (x >= 0)
			nr = x;
	}
	initctl_log_close(&l);
	return nr;
}

long audit_seccomp_syscall(pid_t pid, int wait_ms)
{
	for (int waited = 0;; waited += 100) {
		long nr = audit_scan_log(pid);
		if (nr >= 0 || waited >= wait_ms)
			return nr;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}
