/* vmexport.h: the stream a VM travels in from one host to another (GET
 * /api/v1/vms/{id}/export, POST /api/v1/vms/import; docs/agent.md, "Moving
 * a VM between hosts"):
 *
 *   "WAFERVM1"
 *   'F', u8 name length, name, u64 size, then extents: u64 offset, u64
 *        length, that many bytes; an extent of length 0 (offset 0) ends
 *        the file                                     (one per file)
 *   'E', u32 CRC-32 (crc32.h) of every byte before the 'E'
 *
 * Integers are little-endian. Files: vm.json first (at most 256 KiB), then
 * kernel and initrd (the boot images), disk0.img .. disk7.img and state.sav,
 * each at most once. Extents are in
 * ascending order, do not overlap and end within the file's size; what no
 * extent covers is a hole (zeros), so a sparse disk costs its data only. */
#ifndef WAFER_VMEXPORT_H
#define WAFER_VMEXPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMX_MAGIC "WAFERVM1"
#define VMX_FILE_MAX (1ull << 44)   /* 16 TiB: no disk is larger */
#define VMX_JSON_MAX (256u * 1024)

/* Writer: out(arg, buf, len) sends bytes on (0, or -1: stop). */
struct vmx_writer {
	int (*out)(void *arg, const void *buf, size_t len);
	void *arg;
	uint32_t crc;
	uint64_t total;           /* bytes written so far */
	char err[160];
};
void vmx_writer_init(struct vmx_writer *w, int (*out)(void *, const void *, size_t), void *arg);
/* Each returns 0 or -1 with w->err. */
int vmx_write_begin(struct vmx_writer *w);
int vmx_write_buf(struct vmx_writer *w, const char *name, const void *data, size_t len);
/* The file open on fd: its data extents (SEEK_DATA/SEEK_HOLE), blocks of
 * zeros left out. */
int vmx_write_fd(struct vmx_writer *w, const char *name, int fd);
int vmx_write_end(struct vmx_writer *w);

/* Reader: a push parser. The callbacks return 0, or -1 with a message in
 * err (the stream is refused from there). */
struct vmx_reader {
	int (*file_begin)(void *arg, const char *name, uint64_t size, char *err, size_t errlen);
	int (*data)(void *arg, uint64_t off, const void *buf, size_t len, char *err, size_t errlen);
	int (*file_end)(void *arg, const char *name, char *err, size_t errlen);
	void *arg;
	/* state (private) */
	int st;
	uint8_t hdr[24];
	size_t have, need;
	char name[16];
	uint64_t size, off, left, end;
	unsigned seen;            /* bit per file name (vmx names) */
	uint32_t crc;
	uint64_t total;           /* bytes taken so far */
	bool failed, done;
	char err[200];
};
void vmx_reader_init(struct vmx_reader *r);
/* Take the next len bytes: 0, or -1 with r->err. */
int vmx_feed(struct vmx_reader *r, const void *buf, size_t len);
/* After the last byte: 0 when the stream ended whole with its checksum. */
int vmx_finish(struct vmx_reader *r);
#endif
