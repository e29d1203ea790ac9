/* init_config.h: wafer.conf (key=value) and the wafer.<key>= kernel
 * command-line overrides, parsed into typed settings (pure code). Every key is
 * documented in docs/config.md. */
#ifndef INIT_CONFIG_H
#define INIT_CONFIG_H
#include <stddef.h>

#define CONFIG_MAX_BYTES (64 * 1024) /* a larger wafer.conf is rejected */
#define CONFIG_LINE_MAX 512
#define CONFIG_ERR_MAX 16
#define CONFIG_LIST_MAX 4

enum cfg_ipv4 { CFG_IPV4_DHCP, CFG_IPV4_STATIC, CFG_IPV4_OFF };
enum cfg_ipv6 { CFG_IPV6_SLAAC, CFG_IPV6_STATIC, CFG_IPV6_OFF };
enum cfg_cad { CFG_CAD_IGNORE, CFG_CAD_REBOOT };

struct config {
	char hostname[64];        /* "" = wafer-<MAC tail> */
	char mgmt_interface[32];  /* ifname or MAC; "" = first NIC with link */
	int ipv4;                 /* enum cfg_ipv4 */
	char ipv4_address[20];    /* a.b.c.d/len */
	char ipv4_gateway[16];
	int ipv6;                 /* enum cfg_ipv6 */
	char ipv6_address[48];    /* addr/len */
	char ipv6_gateway[40];
	char dns[CONFIG_LIST_MAX][40];
	int dns_n;
	char dns_search[128];
	int vlan;                 /* 0 = untagged */
	int mtu;                  /* 0 = leave the NIC's default */
	char ntp[CONFIG_LIST_MAX][64];
	int ntp_n;
	char syslog[128];         /* udp://host[:port] or tcp://host[:port]; "" = off */
	int api_port;
	int watchdog;             /* 1 = pet /dev/watchdog when present */
	int watchdog_timeout;     /* seconds */
	int log_ring_kib;
	int ctrl_alt_del;         /* enum cfg_cad */
	int update_trial_timeout; /* seconds after boot a trial boot has to commit */
};

/* One reported problem, with where it came from: "wafer.conf:12: ...". */
struct config_errors {
	char msg[CONFIG_ERR_MAX][160];
	int n;
	int dropped; /* errors beyond CONFIG_ERR_MAX */
};

void config_defaults(struct config *c);
/* Parse a whole file's text (origin names it in errors, e.g. "/config/wafer.conf").
 * Bad lines are reported into errs and skipped; good lines are applied. */
void config_parse(struct config *c, const char *origin, const char *text, size_t len,
		  struct config_errors *errs);
/* Apply every wafer.<key>=<value> word of the kernel command line text. Words
 * for keys that are not settings (wafer.slot, wafer.boot, wafer.test.*) are left
 * alone. */
void config_apply_cmdline(struct config *c, const char *cmdline, struct config_errors *errs);
/* Set one key from a string; returns 0, or -1 with a reason in why. */
int config_set(struct config *c, const char *key, const char *value, char *why, size_t whylen);
/* Cross-key checks after everything is applied (ipv4=static needs an address...). */
void config_check(struct config *c, struct config_errors *errs);
void config_error(struct config_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#endif
