/* fuzz_gpt: the GPT of a disk wafer-init looks at for its boot medium
 * (initramfs/init/init_gpt.c): any USB stick put in the host is outside
 * input. The input is the disk's first sectors; the rest reads as zeros. */
#include "../../initramfs/init/init_gpt.h"
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static struct gpt g;
	if (fd < 0)
		fd = memfd_create("fuzz-gpt", MFD_CLOEXEC);
	if (fd < 0 || size > 64 * 1024)
		return 0;
	uint64_t bytes = 8ull << 20;
	if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)bytes) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	char why[160];
	for (unsigned ss = 512; ss <= 4096; ss *= 8)
		if (gpt_read(fd, ss, bytes, &g, why, sizeof why) == 0) {
			gpt_find(&g, "WAFERCFG");
			gpt_find_uuid(&g, "00000000-0000-0000-0000-000000000000");
		}
	return 0;
}
