/* init_dhcphook.c: the udhcpc hook (wafer-init run as udhcpc-hook): applies a
 * DHCPv4 lease to the interface with rtnetlink, writes resolv.conf (unless
 * DNS servers are configured) and records the lease in /run/wafer/net/dhcp4,
 * which init reads for the status screen and NTP. No shell involved. */
#include "init_net.h"
#include "init_rtnl.h"
#include "init_dnsname.h"
#include "init_state.h"
#include "fsutil.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env(const char *k)
{
	const char *v = getenv(k);
	return v ? v : "";
}

/* The address currently recorded, to keep it in place across renewals. */
static int lease_same(const char *ip, const char *mask)
{
	char *old = NULL, want[80];
	size_t len;
	if (fs_read_file(DHCP4_STATE, 4096, &old, &len) != 0)
		return 0;
	snprintf(want, sizeof want, "ip=%s\nprefix=%s\n", ip, mask);
	int same = strncmp(old, want, strlen(want)) == 0;
	free(old);
	return same;
}

static int bound(int ifindex)
{
	const char *ip = env("ip"), *mask = env("mask"), *router = env("router");
	unsigned char a[4], gw[4];
	int plen = atoi(mask);
	if (inet_pton(AF_INET, ip, a) != 1 || plen < 1 || plen > 32) {
		printf("udhcpc-hook: lease with bad address '%s/%s' ignored\n", ip, mask);
		return 1;
	}
	if (!lease_same(ip, mask))
		rtnl_addr_flush(ifindex, AF_INET);
	int rc = rtnl_addr(1, ifindex, AF_INET, a, plen);
	if (rc != 0)
		printf("udhcpc-hook: adding %s/%d: %s\n", ip, plen, strerror(-rc));
	char first[16] = "";
	sscanf(router, "%15s", first);
	if (first[0] && inet_pton(AF_INET, first, gw) == 1 &&
	    (rc = rtnl_route_default(ifindex, AF_INET, gw)) != 0)
		printf("udhcpc-hook: default route via %s: %s\n", first, strerror(-rc));
	/* what the server sent goes into resolv.conf and the lease record only
	 * as checked names and addresses: a newline would add lines */
	char dns[256], ntp[256], search[256], domain[256], server[16];
	int bad = ipv4_list_filter(env("dns"), dns, sizeof dns) + ipv4_list_filter(env("ntpsrv"), ntp, sizeof ntp) +
		  dns_names_filter(env("search")[0] ? env("search") : env("domain"), search, sizeof search) +
		  dns_names_filter(env("domain"), domain, sizeof domain) +
		  ipv4_list_filter(env("serverid"), server, sizeof server);
	if (bad)
		printf("udhcpc-hook: %d invalid DNS/NTP server addresses or domain names from the DHCP server dropped\n",
		       bad);
	if (access(NET_STATE_DIR "/static-dns", F_OK) != 0 && dns[0])
		net_write_resolv(dns, search);
	char rec[1200];
	int n = snprintf(rec, sizeof rec, "ip=%s\nprefix=%d\nrouter=%s\ndns=%s\nntp=%s\ndomain=%s\nlease=%ld\nserver=%s\n",
			 ip, plen, first, dns, ntp, domain, strtol(env("lease"), NULL, 10), server);
	fs_mkdir_p(NET_STATE_DIR, 0755);
	if (n > 0)
		fs_write_atomic(DHCP4_STATE, rec, (size_t)n < sizeof rec ? (size_t)n : sizeof rec - 1, 0644);
	printf("udhcpc-hook: %s: %s/%d router %s dns %s lease %lds\n", env("interface"), ip, plen,
	       first[0] ? first : "-", dns, strtol(env("lease"), NULL, 10));
	return 0;
}

int dhcphook_main(int argc, char **argv)
{
	const char *action = argc > 1 ? argv[1] : "";
	const char *ifname = env("interface");
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		printf("udhcpc-hook: %s: no interface '%s'\n", action, ifname);
		return 1;
	}
	if (strcmp(action, "deconfig") == 0) {
		rtnl_addr_flush(ifindex, AF_INET);
		unlink(DHCP4_STATE);
		return 0;
	}
	if (strcmp(action, "bound") == 0 || strcmp(action, "renew") == 0)
		return bound(ifindex);
	if (strcmp(action, "leasefail") == 0 || strcmp(action, "nak") == 0) {
		printf("udhcpc-hook: %s on %s\n", action, ifname);
		return 0;
	}
	printf("udhcpc-hook: unknown action '%s'\n", action);
	return 1;
}
