/* init_dnsname.h: lists from a DHCP server (search domains, DNS and NTP
 * servers) checked before they reach resolv.conf or the lease record: a
 * server may send anything, a newline included, which would add lines.
 * Pure code. */
#ifndef INIT_DNSNAME_H
#define INIT_DNSNAME_H
#include <stddef.h>

/* 1 if s is a DNS name: labels of 1-63 letters, digits and '-' (not first
 * or last), '_' allowed as the first character of a label (SRV-style), at
 * most 253 characters, an optional final dot. */
int dns_name_valid(const char *s);
/* Keep the valid DNS names of the list in (separated by spaces, tabs,
 * commas or newlines), joined by single spaces into out (size n). Returns
 * how many were dropped (invalid, or not fitting). */
int dns_names_filter(const char *in, char *out, size_t n);
/* The same for IPv4 addresses in dotted-quad form. */
int ipv4_list_filter(const char *in, char *out, size_t n);
#endif
