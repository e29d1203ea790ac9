/* fuzz_vmexport: the stream a VM is imported from (lib/vmexport.c), as POST
 * /api/v1/vms/import receives it, in pieces whose size the input chooses;
 * the reader must hand out only data inside each file, in order. */
#include "vmexport.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t size, end;
static int open_files;

static int begin(void *arg, const char *name, uint64_t sz, char *err, size_t errlen)
{
	(void)arg, (void)name, (void)err, (void)errlen;
	if (open_files++)
		abort();   /* a file began inside another */
	size = sz;
	end = 0;
	return 0;
}

static int data(void *arg, uint64_t off, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)arg, (void)buf, (void)err, (void)errlen;
	if (!open_files || off < end || off > size || len > size - off)
		abort();   /* data outside its file, or backwards */
	end = off + len;
	return 0;
}

static int fend(void *arg, const char *name, char *err, size_t errlen)
{
	(void)arg, (void)name, (void)err, (void)errlen;
	if (open_files-- != 1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n < 1)
		return 0;
	size_t step = (size_t)d[0] % 64 + 1;
	struct vmx_reader r;
	r.file_begin = begin;
	r.data = data;
	r.file_end = fend;
	r.arg = NULL;
	vmx_reader_init(&r);
	open_files = 0;
	int rc = 0;
	for (size_t i = 1; i < n && rc == 0; i += step)
		rc = vmx_feed(&r, d + i, n - i < step ? n - i : step);
	if (rc == 0)
		rc = vmx_finish(&r);
	if (rc == 0 && (open_files || !r.done))
		abort();   /* accepted a stream that did not end whole */
	if (rc && !r.err[0])
		abort();   /* refused without a reason */
	return 0;
}
