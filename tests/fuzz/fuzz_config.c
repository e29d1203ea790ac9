/* fuzz_config: wafer.conf and the kernel command line as wafer-init reads
 * them (initramfs/init/init_config.c); the first byte chooses which. */
#include "../../initramfs/init/init_config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct config c;
	static struct config_errors e;
	memset(&e, 0, sizeof e);
	config_defaults(&c);
	if (data[0] & 1) {
		config_parse(&c, "wafer.conf", (const char *)data + 1, size - 1, &e);
	} else {
		char *t = malloc(size);
		if (!t)
			return 0;
		memcpy(t, data + 1, size - 1);
		t[size - 1] = '\0';
		config_apply_cmdline(&c, t, &e);
		free(t);
	}
	config_check(&c, &e);
	return 0;
}
