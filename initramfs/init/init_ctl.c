/* init_ctl.c: the control socket. One request line per connection; the reply
 * is "ok" (with key=value lines for status) or "error <reason>", then close.
 * Only root may connect (SO_PEERCRED). */
#include "init_ctl.h"
#include "init_log.h"
#include "init_loop.h"
#include "init_services.h"
#include "init_shutdown.h"
#include "init_state.h"
#include "init_status.h"
#include "init_trialwatch.h"
#include "wafer-version.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t status_reply(char *out, size_t n)
{
	int ns;
	struct service *t = services_table(&ns);
	size_t o = (size_t)snprintf(out, n,
		"ok\nversion=%s\nboard=%s\nslot=%s\nboot=%s\nhostname=%s\nuptime_ms=%lld\nkvm=%s\n"
		"stateless=%d\nmedium=%s\nuplink=%s\nbridge=%s\n",
		g_st.version, WAFER_BOARD, g_st.slot, g_st.boot_path, g_st.hostname,
		(long long)(mono_ms() - g_st.boot_ms), g_st.kvm_ok > 0 ? "yes" : "no", g_st.stateless,
		g_st.medium, g_st.uplink, MGMT_BRIDGE);
	if (!g_st.stateless && o < n)
		o += (size_t)snprintf(out + o, n - o,
				      "medium_bus=%s\nmedium_model=%s\nmedium_bytes=%llu\nmedium_text=%s\nmedium_wait_ms=%lld\n",
				      g_st.medium_info.bus, g_st.medium_info.model,
				      (unsigned long long)g_st.medium_info.bytes, g_st.medium_info.text,
				      (long long)g_st.medium_wait_ms);
	for (int i = 0; i < ns && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "service.%s=%s pid=%d restarts=%d\n", t[i].name,
				      t[i].pid > 0 ? "up" : "down", (int)t[i].pid, t[i].restarts);
	if (o < n && trialwatch_text()[0])
		o += (size_t)snprintf(out + o, n - o, "update=%s\n", trialwatch_text());
	if (o < n)
		status_problems(out + o, n - o);
	return strlen(out);
}

static void ctl_handle(int fd, const char *req)
{
	char out[4096];
	size_t len;
	if (strcmp(req, "status") == 0) {
		len = status_reply(out, sizeof out);
	} else if (strcmp(req, "reboot") == 0 || strcmp(req, "poweroff") == 0) {
		shutdown_request(req[0] == 'r' ? SHUTDOWN_REBOOT : SHUTDOWN_POWEROFF, "control socket");
		len = (size_t)snprintf(out, sizeof out, "ok\n");
	} else if (strncmp(req, "restart ", 8) == 0) {
		int n, found = 0;
		struct service *t = services_table(&n);
		for (int i = 0; i < n; i++)
			found |= strcmp(t[i].name, req + 8) == 0;
		if (found)
			services_restart(req + 8);
		len = (size_t)snprintf(out, sizeof out, found ? "ok\n" : "error no such service\n");
	} else {
		len = (size_t)snprintf(out, sizeof out, "error unknown request (want: status|reboot|poweroff|restart SERVICE)\n");
	}
	if (send(fd, out, len, MSG_NOSIGNAL) < 0)
		ilog(LOG_INFO, "ctl: reply lost: %s", strerror(errno));
}

static void ctl_accept(int lfd, short re, void *ctx)
{
	(void)re;
	(void)ctx;
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct ucred cr;
		socklen_t cl = sizeof cr;
		char req[128];
		size_t rl = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || cr.uid != 0) {
			const char *e = "error permission denied\n";
			if (send(fd, e, strlen(e), MSG_NOSIGNAL) < 0) { /* gone */ }
			close(fd);
			continue;
		}
		/* a request is one short line; give the client 1 s to send it */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		while (rl < sizeof req - 1 && poll(&p, 1, 1000) == 1) {
			ssize_t n = recv(fd, req + rl, sizeof req - 1 - rl, 0);
			if (n <= 0)
				break;
			rl += (size_t)n;
			if (memchr(req, '\n', rl))
				break;
		}
		req[rl] = '\0';
		req[strcspn(req, "\r\n")] = '\0';
		ctl_handle(fd, req);
		close(fd);
	}
}

int ctl_start(void)
{
	int fd = unix_listen(INIT_SOCK, 0600);
	if (fd < 0)
		return -1;
	return loop_add(fd, POLLIN, ctl_accept, NULL);
}
