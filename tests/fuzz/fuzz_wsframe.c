/* fuzz_wsframe: WebSocket frames as waferctl's console client reads them
 * from a host (lib/ws_frame.c). */
#include "ws_frame.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct ws_frame f;
		char err[128];
		int rc = ws_frame_parse(data + off, size - off, 65536, &f, err, sizeof err);
		if (rc != 1 || f.size == 0 || f.size > size - off)
			break;
		off += f.size;
	}
	return 0;
}
