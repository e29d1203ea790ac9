/* savefile.h: a paused VM saved to one file, and a new VMM process built
 * from it (docs/vmm.md, "Saved state").
 *
 *   offset 0      header (4 KiB): "WAFERSAV", version, the places and sizes
 *                 of the parts below, the memory checksum, its own CRC-32
 *   offset 4096   guest RAM as the host maps it, sparse: all-zero pages are
 *                 not written (holes); CRC-32 over each written page's
 *                 number and contents
 *   after it      the state stream (state.h): machine, the port's VM state,
 *                 every vCPU, every device
 *
 * Disks are not copied: the restored VMM opens the same images. */
#ifndef VMM_SAVEFILE_H
#define VMM_SAVEFILE_H
#include <stddef.h>
#include <stdint.h>

struct vm;

struct savefile_stats {
	uint64_t state_bytes, memory_bytes, pages_written, file_bytes, ms;
};

/* Save the paused vm into fd (truncated first). 0, or -1 with err; on
 * error the VM is as it was (still paused). */
int savefile_write(struct vm *vm, int fd, struct savefile_stats *st, char *err, size_t errlen);
/* Load fd into vm, built from the same configuration with its vCPUs
 * created but not started and its memory untouched. 0, or -1 with err. */
int savefile_restore(struct vm *vm, int fd, struct savefile_stats *st, char *err, size_t errlen);
#endif
