/* netlisten.c: parse the kernel's /proc/net/{tcp,udp}{,6} socket tables into
 * listening sockets, and find the process that owns a socket inode. */
#include "netlisten.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_LISTEN 0x0a

/* The kernel prints each 32-bit word of the address in host byte order as
 * 8 hex digits (one word for IPv4, four for IPv6). */
static int parse_addr(const char *hex, size_t len, bool v6, char *out, size_t olen)
{
	uint32_t w[4];
	size_t words = v6 ? 4 : 1;
	if (len != words * 8)
		return -1;
	for (size_t i = 0; i < words; i++) {
		char part[9];
		memcpy(part, hex + i * 8, 8);
		part[8] = '\0';
		if (strspn(part, "0123456789abcdefABCDEF") != 8)
			return -1;
		w[i] = (uint32_t)strtoul(part, NULL, 16);
	}
	return inet_ntop(v6 ? AF_INET6 : AF_INET, w, out, (socklen_t)olen) ? 0 : -1;
}

/* One table row: "sl: LOCAL:PORT REMOTE:PORT ST ... UID TIMEOUT INODE ..." */
static int parse_line(const char *l, const char *proto, bool v6, struct netlisten *e)
{
	char local[64], remote[64];
	unsigned st, uid;
	unsigned long inode;
	if (sscanf(l, " %*u: %63s %63s %x %*s %*s %*s %u %*d %lu", local, remote, &st, &uid, &inode) != 5)
		return -1;
	char *colon = strchr(local, ':');
	if (!colon || strlen(colon + 1) != 4 || strspn(colon + 1, "0123456789abcdefABCDEF") != 4)
		return -1;
	memset(e, 0, sizeof *e);
	if (parse_addr(local, (size_t)(colon - local), v6, e->addr, sizeof e->addr))
		return -1;
	e->port = (unsigned)strtoul(colon + 1, NULL, 16);
	snprintf(e->proto, sizeof e->proto, "%s", proto);
	e->v6 = v6;
	e->inode = inode;
	if (!strcmp(proto, "tcp"))
		return st == TCP_LISTEN ? 1 : 0;
	return 1; /* every UDP socket in the table is bound to a local port */
}

int netlisten_parse(const char *text, const char *proto, bool v6,
		    struct netlisten *out, int *n, int max, int *bad)
{
	int added = 0;
	const char *l = strchr(text, '\n'); /* skip the header line */
	while (l && *++l) {
		struct netlisten e;
		int r = parse_line(l, proto, v6, &e);
		if (r < 0 && bad)
			(*bad)++;
		if (r == 1 && *n < max) {
			out[(*n)++] = e;
			added++;
		}
		l = strchr(l, '\n');
	}
	return added;
}

static bool fd_is_socket(const char *pid, const char *fd, unsigned long inode)
{
	char p[600], link[64], want[40];
	snprintf(p, sizeof p, "/proc/%s/fd/%s", pid, fd);
	ssize_t k = readlink(p, link, sizeof link - 1);
	if (k <= 0)
		return false;
	link[k] = '\0';
	snprintf(want, sizeof want, "socket:[%lu]", inode);
	return strcmp(link, want) == 0;
}

static bool pid_holds(const char *pid, unsigned long inode)
{
	char p[600];
	snprintf(p, sizeof p, "/proc/%s/fd", pid);
	DIR *d = opendir(p);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));)
		found = e->d_name[0] != '.' && fd_is_socket(pid, e->d_name, inode);
	closedir(d);
	return found;
}

void netlisten_owner(unsigned long inode, char *comm, size_t len)
{
	comm[0] = '\0';
	DIR *d = opendir("/proc");
	if (!d || !inode) {
		if (d)
			closedir(d);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (!isdigit((unsigned char)e->d_name[0]) || !pid_holds(e->d_name, inode))
			continue;
		char p[600];
		snprintf(p, sizeof p, "/proc/%s/comm", e->d_name);
		FILE *f = fopen(p, "r");
		if (f) {
			if (fgets(comm, (int)len, f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		break;
	}
	closedir(d);
}
