/* fuzz_vmspec: a VM definition as POST/PATCH /api/v1/vms receive it: JSON,
 * then the spec validation (mgmt-agent/vms/vm_spec.c), then the writer and a
 * second parse of what was written (it must parse again). */
#include "vms/vm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool img(const char *n) { return n[0] != 'x'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vm_limits lim = { .max_vcpus = 8, .host_cpus = 4, .max_memory_mib = 4096, .image_exists = img };
	struct json_doc d;
	if (json_parse(&d, (const char *)data, size, NULL, NULL) != 0)
		return 0;
	struct vm_spec s, s2;
	char err[256];
	if (vm_spec_parse(json_root(&d), NULL, &lim, &s, err, sizeof err) == 0) {
		struct json_w w;
		json_w_init(&w);
		vm_spec_write(&w, &s);
		size_t len;
		char *t = json_w_finish(&w, &len);
		struct json_doc d2;
		if (!t || json_parse(&d2, t, len, NULL, NULL) != 0)
			abort(); /* the writer produced something the parser refuses */
		if (vm_spec_parse(json_root(&d2), NULL, NULL, &s2, err, sizeof err) != 0 || strcmp(s.name, s2.name))
			abort(); /* a valid spec did not survive its own round trip */
		json_doc_free(&d2);
		free(t);
		/* the same body as a PATCH of the spec */
		vm_spec_parse(json_root(&d), &s, &lim, &s2, err, sizeof err);
	}
	json_doc_free(&d);
	return 0;
}
