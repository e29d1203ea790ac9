/* fuzz_json: the JSON parser every API body goes through (lib/json.c), then
 * the accessors and the escaper over what it built. */
#include "json.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d;
	struct json_err e;
	if (json_parse(&d, (const char *)data, size, NULL, &e) == 0) {
		const struct json_node *r = json_root(&d);
		static const char *const keys[] = { "name", "vcpus", NULL };
		char msg[160];
		json_get_str(r, "name");
		json_check_keys(r, keys, msg, sizeof msg);
		int64_t v;
		(void)v;
		json_get_int_range(r, "vcpus", 1, 64, &v, msg, sizeof msg);
		json_doc_free(&d);
	}
	char out[256];
	json_escape(out, sizeof out, (const char *)data, size < 100 ? size : 100);
	return 0;
}
