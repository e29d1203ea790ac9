/* test_config.c: wafer.conf parser and command-line overrides. */
#include "../init_config.h"
#include "wtest.h"
#include <stdlib.h>

static struct config c;
static struct config_errors e;

static void parse(const char *text)
{
	config_defaults(&c);
	memset(&e, 0, sizeof e);
	config_parse(&c, "wafer.conf", text, strlen(text), &e);
}

static void t_defaults(void)
{
	parse("");
	WT_EQ_INT(e.n, 0);
	WT_EQ_INT(c.ipv4, CFG_IPV4_DHCP);
	WT_EQ_INT(c.ipv6, CFG_IPV6_SLAAC);
	WT_EQ_INT(c.api_port, 443);
	WT_EQ_STR(c.hostname, "");
	WT_EQ_INT(c.vlan, 0);
	WT_EQ_INT(c.log_ring_kib, 1024);
}

static void t_valid(void)
{
	parse("# comment\n\n  hostname = node-7.lab \nipv4=static\nipv4_address=192.168.1.10/24\n"
	      "ipv4_gateway = 192.168.1.1\r\ndns = 1.1.1.1, 2606:4700::1111\nvlan=42\n"
	      "ntp=pool.ntp.org time.example\nsyslog=\"tcp://log.example:6514\"\napi_port=8443\n"
	      "mgmt_interface=52:54:00:12:34:56\nwatchdog=no\nctrl_alt_del=reboot\nupdate_grace=30\n");
	for (int i = 0; i < e.n; i++)
		fprintf(stderr, "unexpected: %s\n", e.msg[i]);
	WT_EQ_INT(e.n, 0);
	WT_EQ_STR(c.hostname, "node-7.lab");
	WT_EQ_INT(c.ipv4, CFG_IPV4_STATIC);
	WT_EQ_STR(c.ipv4_address, "192.168.1.10/24");
	WT_EQ_STR(c.ipv4_gateway, "192.168.1.1");
	WT_EQ_INT(c.dns_n, 2);
	WT_EQ_STR(c.dns[1], "2606:4700::1111");
	WT_EQ_INT(c.vlan, 42);
	WT_EQ_INT(c.ntp_n, 2);
	WT_EQ_STR(c.ntp[0], "pool.ntp.org");
	WT_EQ_STR(c.syslog, "tcp://log.example:6514");
	WT_EQ_INT(c.api_port, 8443);
	WT_EQ_STR(c.mgmt_interface, "52:54:00:12:34:56");
	WT_EQ_INT(c.watchdog, 0);
	WT_EQ_INT(c.ctrl_alt_del, CFG_CAD_REBOOT);
}

static void t_malformed(void)
{
	parse("hostname\n=value\nvlan=5000\nvlan=abc\napi_port=0\nipv4=maybe\nipv4_address=10.0.0.1\n"
	      "ipv4_address=300.1.1.1/24\nhostname=-bad\ndns=1.1.1.1,not-an-ip\nsyslog=http://x\n"
	      "syslog=udp://host:99999\nwatchdog=perhaps\nmgmt_interface=eth0/../x\napi_port=8080\n");
	WT_EQ_INT(e.n, 14);
	WT_EQ_STR(e.msg[0], "wafer.conf:1: expected key = value");
	WT_EQ_STR(e.msg[1], "wafer.conf:2: missing key before '='");
	WT_EQ_STR(e.msg[2], "wafer.conf:3: vlan: '5000' is not a number from 0 to 4094");
	WT_EQ_STR(e.msg[5], "wafer.conf:6: ipv4: 'maybe' is not one of dhcp static off");
	WT_CHECK(strstr(e.msg[6], "wafer.conf:7: ipv4_address: invalid value") != NULL);
	WT_CHECK(strstr(e.msg[10], "wafer.conf:11: syslog: must be udp://") != NULL);
	/* the bad lines changed nothing; the good last line applies */
	WT_EQ_INT(c.vlan, 0);
	WT_EQ_INT(c.ipv4, CFG_IPV4_DHCP);
	WT_EQ_STR(c.hostname, "");
	WT_EQ_INT(c.dns_n, 0);
	WT_EQ_INT(c.api_port, 8080);
}

static void t_unknown_and_duplicate(void)
{
	parse("hostnmae=x\nvlan=3\nvlan=4\n");
	WT_EQ_INT(e.n, 2);
	WT_EQ_STR(e.msg[0], "wafer.conf:1: unknown key 'hostnmae'");
	WT_EQ_STR(e.msg[1], "wafer.conf:3: duplicate key 'vlan' (first at line 2); this one wins");
	WT_EQ_INT(c.vlan, 4);
}

static void t_oversized(void)
{
	char *big = malloc(CONFIG_MAX_BYTES + 2);
	memset(big, 'a', CONFIG_MAX_BYTES + 1);
	big[CONFIG_MAX_BYTES + 1] = '\0';
	parse(big);
	WT_EQ_INT(e.n, 1);
	WT_CHECK(strstr(e.msg[0], "larger than") != NULL);
	/* one overlong line among good ones */
	memcpy(big, "vlan=7\n", 7);
	big[7 + 600] = '\n';
	memcpy(big + 608, "mtu=1500\n", 10);
	parse(big);
	WT_EQ_INT(e.n, 1);
	WT_EQ_STR(e.msg[0], "wafer.conf:2: line longer than 511 bytes: ignored");
	WT_EQ_INT(c.vlan, 7);
	WT_EQ_INT(c.mtu, 1500);
	free(big);
}

