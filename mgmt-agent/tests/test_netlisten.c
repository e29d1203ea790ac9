/* test_netlisten.c: parsing of /proc/net/{tcp,udp}{,6} tables (real kernel
 * lines, then truncated and hostile ones), and the owner lookup on this
 * machine's own listening socket. */
#include "host/netlisten.h"
#include "wtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char tcp4[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n"
	"   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 99 1 0000000000000000 100 0 0 10 0\n"
	"   2: 0F02000A:01BB 0202000A:C350 01 00000000:00000000 02:000A7B2B 00000000     0        0 777 2 0000000000000000 20 4 30 10 -1\n";
static const char tcp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4321 1 0000000000000000 100 0 0 10 0\n"
	"   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55 1 0000000000000000 100 0 0 10 0\n";
static const char udp4[] =
	"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	"  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5000 2 0000000000000000 0\n"
	"  200: 0F02000A:B1C2 0202000A:007B 01 00000000:00000000 00:00000000 00000000     0        0 5001 2 0000000000000000 0\n";

static void t_tcp(void)
{
	struct netlisten l[8];
	int n = 0, bad = 0;
	WT_EQ_INT(netlisten_parse(tcp4, "tcp", false, l, &n, 8, &bad), 2); /* the ESTABLISHED row is not a listener */
	WT_EQ_INT(bad, 0);
	WT_EQ_STR(l[0].addr, "0.0.0.0");
	WT_EQ_INT(l[0].port, 443);
	WT_EQ_INT(l[0].inode, 1234);
	WT_EQ_STR(l[0].proto, "tcp");
	WT_EQ_STR(l[1].addr, "127.0.0.1");
	WT_EQ_INT(l[1].port, 8080);
	WT_EQ_INT(netlisten_parse(tcp6, "tcp", true, l, &n, 8, &bad), 2);
	WT_EQ_STR(l[2].addr, "::");
	WT_EQ_INT(l[2].port, 443);
	WT_CHECK(l[2].v6);
	WT_EQ_STR(l[3].addr, "::1");
	WT_EQ_INT(l[3].port, 22);
	WT_EQ_INT(n, 4);
}

static void t_udp(void)
{
	struct netlisten l[8];
	int n = 0;
	WT_EQ_INT(netlisten_parse(udp4, "udp", false, l, &n, 8, NULL), 2); /* bound and connected both count */
	WT_EQ_INT(l[0].port, 68);
	WT_EQ_STR(l[1].addr, "10.0.2.15");
	WT_EQ_INT(l[1].port, 0xB1C2);
}

static void t_hostile(void)
{
	static const char *const bad_lines[] = {
		"hdr\n   0: 0000000:01BB 00000000:0000 0A 0 0 0 0 0 1\n",              /* 7 hex digits */
		"hdr\n   0: 00000000:1BB 00000000:0000 0A 0 0 0 0 0 1\n",              /* 3-digit port */
		"hdr\n   0: 0000000G:01BB 00000000:0000 0A 0 0 0 0 0 1\n",             /* not hex */
		"hdr\n   0: 00000000 00000000:0000 0A 0 0 0 0 0 1\n",                  /* no port */
		"hdr\n   0: 00000000:01BB 00000000:0000 0A\n",                         /* truncated */
		"hdr\n   0: 0000000000000000000000000000000:01BB 0:0 0A 0 0 0 0 0 1\n", /* v6 one short */
		"hdr\n garbage\n\n\n",
	};
	for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		struct netlisten l[2];
		int n = 0, bad = 0;
		WT_EQ_INT(netlisten_parse(bad_lines[i], "tcp", i == 5, l, &n, 2, &bad), 0);
		WT_CHECK(bad >= 1);
	}
	struct netlisten l[1];
	int n = 0;
	WT_EQ_INT(netlisten_parse("", "tcp", false, l, &n, 1, NULL), 0);
	WT_EQ_INT(netlisten_parse("only a header", "tcp", false, l, &n, 1, NULL), 0);
	WT_EQ_INT(netlisten_parse(tcp4, "tcp", false, l, &n, 1, NULL), 1); /* stops at max */
	WT_EQ_INT(n, 1);
}

/* A real listener of this test process: its inode's owner is this process. */
static void t_owner(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	WT_CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 1) == 0);
	struct stat st;
	WT_CHECK(fstat(s, &st) == 0);
	char comm[32], want[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	WT_CHECK(f && fgets(want, sizeof want, f));
	if (f)
		fclose(f);
	want[strcspn(want, "\n")] = '\0';
	netlisten_owner((unsigned long)st.st_ino, comm, sizeof comm);
	WT_EQ_STR(comm, want);
	netlisten_owner(0, comm, sizeof comm);
	WT_EQ_STR(comm, "");
	close(s);
}

WTEST_MAIN("agent_netlisten", WT_CASE(t_tcp), WT_CASE(t_udp), WT_CASE(t_hostile), WT_CASE(t_owner))
