/* init_net.c: chooses the uplink (configured by name/MAC, else the first NIC
 * with link), builds br0 over it (or over a VLAN on it), configures IPv6 and
 * static IPv4, sets the hostname and writes resolv.conf. */
#include "init_net.h"
#include "init_log.h"
#include "init_modules.h"
#include "init_rtnl.h"
#include "init_state.h"
#include "init_status.h"
#include "fsutil.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NIC_MAX 16
#define LINK_WAIT_MS 8000

struct nic { char name[IF_NAMESIZE]; int index; char mac[18]; };

static int read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		ilog(LOG_WARNING, "net: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void ipv6_conf(const char *ifname, const char *key, const char *val)
{
	char p[128];
	snprintf(p, sizeof p, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	write_sysctl(p, val);
}

int net_carrier(const char *ifname)
{
	char p[96], v[8];
	snprintf(p, sizeof p, "/sys/class/net/%s/carrier", ifname);
	return read_small(p, v, sizeof v) == 0 && v[0] == '1';
}

/* Physical Ethernet NICs, in ifindex order. */
static int nics_list(struct nic *out, int max)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) && n < max) {
		char p[128], v[32];
		if (e->d_name[0] == '.' || strlen(e->d_name) >= IF_NAMESIZE)
			continue;
		snprintf(p, sizeof p, "/sys/class/net/%.15s/device", e->d_name);
		if (access(p, F_OK) != 0)
			continue; /* virtual: lo, br0, vlans, taps */
		snprintf(p, sizeof p, "/sys/class/net/%.15s/type", e->d_name);
		if (read_small(p, v, sizeof v) != 0 || strcmp(v, "1") != 0)
			continue;
		struct nic *c = &out[n];
		memcpy(c->name, e->d_name, strlen(e->d_name) + 1);
		c->index = (int)if_nametoindex(c->name);
		snprintf(p, sizeof p, "/sys/class/net/%.15s/address", e->d_name);
		if (read_small(p, c->mac, sizeof c->mac) != 0)
			c->mac[0] = '\0';
		n++;
	}
	if (d)
		closedir(d);
	for (int i = 1; i < n; i++) /* insertion sort by ifindex */
		for (int j = i; j > 0 && out[j].index < out[j - 1].index; j--) {
			struct nic t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static int choose_uplink(struct nic *nics, int n)
{
	const char *want = g_st.cfg.mgmt_interface;
	if (want[0]) {
		for (int i = 0; i < n; i++)
			if (strcmp(nics[i].name, want) == 0 || strcasecmp(nics[i].mac, want) == 0)
				return i;
		status_problem("net", "mgmt_interface %s not found; using the first NIC with link", want);
	}
	for (int i = 0; i < n; i++)
		rtnl_link_set(nics[i].index, 1, -1, 0);
	for (int waited = 0; waited <= LINK_WAIT_MS; waited += 100) {
		for (int i = 0; i < n; i++)
			if (net_carrier(nics[i].name))
				return i;
		usleep(100000);
	}
	return 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static void set_hostname(const unsigned char mac[6])
{
	if (g_st.cfg.hostname[0])
		snprintf(g_st.hostname, sizeof g_st.hostname, "%s", g_st.cfg.hostname);
	else
		snprintf(g_st.hostname, sizeof g_st.hostname, "wafer-%02x%02x%02x", mac[3], mac[4], mac[5]);
	if (sethostname(g_st.hostname, strlen(g_st.hostname)) != 0)
		ilog(LOG_WARNING, "net: sethostname: %s", strerror(errno));
}

int net_parse_cidr4(const char *s, unsigned char addr[4], int *plen)
{
	char ip[20];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	*plen = atoi(slash + 1);
	return inet_pton(AF_INET, ip, addr) == 1 && *plen >= 1 && *plen <= 32 ? 0 : -1;
}

int net_write_resolv(const char *servers, const char *search)
{
	char buf[512], tmp[256], *save = NULL;
	size_t o = 0;
	if (search && *search)
		o += (size_t)snprintf(buf, sizeof buf, "search %s\n", search);
	snprintf(tmp, sizeof tmp, "%s", servers);
	for (char *t = strtok_r(tmp, " ,", &save); t && o < sizeof buf; t = strtok_r(NULL, " ,", &save))
		o += (size_t)snprintf(buf + o, sizeof buf - o, "nameserver %s\n", t);
	if (o > sizeof buf - 1)
		o = sizeof buf - 1;
	return fs_write_atomic("/etc/resolv.conf", buf, o, 0644);
}

static void static_ipv4(int br)
{
	unsigned char a[4], gw[4];
	int plen;
	if (net_parse_cidr4(g_st.cfg.ipv4_address, a, &plen) != 0)
		return;
	int rc = rtnl_addr(1, br, AF_INET, a, plen);
	if (rc != 0)
		status_problem("ipv4", "cannot set %s: %s", g_st.cfg.ipv4_address, strerror(-rc));
	if (g_st.cfg.ipv4_gateway[0] && inet_pton(AF_INET, g_st.cfg.ipv4_gateway, gw) == 1 &&
	    (rc = rtnl_route_default(br, AF_INET, gw)) != 0)
		status_problem("ipv4gw", "cannot set gateway %s: %s", g_st.cfg.ipv4_gateway, strerror(-rc));
}

static void static_ipv6(int br)
{
	unsigned char a[16];
	char ip[48];
	snprintf(ip, sizeof ip, "%s", g_st.cfg.ipv6_address);
	char *slash = strchr(ip, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (inet_pton(AF_INET6, ip, a) == 1 && rtnl_addr(1, br, AF_INET6, a, atoi(slash + 1)) != 0)
		status_problem("ipv6", "cannot set %s", g_st.cfg.ipv6_address);
	if (g_st.cfg.ipv6_gateway[0] && inet_pton(AF_INET6, g_st.cfg.ipv6_gateway, a) == 1)
		rtnl_route_default(br, AF_INET6, a);
}

/* The port enslaved to br0: the uplink itself or a VLAN on it. */
static int mgmt_port(const struct nic *up)
{
	if (!g_st.cfg.vlan) {
		snprintf(g_st.mgmt_port, sizeof g_st.mgmt_port, "%s", up->name);
		return up->index;
	}
	char name[IF_NAMESIZE + 8];
	snprintf(name, sizeof name, "%s.%d", up->name, g_st.cfg.vlan);
	if (strlen(name) >= IF_NAMESIZE)
		snprintf(name, sizeof name, "vlan%d", g_st.cfg.vlan);
	int rc = rtnl_vlan_create(name, up->index, g_st.cfg.vlan);
	if (rc != 0) {
		status_problem("vlan", "cannot create VLAN %d on %s: %s", g_st.cfg.vlan, up->name, strerror(-rc));
		snprintf(g_st.mgmt_port, sizeof g_st.mgmt_port, "%s", up->name);
		return up->index;
	}
	snprintf(g_st.mgmt_port, sizeof g_st.mgmt_port, "%s", name);
	return (int)if_nametoindex(name);
}

int net_setup(void)
{
	struct nic nics[NIC_MAX];
	unsigned char mac[6] = { 0 };
	/* loopback (127.0.0.1, ::1): local clients such as the agent's health
	 * probe of its own API after an update */
	int lo = (int)if_nametoindex("lo");
	if (lo > 0)
		rtnl_link_set(lo, 1, -1, 0);
	int n = nics_list(nics, NIC_MAX);
	if (n == 0) {
		status_problem("nonic", "no network interface found (waiting for one to appear)");
		return -1;
	}
	status_clear("nonic");
	int u = choose_uplink(nics, n);
	for (int i = 0; i < n; i++)
		if (i != u)
			rtnl_link_set(nics[i].index, 0, -1, 0);
	snprintf(g_st.uplink, sizeof g_st.uplink, "%s", nics[u].name);
	parse_mac(nics[u].mac, mac);
	set_hostname(mac);
	modules_load("bridge");
	if (g_st.cfg.vlan)
		modules_load("8021q");
	int rc = rtnl_bridge_create(MGMT_BRIDGE, mac);
	int br = (int)if_nametoindex(MGMT_BRIDGE);
	if (rc != 0 || br == 0) {
		status_problem("bridge", "cannot create %s: %s", MGMT_BRIDGE, strerror(-rc));
		return -1;
	}
	int port = mgmt_port(&nics[u]);
	ipv6_conf(g_st.mgmt_port, "disable_ipv6", "1");
	ipv6_conf(nics[u].name, "disable_ipv6", "1");
	ipv6_conf(MGMT_BRIDGE, "disable_ipv6", g_st.cfg.ipv6 == CFG_IPV6_OFF ? "1" : "0");
	ipv6_conf(MGMT_BRIDGE, "accept_ra", "1");
	ipv6_conf(MGMT_BRIDGE, "autoconf", g_st.cfg.ipv6 == CFG_IPV6_SLAAC ? "1" : "0");
	rtnl_link_set(nics[u].index, 1, -1, g_st.cfg.mtu);
	if ((rc = rtnl_link_set(port, 1, br, g_st.cfg.mtu)) != 0)
		status_problem("bridge", "cannot add %s to %s: %s", g_st.mgmt_port, MGMT_BRIDGE, strerror(-rc));
	rtnl_link_set(br, 1, -1, g_st.cfg.mtu);
	if (g_st.cfg.ipv4 == CFG_IPV4_STATIC)
		static_ipv4(br);
	if (g_st.cfg.ipv6 == CFG_IPV6_STATIC)
		static_ipv6(br);
	fs_mkdir_p(NET_STATE_DIR, 0755);
	if (g_st.cfg.dns_n) {
		char list[200] = "";
		for (int i = 0; i < g_st.cfg.dns_n; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s ", g_st.cfg.dns[i]);
		net_write_resolv(list, g_st.cfg.dns_search);
		fs_write_atomic(NET_STATE_DIR "/static-dns", "1\n", 2, 0644);
	}
	g_st.net_ready = 1;
	ilog(LOG_INFO, "net: %s over %s (uplink %s, link %s), hostname %s", MGMT_BRIDGE, g_st.mgmt_port,
	     g_st.uplink, net_carrier(g_st.uplink) ? "up" : "down", g_st.hostname);
	return 0;
}
