/* init_rtnl.c: builds rtnetlink messages with their attributes, sends them
 * and waits for the kernel's acknowledgement. */
#include "init_rtnl.h"
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct nlreq {
	struct nlmsghdr h;
	char body[1024];
};

static void *nl_tail(struct nlreq *r)
{
	return (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);
}

static struct rtattr *nl_attr(struct nlreq *r, int type, const void *data, size_t len)
{
	struct rtattr *a = nl_tail(r);
	size_t need = RTA_LENGTH(len);
	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(need) > sizeof *r)
		return NULL;
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)need;
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (unsigned)(NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(need));
	return a;
}

static void nl_nest_end(struct nlreq *r, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)((char *)nl_tail(r) - (char *)nest);
}

static void nl_init(struct nlreq *r, int type, int flags, const void *hdr, size_t hlen)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_len = (unsigned)NLMSG_LENGTH(hlen);
	r->h.nlmsg_type = (unsigned short)type;
	r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	memcpy(NLMSG_DATA(&r->h), hdr, hlen);
}

/* Send and wait for the ACK; returns 0 or -errno. */
static int nl_talk(struct nlreq *r)
{
	static unsigned seq;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	r->h.nlmsg_seq = ++seq;
	int rc = -EIO;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		rc = -errno;
		goto out;
	}
	char buf[4096];
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

int rtnl_bridge_create(const char *name, const unsigned char mac[6])
{
	struct nlreq r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (mac)
		nl_attr(&r, IFLA_ADDRESS, mac, 6);
	struct rtattr *li = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r, IFLA_INFO_KIND, "bridge", 6);
	nl_nest_end(&r, li);
	int rc = nl_talk(&r);
	return rc == -EEXIST ? 0 : rc;
}

int rtnl_vlan_create(const char *name, int parent, int vid)
{
	struct nlreq r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	nl_attr(&r, IFLA_LINK, &parent, sizeof parent);
	struct rtattr *li = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r, IFLA_INFO_KIND, "vlan", 4);
	struct rtattr *data = nl_attr(&r, IFLA_INFO_DATA, NULL, 0);
	unsigned short id = (unsigned short)vid;
	nl_attr(&r, IFLA_VLAN_ID, &id, sizeof id);
	nl_nest_end(&r, data);
	nl_nest_end(&r, li);
	int rc = nl_talk(&r);
	return rc == -EEXIST ? 0 : rc;
}

int rtnl_link_set(int ifindex, int up, int master, int mtu)
{
	struct nlreq r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	if (up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = up ? IFF_UP : 0;
	}
	nl_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
	if (master >= 0)
		nl_attr(&r, IFLA_MASTER, &master, sizeof master);
	if (mtu > 0)
		nl_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
	return nl_talk(&r);
}

int rtnl_addr(int add, int ifindex, int family, const void *addr, int prefixlen)
{
	struct nlreq r;
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family, .ifa_prefixlen = (unsigned char)prefixlen,
				 .ifa_index = (unsigned)ifindex, .ifa_scope = RT_SCOPE_UNIVERSE };
	size_t al = family == AF_INET ? 4 : 16;
	nl_init(&r, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_REPLACE : 0, &ifa, sizeof ifa);
	nl_attr(&r, IFA_LOCAL, addr, al);
	nl_attr(&r, IFA_ADDRESS, addr, al);
	if (add && family == AF_INET && prefixlen < 31) {
		unsigned char brd[4];
		memcpy(brd, addr, 4);
		unsigned host = prefixlen == 0 ? 0xffffffffu : (1u << (32 - prefixlen)) - 1;
		for (int i = 0; i < 4; i++)
			brd[i] |= (unsigned char)(host >> (24 - 8 * i));
		nl_attr(&r, IFA_BROADCAST, brd, 4);
	}
	return nl_talk(&r);
}

int rtnl_addr_flush(int ifindex, int family)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct nlreq r;
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)family };
	nl_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
	r.h.nlmsg_flags &= (unsigned short)~NLM_F_ACK;
	struct { unsigned char a[16]; int plen; } del[32];
	int nd = 0, done = 0;
	if (send(fd, &r, r.h.nlmsg_len, 0) < 0)
		done = 1;
	static char buf[16384];
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			break;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			struct ifaddrmsg *m = NLMSG_DATA(h);
			if ((int)m->ifa_index != ifindex || m->ifa_family != family || nd == 32)
				continue;
			if (family == AF_INET6 && m->ifa_scope == RT_SCOPE_LINK)
				continue;
			int len = (int)IFA_PAYLOAD(h);
			for (struct rtattr *a = IFA_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFA_ADDRESS) {
					memcpy(del[nd].a, RTA_DATA(a), family == AF_INET ? 4 : 16);
					del[nd++].plen = m->ifa_prefixlen;
					break;
				}
		}
	}
	close(fd);
	int rc = 0;
	for (int i = 0; i < nd; i++)
		if (rtnl_addr(0, ifindex, family, del[i].a, del[i].plen) != 0)
			rc = -EIO;
	return rc;
}

int rtnl_route_default(int ifindex, int family, const void *gw)
{
	struct nlreq r;
	struct rtmsg rt = { .rtm_family = (unsigned char)family, .rtm_table = RT_TABLE_MAIN,
			    .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
			    .rtm_type = RTN_UNICAST };
	if (gw)
		nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
	else
		nl_init(&r, RTM_DELROUTE, 0, &rt, sizeof rt);
	nl_attr(&r, RTA_OIF, &ifindex, sizeof ifindex);
	if (gw)
		nl_attr(&r, RTA_GATEWAY, gw, family == AF_INET ? 4 : 16);
	int rc = nl_talk(&r);
	return !gw && rc == -ESRCH ? 0 : rc;
}
