/* init_net.h: the management network: bridge br0 over the chosen uplink
 * (optionally a VLAN on it), static IPv4 or DHCP (udhcpc service), IPv6
 * SLAAC, hostname, resolv.conf. */
#ifndef INIT_NET_H
#define INIT_NET_H
#include <stddef.h>

/* Choose the uplink and build br0; returns 0, or -1 when no NIC exists yet
 * (call again when one appears). Sets g_st.net_ready. */
int net_setup(void);
/* 1 if ifname has carrier. */
int net_carrier(const char *ifname);
/* Write /etc/resolv.conf from the configured or leased servers. */
int net_write_resolv(const char *servers, const char *search);
/* Parse "a.b.c.d/len"; returns 0 or -1. */
int net_parse_cidr4(const char *s, unsigned char addr[4], int *plen);
/* The udhcpc hook (wafer-init invoked as udhcpc-hook). */
int dhcphook_main(int argc, char **argv);
#endif
