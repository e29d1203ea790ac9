/* init_svctab.c: the one table of supervised services and how each one's
 * command line is built from the configuration. The log collector is part of
 * init itself (init_logsrv.c) and so is not in the table. */
#include "init_svctab.h"
#include "init_state.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int build_udhcpc(struct svc_argv *a)
{
	if (!g_st.net_ready || g_st.cfg.ipv4 != CFG_IPV4_DHCP)
		return -1;
	svc_arg(a, "/bin/udhcpc");
	svc_arg(a, "-f");                 /* foreground: init supervises it */
	svc_arg(a, "-i");
	svc_arg(a, MGMT_BRIDGE);
	svc_arg(a, "-s");
	svc_arg(a, HOOK_PATH);
	svc_arg(a, "-t");                 /* 4 discovers 2 s apart, then */
	svc_arg(a, "4");
	svc_arg(a, "-T");
	svc_arg(a, "2");
	svc_arg(a, "-A");                 /* wait 5 s and try again, forever */
	svc_arg(a, "5");
	svc_arg(a, "-O");
	svc_arg(a, "ntpsrv");
	svc_arg(a, "-O");
	svc_arg(a, "search");
	svc_arg(a, "-x");
	svc_arg(a, "hostname:%s", g_st.hostname);
	svc_arg(a, "-V");
	svc_arg(a, "wafer");
	return 0;
}

static int build_ntpd(struct svc_argv *a)
{
	if (!g_st.net_ready)
		return -1;
	svc_arg(a, "/bin/ntpd");
	svc_arg(a, "-n");
	int n = 0;
	for (int i = 0; i < g_st.cfg.ntp_n; i++, n++) {
		svc_arg(a, "-p");
		svc_arg(a, "%s", g_st.cfg.ntp[i]);
	}
	if (n == 0 && g_st.dhcp_ntp[0]) {
		char tmp[sizeof g_st.dhcp_ntp], *save = NULL;
		snprintf(tmp, sizeof tmp, "%s", g_st.dhcp_ntp);
		for (char *t = strtok_r(tmp, " ", &save); t && n < 4; t = strtok_r(NULL, " ", &save), n++) {
			svc_arg(a, "-p");
			svc_arg(a, "%s", t);
		}
	}
	if (n == 0) {
		svc_arg(a, "-p");
		svc_arg(a, "pool.ntp.org");
	}
	return 0;
}

static int build_agent(struct svc_argv *a)
{
	/* after the KVM drivers are probed and /data is mounted */
	if (access(AGENT_PATH, X_OK) != 0 || g_st.kvm_ok < 0 || !g_st.data_ready)
		return -1;
	svc_arg(a, AGENT_PATH);
	svc_arg(a, "--port");
	svc_arg(a, "%d", g_st.cfg.api_port);
	return 0;
}

/* System tests add this program with an overlay archive (never in the
 * product image): it drives init from outside, see tests/testhook.c. */
static int build_testhook(struct svc_argv *a)
{
	if (access(TESTHOOK_PATH, X_OK) != 0)
		return -1;
	svc_arg(a, TESTHOOK_PATH);
	return 0;
}

static struct service g_tab[] = {
	{ .name = "udhcpc", .build = build_udhcpc, .last_status = -1 },
	{ .name = "ntpd", .build = build_ntpd, .last_status = -1 },
	{ .name = "wafer-agent", .build = build_agent, .last_status = -1 },
	{ .name = "test-hook", .build = build_testhook, .last_status = -1 },
};

struct service *svctab_get(int *n)
{
	*n = (int)(sizeof g_tab / sizeof g_tab[0]);
	return g_tab;
}
