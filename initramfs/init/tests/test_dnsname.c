/* test_dnsname.c: what a DHCP server sends as search domains or server
 * lists cannot add lines to resolv.conf or the lease record. */
#include "../init_dnsname.h"
#include "wtest.h"

static void t_names(void)
{
	WT_CHECK(dns_name_valid("example.com"));
	WT_CHECK(dns_name_valid("lab-1.example.com."));
	WT_CHECK(dns_name_valid("_tcp.example"));
	WT_CHECK(dns_name_valid("x"));
	WT_CHECK(!dns_name_valid(""));
	WT_CHECK(!dns_name_valid("."));
	WT_CHECK(!dns_name_valid("a..b"));
	WT_CHECK(!dns_name_valid("-a.b"));
	WT_CHECK(!dns_name_valid("a-.b"));
	WT_CHECK(!dns_name_valid("a\nnameserver 6.6.6.6"));
	WT_CHECK(!dns_name_valid("a b"));
	WT_CHECK(!dns_name_valid("a;rm"));
	char l64[80];
	memset(l64, 'a', 64);
	l64[64] = '\0';
	WT_CHECK(!dns_name_valid(l64));
	l64[63] = '\0';
	WT_CHECK(dns_name_valid(l64));
	char long254[300];
	memset(long254, 'a', 254);
	for (int i = 50; i < 254; i += 50)
		long254[i] = '.';
	long254[254] = '\0';
	WT_CHECK(!dns_name_valid(long254));
}

static void t_filter(void)
{
	char out[64];
	WT_EQ_INT(dns_names_filter("lab.example corp.example", out, sizeof out), 0);
	WT_EQ_STR(out, "lab.example corp.example");
	/* a newline only separates names: it never reaches the output */
	WT_EQ_INT(dns_names_filter("ok.example\nnameserver 6.6.6.6", out, sizeof out), 0);
	WT_EQ_STR(out, "ok.example nameserver 6.6.6.6");
	WT_EQ_INT(dns_names_filter("ok.example\noptions\tndots:15 x/y", out, sizeof out), 2);
	WT_EQ_STR(out, "ok.example options");
	WT_EQ_INT(dns_names_filter("a\"b ok", out, sizeof out), 1);
	WT_EQ_STR(out, "ok");
	WT_EQ_INT(dns_names_filter("", out, sizeof out), 0);
	WT_EQ_STR(out, "");
	/* what does not fit is dropped whole */
	WT_EQ_INT(dns_names_filter("aaaa bbbb cccc", out, 10), 1);
	WT_EQ_STR(out, "aaaa bbbb");
	WT_EQ_INT(ipv4_list_filter("10.0.2.3 10.0.2.4\nntp=6.6.6.6 1.2.3", out, sizeof out), 2);
	WT_EQ_STR(out, "10.0.2.3 10.0.2.4");
}

WTEST_MAIN("init_dnsname", WT_CASE(t_names), WT_CASE(t_filter))
