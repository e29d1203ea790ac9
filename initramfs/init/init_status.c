/* init_status.c: composes the status screen (version, slot, host name,
 * addresses, API URL, certificate fingerprint, enrollment, KVM, services,
 * problems) and redraws every console when it changes. Input on the consoles
 * does nothing (see init_console.c). */
#include "init_status.h"
#include "init_console.h"
#include "init_log.h"
#include "init_loop.h"
#include "init_net.h"
#include "init_services.h"
#include "init_state.h"
#include "init_trialwatch.h"
#include "fsutil.h"
#include "wafer-version.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <string.h>

#define PROBLEM_MAX 24

struct problem { char key[16]; char text[168]; };
static struct problem g_prob[PROBLEM_MAX];
static char g_screen[4096], g_prev[4096];
static int g_forward_fd = -1;

void status_forward(int fd)
{
	g_forward_fd = fd;
}

void status_problem(const char *key, const char *fmt, ...)
{
	struct problem *slot = NULL;
	for (int i = 0; i < PROBLEM_MAX && !slot; i++)
		if (strcmp(g_prob[i].key, key) == 0)
			slot = &g_prob[i];
	for (int i = 0; i < PROBLEM_MAX && !slot; i++)
		if (!g_prob[i].key[0])
			slot = &g_prob[i];
	if (!slot)
		return;
	char text[sizeof slot->text];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (g_forward_fd >= 0) { /* in a boot job's child: tell init */
		dprintf(g_forward_fd, "%.15s\t%s\n", key, text);
		return;
	}
	if (strcmp(slot->key, key) == 0 && strcmp(slot->text, text) == 0)
		return;
	snprintf(slot->key, sizeof slot->key, "%s", key);
	memcpy(slot->text, text, sizeof text);
	ilog(LOG_WARNING, "problem: %s", text);
}

void status_clear(const char *key)
{
	if (g_forward_fd >= 0) {
		dprintf(g_forward_fd, "%.15s\t\n", key);
		return;
	}
	for (int i = 0; i < PROBLEM_MAX; i++)
		if (strcmp(g_prob[i].key, key) == 0)
			g_prob[i].key[0] = '\0';
}

int status_problems(char *out, unsigned long n)
{
	size_t o = 0;
	int count = 0;
	out[0] = '\0';
	for (int i = 0; i < PROBLEM_MAX && o < n; i++)
		if (g_prob[i].key[0]) {
			o += (size_t)snprintf(out + o, n - o, "problem=%s\n", g_prob[i].text);
			count++;
		}
	return count;
}

/* Value of key in a key=value text, or "". */
static void kv_get(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	out[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t l = strcspn(p + kl + 1, "\n");
			snprintf(out, n, "%.*s", (int)(l < n ? l : n - 1), p + kl + 1);
			return;
		}
}

static size_t add(char *buf, size_t o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t add(char *buf, size_t o, const char *fmt, ...)
{
	if (o >= sizeof g_screen)
		return o;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + o, sizeof g_screen - o, fmt, ap);
	va_end(ap);
	return n < 0 ? o : o + (size_t)n;
}

/* Addresses of br0: first IPv4 into v4 (for the API URL), all into list. */
static void addresses(char *v4, size_t v4n, char *v6, size_t v6n, char *list4, char *list6, size_t ln)
{
	struct ifaddrs *ifa = NULL;
	v4[0] = v6[0] = list4[0] = list6[0] = '\0';
	if (getifaddrs(&ifa) != 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, MGMT_BRIDGE) != 0)
			continue;
		char a[INET6_ADDRSTRLEN] = "";
		int plen = 0;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof a);
			if (i->ifa_netmask)
				plen = __builtin_popcount(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
			if (!v4[0])
				snprintf(v4, v4n, "%s", a);
			snprintf(list4 + strlen(list4), ln - strlen(list4), "%s%s/%d", list4[0] ? " " : "", a, plen);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct in6_addr *s6 = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(s6))
				continue;
			inet_ntop(AF_INET6, s6, a, sizeof a);
			if (i->ifa_netmask) {
				struct in6_addr *m = &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
				for (int b = 0; b < 16; b++)
					plen += __builtin_popcount(m->s6_addr[b]);
			}
			if (!v6[0])
				snprintf(v6, v6n, "%s", a);
			snprintf(list6 + strlen(list6), ln - strlen(list6), "%s%s/%d", list6[0] ? " " : "", a, plen);
		}
	}
	freeifaddrs(ifa);
}

