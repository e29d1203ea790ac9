/* vm_argv.c: the one place that turns a VM spec into wafer-vmm's command
 * line, with the options and limits of lib/wafer_contract.h. Pure (no
 * files, no descriptors opened): mgmt-agent/tests/test_vmm_argv.c parses
 * what it builds with the VMM's own parser. */
#include "vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void arg(struct vmm_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct vmm_argv *a, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof a->store - a->used;
	if (a->n >= VMM_ARGV_MAX || room == 0) {
		a->overflow = true;
		return;
	}
	va_start(ap, fmt);
	int k = vsnprintf(a->store + a->used, room, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= room) {
		a->overflow = true;
		return;
	}
	a->v[a->n++] = a->store + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)k + 1;
}

int vm_vmm_argv(const struct vm_spec *s, const char *id, const struct vmm_fds *fds,
		struct vmm_argv *a)
{
	memset(a, 0, sizeof *a);
	arg(a, "wafer-vmm");
	arg(a, VMM_OPT_ID);
	arg(a, "%s", id);
	arg(a, VMM_OPT_VCPUS);
	arg(a, "%d", s->vcpus);
	arg(a, VMM_OPT_MEMORY_MIB);
	arg(a, "%llu", (unsigned long long)s->memory_mib);
	arg(a, VMM_OPT_KERNEL);
	arg(a, "/boot/kernel");
	if (s->initrd[0]) {
		arg(a, VMM_OPT_INITRD);
		arg(a, "/boot/initrd");
	}
	arg(a, VMM_OPT_CMDLINE);
	arg(a, "%s", s->cmdline);
	for (int i = 0; i < s->ndisks; i++) {
		arg(a, VMM_OPT_DISK);
		arg(a, "fd=%d%s,id=disk%d", fds->disk[i], s->disks[i].readonly ? ",readonly" : "", i);
	}
	for (int i = 0; i < s->nnics; i++) {
		arg(a, VMM_OPT_NET);
		arg(a, "fd=%d,mac=%s,id=net%d", fds->nic[i], s->nics[i].mac, i);
	}
	arg(a, VMM_OPT_RNG);
	arg(a, VMM_OPT_CONTROL_FD);
	arg(a, "%d", fds->control);
	arg(a, VMM_OPT_EXIT_FD);
	arg(a, "%d", fds->exit);
	if (fds->state > 0) {
		arg(a, VMM_OPT_STATE_FD);
		arg(a, "%d", fds->state);
	}
	if (fds->restore > 0) {
		arg(a, VMM_OPT_RESTORE_FD);
		arg(a, "%d", fds->restore);
	}
	return a->overflow ? -1 : 0;
}
