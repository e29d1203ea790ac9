/* init_dnsname.c: DNS names and address lists from DHCP, checked. */
#include "init_dnsname.h"
#include <arpa/inet.h>
#include <string.h>

int dns_name_valid(const char *s)
{
	size_t len = strlen(s);
	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	size_t lab = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';
		if (c == '.') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && lab > 0) && !(c == '_' && lab == 0))
			return 0;
		lab++;
	}
	return 1;
}

static int is_ipv4(const char *s)
{
	unsigned char a[4];
	return inet_pton(AF_INET, s, a) == 1;
}

static int filter(const char *in, char *out, size_t n, int (*ok)(const char *))
{
	int dropped = 0;
	size_t o = 0;
	if (n)
		out[0] = '\0';
	for (const char *p = in; *p;) {
		size_t sep = strspn(p, " \t\r\n,");
		p += sep;
		size_t len = strcspn(p, " \t\r\n,");
		if (!len)
			break;
		char tok[260];
		if (len >= sizeof tok) {
			dropped++;
		} else {
			memcpy(tok, p, len);
			tok[len] = '\0';
			if (!ok(tok) || o + (o ? 1 : 0) + len + 1 > n) {
				dropped++;
			} else {
				if (o)
					out[o++] = ' ';
				memcpy(out + o, tok, len + 1);
				o += len;
			}
		}
		p += len;
	}
	return dropped;
}

int dns_names_filter(const char *in, char *out, size_t n)
{
	return filter(in, out, n, dns_name_valid);
}

int ipv4_list_filter(const char *in, char *out, size_t n)
{
	return filter(in, out, n, is_ipv4);
}
