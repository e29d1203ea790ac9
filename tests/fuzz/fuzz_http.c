/* fuzz_http: the agent's HTTP request head parser, query parameters and
 * the chunked body decoder (lib/http_parse.c): everything a client
 * sends before and after authentication. */
#include "http_parse.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct http_request req;
	struct http_error err;
	if (http_parse_request(buf, size, 4096, &req, &err) == HTTP_PARSE_DONE) {
		char v[256];
		http_header(&req, "content-length");
		http_header(&req, "transfer-encoding");
		http_query_param(&req, "sha256", v, sizeof v);
		http_query_param(&req, "follow", v, sizeof v);
		/* the rest of the input as a chunked body */
		struct http_chunked c = { 0 };
		size_t used = 0, out = 0, off = req.head_len;
		while (off < size) {
			if (http_chunked_feed(&c, buf + off, size - off, &used, &out, &err) != 0 || used == 0)
				break;
			off += used;
		}
	}
	char dec[128];
	http_pct_decode(buf, size < 200 ? size : 200, dec, sizeof dec);
	free(buf);
	return 0;
}
