/* fuzz_snapshot: a snapshot's record as the agent reads it back from the
 * datastore (snapshot.json; mgmt-agent/vms/vm_snapshot_info.c): parsed,
 * then written and parsed again (what it writes must read back the same). */
#include "vms/vm_snapshot_info.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool img(const char *n) { return n[0] != 'x'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vm_limits lim = { .max_vcpus = 8, .host_cpus = 4, .max_memory_mib = 4096, .image_exists = img };
	struct vm_snap_info s, s2;
	struct vm_spec spec, spec2;
	char err[256];
	int rc = vm_snap_info_parse((const char *)data, size, &lim, &s, &spec, err, sizeof err);
	if (rc == -2)   /* damaged or not, the host limits refused it: the record itself parses */
		rc = vm_snap_info_parse((const char *)data, size, NULL, &s, &spec, err, sizeof err);
	if (rc)
		return 0;
	struct json_w w;
	json_w_init(&w);
	vm_snap_info_write(&w, &s, &spec);
	size_t len;
	char *t = json_w_finish(&w, &len);
	if (!t)
		abort();
	if (vm_snap_info_parse(t, len, NULL, &s2, &spec2, err, sizeof err) != 0)
		abort();   /* the writer produced a record the parser refuses */
	if (strcmp(s.name, s2.name) || strcmp(s.vm_state, s2.vm_state) || s.memory != s2.memory ||
	    s.disk_files != s2.disk_files || s.created_ms != s2.created_ms || spec.ndisks != spec2.ndisks ||
	    strcmp(spec.name, spec2.name))
		abort();   /* a record did not survive its own round trip */
	free(t);
	return 0;
}