static void t_binary_and_many_errors(void)
{
	const char bin[] = "vlan=1\0garbage\nvlan=2\n";
	config_defaults(&c);
	memset(&e, 0, sizeof e);
	config_parse(&c, "f", bin, sizeof bin - 1, &e);
	WT_EQ_INT(e.n, 1);
	WT_EQ_STR(e.msg[0], "f:1: NUL byte in line: ignored");
	WT_EQ_INT(c.vlan, 2);
	char many[2000] = "";
	for (int i = 0; i < 40; i++)
		strcat(many, "junk\n");
	parse(many);
	WT_EQ_INT(e.n, CONFIG_ERR_MAX);
	WT_EQ_INT(e.dropped, 40 - CONFIG_ERR_MAX);
}

static void t_cmdline(void)
{
	parse("hostname=fromfile\nvlan=10\n");
	config_apply_cmdline(&c, "quiet console=ttyS0 wafer.slot=A wafer.medium=0a1b2c3d-0000-4000-8000-00000000cafe wafer.medium_wait=90 wafer.medium= wafer.hostname=fromcmd wafer.vlan=20 "
			     "wafer.dns=9.9.9.9,8.8.8.8 wafer.bogus=1 wafer.mtu wafer.api_port=x wafer.test.kill=udhcpc\n", &e);
	WT_EQ_STR(c.hostname, "fromcmd");
	WT_EQ_INT(c.vlan, 20);
	WT_EQ_INT(c.dns_n, 2);
	WT_EQ_STR(c.dns[1], "8.8.8.8");
	WT_EQ_INT(c.api_port, 443);
	WT_EQ_INT(e.n, 3);
	WT_EQ_STR(e.msg[0], "cmdline: wafer.bogus: unknown key 'bogus'");
	WT_EQ_STR(e.msg[1], "cmdline: wafer.mtu: missing '=value'");
	WT_CHECK(strstr(e.msg[2], "cmdline: wafer.api_port:") == e.msg[2]);
}

static void t_check(void)
{
	parse("ipv4=static\nipv6=off\n");
	config_check(&c, &e);
	WT_EQ_INT(c.ipv4, CFG_IPV4_DHCP);
	WT_EQ_INT(e.n, 1);
	parse("ipv4=off\nipv6=off\n");
	config_check(&c, &e);
	WT_EQ_INT(c.ipv4, CFG_IPV4_DHCP);
}

static void t_list_limits(void)
{
	parse("dns=1.1.1.1 1.0.0.1 8.8.8.8 8.8.4.4 9.9.9.9\nntp=a b\nntp=\n");
	WT_EQ_INT(e.n, 2); /* too many entries; ntp given twice */
	WT_EQ_STR(e.msg[0], "wafer.conf:1: dns: more than 4 entries");
	WT_EQ_INT(c.dns_n, 0);
	WT_EQ_INT(c.ntp_n, 0); /* an empty value resets to the default */
}

static void t_empty_resets(void)
{
	parse("hostname=a\nhostname=\napi_port=8443\napi_port=\nipv4=off\nipv4=\nwatchdog=no\nwatchdog=\ndns=1.1.1.1\ndns=\n");
	WT_EQ_STR(c.hostname, "");
	WT_EQ_INT(c.api_port, 443);
	WT_EQ_INT(c.ipv4, CFG_IPV4_DHCP);
	WT_EQ_INT(c.watchdog, 1);
	WT_EQ_INT(c.dns_n, 0);
	WT_EQ_STR(c.dns[0], "");
	WT_EQ_INT(e.n, 5); /* the five duplicates, nothing else */
}

/* update_trial_timeout is init's (trial watchdog); update_grace belongs to
 * the agent and is left to it, file and command line; any other update_ or
 * agent_ key is a misspelling and reported like every unknown key. */
static void t_update_keys(void)
{
	parse("update_grace = 30\nupdate_trial_timeout = 90\nagent_max_conns = 100\nagent_max_unauth = 32\n"
	      "agent_handshake_ms = 5000\nagent_conns_per_cert = 8\nagent_streams_per_cert = 4\nagent_cert_days = 90\n");
	WT_EQ_INT(e.n, 0);
	WT_EQ_INT(c.update_trial_timeout, 90);
	parse("agent_x = 1\nupdate_grase=30\n");
	WT_EQ_INT(e.n, 2);
	WT_EQ_STR(e.msg[0], "wafer.conf:1: unknown key 'agent_x'");
	WT_EQ_STR(e.msg[1], "wafer.conf:2: unknown key 'update_grase'");
	parse("");
	WT_EQ_INT(c.update_trial_timeout, 600);
	parse("update_trial_timeout = 59\nupdate_trial_timeout = 86401\nupdate_trial_timeout = 1m\n");
	WT_EQ_INT(e.n, 3);
	WT_EQ_STR(e.msg[0], "wafer.conf:1: update_trial_timeout: '59' is not a number from 60 to 86400");
	WT_EQ_INT(c.update_trial_timeout, 600);
	parse("update_trial_timeout = 86400\n");
	WT_EQ_INT(c.update_trial_timeout, 86400);
	memset(&e, 0, sizeof e);
	config_apply_cmdline(&c, "wafer.update_grace=5 wafer.update_trial_timeout=60", &e);
	WT_EQ_INT(e.n, 0);
	WT_EQ_INT(c.update_trial_timeout, 60);
	config_apply_cmdline(&c, "wafer.update_trial_timeout=10", &e);
	WT_EQ_INT(e.n, 1);
	WT_EQ_INT(c.update_trial_timeout, 60);
}

WTEST_MAIN("init_config", WT_CASE(t_update_keys), WT_CASE(t_empty_resets), WT_CASE(t_defaults), WT_CASE(t_valid), WT_CASE(t_malformed),
	   WT_CASE(t_unknown_and_duplicate), WT_CASE(t_oversized), WT_CASE(t_binary_and_many_errors),
	   WT_CASE(t_cmdline), WT_CASE(t_check), WT_CASE(t_list_limits))
