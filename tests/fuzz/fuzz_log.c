/* fuzz_log: the log wire format (lib/initctl.c's parser, as the agent reads
 * init's log socket) and init's log ring with the tag and message a service
 * writes (initramfs/init/init_logring.c), formatted back into buffers of
 * every small size. */
#include "../../initramfs/init/init_logring.h"
#include "initctl.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initctl_logrec r;
	initctl_log_parse((const char *)data, size, &r);
	if (size < 2)
		return 0;
	size_t taglen = data[0] % 48;
	if (taglen > size - 1)
		taglen = size - 1;
	char tag[64];
	memcpy(tag, data + 1, taglen);
	tag[taglen] = '\0';
	struct logring ring;
	if (logring_init(&ring, 4096) != 0)
		return 0;
	logring_add(&ring, 1700000000000, 14, tag, (const char *)data + 1 + taglen, size - 1 - taglen);
	struct logcursor c;
	struct logrec rec;
	logring_cursor_start(&ring, &c);
	if (logring_read(&ring, &c, &rec, NULL) == 1)
		for (size_t n = 1; n < 160; n += 7) {
			char *out = malloc(n);
			if (out) {
				size_t k = logrec_format(&rec, out, n);
				if (k >= n)
					abort();
				free(out);
			}
		}
	logring_free(&ring);
	return 0;
}
