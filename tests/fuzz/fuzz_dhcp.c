/* fuzz_dhcp: what a DHCP server sends as search/domain names and server
 * lists, filtered before resolv.conf and the lease record
 * (initramfs/init/init_dnsname.c): no newline may come out. */
#include "../../initramfs/init/init_dnsname.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[256];
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	dns_names_filter(in, out, sizeof out);
	if (strpbrk(out, "\n\r\t\""))
		abort();
	ipv4_list_filter(in, out, sizeof out);
	if (strpbrk(out, "\n\r\t\""))
		abort();
	dns_name_valid(in);
	free(in);
	return 0;
}