static size_t compose_net(char *s, size_t o)
{
	char v4[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], l4[256], l6[256];
	static int logged;
	addresses(v4, sizeof v4, v6, sizeof v6, l4, l6, sizeof l4);
	if (!logged && v4[0]) {
		logged = 1;
		ilog(LOG_NOTICE, "timing: management address %s on the status screen %lld ms after kernel start",
		     v4, (long long)mono_ms());
	}
	const char *mode = g_st.cfg.ipv4 == CFG_IPV4_DHCP ? "dhcp" : g_st.cfg.ipv4 == CFG_IPV4_STATIC ? "static" : "off";
	if (g_st.uplink[0])
		o = add(s, o, "  Network      %s over %s (link %s)\n", MGMT_BRIDGE, g_st.mgmt_port,
			net_carrier(g_st.uplink) ? "up" : "DOWN");
	else
		o = add(s, o, "  Network      no interface yet\n");
	o = add(s, o, "  IPv4         %s (%s)\n", l4[0] ? l4 : g_st.net_ready ? "waiting for an address" : "-", mode);
	if (g_st.cfg.ipv6 != CFG_IPV6_OFF)
		o = add(s, o, "  IPv6         %s\n", l6[0] ? l6 : "-");
	char *agent = NULL, url[160] = "", fp[128] = "", enr[16] = "", tok[64] = "";
	size_t al;
	if (fs_read_file(AGENT_STATUS, 4096, &agent, &al) == 0) {
		kv_get(agent, "api_url", url, sizeof url);
		kv_get(agent, "fingerprint", fp, sizeof fp);
		kv_get(agent, "enrollment", enr, sizeof enr);
		kv_get(agent, "token", tok, sizeof tok);
		free(agent);
	}
	if (!url[0] && v4[0])
		snprintf(url, sizeof url, g_st.cfg.api_port == 443 ? "https://%s/" : "https://%s:%d/", v4, g_st.cfg.api_port);
	else if (!url[0] && v6[0])
		snprintf(url, sizeof url, g_st.cfg.api_port == 443 ? "https://[%s]/" : "https://[%s]:%d/", v6, g_st.cfg.api_port);
	o = add(s, o, "  API          %s\n", url[0] ? url : "-");
	o = add(s, o, "  Certificate  %s\n", fp[0] ? fp : "(agent not ready)");
	if (strcmp(enr, "open") == 0)
		o = add(s, o, "  Enrollment   OPEN - token %s\n", tok[0] ? tok : "?");
	else if (enr[0])
		o = add(s, o, "  Enrollment   %s\n", enr);
	return o;
}

static size_t compose_services(char *s, size_t o)
{
	int n;
	struct service *t = services_table(&n);
	o = add(s, o, "  Services     ");
	for (int i = 0; i < n; i++) {
		if (strcmp(t[i].name, "test-hook") == 0 && t[i].pid <= 0)
			continue;
		o = add(s, o, "%s%s %s", i ? ", " : "", t[i].name, t[i].pid > 0 ? "up" : "down");
		if (t[i].restarts)
			o = add(s, o, " (%d restart%s)", t[i].restarts, t[i].restarts > 1 ? "s" : "");
	}
	return add(s, o, "\n");
}

static void compose(void)
{
	char *s = g_screen;
	size_t o = 0;
	o = add(s, o, "\n  Wafer %s (%s)   slot %s%s%s   host %s\n", g_st.version, WAFER_BOARD, g_st.slot,
		g_st.boot_path[0] ? " via " : "", g_st.boot_path, g_st.hostname[0] ? g_st.hostname : "-");
	o = add(s, o, "  ------------------------------------------------------------------\n");
	o = compose_net(s, o);
	o = add(s, o, "  KVM          %s\n", g_st.kvm_ok < 0 ? "checking..." : g_st.kvm_ok ? "ready" : "NOT AVAILABLE");
	struct statvfs sv;
	if (g_st.stateless)
		o = add(s, o, "  Storage      stateless (%s)\n", g_st.stateless_why);
	else if (g_st.data_ready && statvfs("/data", &sv) == 0)
		o = add(s, o, "  Storage      %s (%s), /data %llu MiB (%llu MiB free)\n", g_st.medium,
			g_st.medium_info.text, (unsigned long long)sv.f_blocks * sv.f_frsize >> 20,
			(unsigned long long)sv.f_bavail * sv.f_frsize >> 20);
	else
		o = add(s, o, "  Storage      %s (%s)%s\n", g_st.medium, g_st.medium_info.text,
			g_st.data_ready ? "" : ", /data not ready yet");
	o = compose_services(s, o);
	if (trialwatch_text()[0])
		o = add(s, o, "  Update       %s\n", trialwatch_text());
	int np = 0;
	for (int i = 0; i < PROBLEM_MAX; i++)
		if (g_prob[i].key[0])
			o = add(s, o, "%s  ! %s\n", np++ ? "" : "  Problems:\n", g_prob[i].text);
	o = add(s, o, "  ------------------------------------------------------------------\n");
	o = add(s, o, "  This console is read-only: manage this host over its API.\n");
	o = add(s, o, "  Ctrl-Alt-Del %s.\n", g_st.cfg.ctrl_alt_del == CFG_CAD_REBOOT ? "reboots the host (orderly)" : "is ignored");
}

void status_refresh(int force)
{
	if (g_st.uplink[0] && g_st.net_ready && !net_carrier(g_st.uplink))
		status_problem("nolink", "no link on %s", g_st.uplink);
	else
		status_clear("nolink");
	compose();
	if (!force && strcmp(g_screen, g_prev) == 0)
		return;
	memcpy(g_prev, g_screen, sizeof g_prev);
	console_write("\033[H\033[2J", 7);
	console_write(g_screen, strlen(g_screen));
}

const char *status_text(void)
{
	return g_screen;
}
