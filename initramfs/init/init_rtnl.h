/* init_rtnl.h: the few rtnetlink requests init needs (links, bridge, VLAN,
 * addresses, default route). Each returns 0 or -errno. */
#ifndef INIT_RTNL_H
#define INIT_RTNL_H

int rtnl_bridge_create(const char *name, const unsigned char mac[6]);
int rtnl_vlan_create(const char *name, int parent_ifindex, int vid);
/* up: 1 up, 0 down, -1 unchanged; master: ifindex, 0 none, -1 unchanged;
 * mtu: 0 unchanged. */
int rtnl_link_set(int ifindex, int up, int master, int mtu);
int rtnl_addr(int add, int ifindex, int family, const void *addr, int prefixlen);
/* Remove every address of family on ifindex (except IPv6 link-local). */
int rtnl_addr_flush(int ifindex, int family);
/* Replace the default route of family via gw (NULL: delete it). */
int rtnl_route_default(int ifindex, int family, const void *gw);
#endif
