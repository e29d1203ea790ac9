/* test_modalias.c: modalias glob matching, modules.alias/modules.dep indexing. */
#include "../init_modalias.h"
#include "wtest.h"
#include <stdlib.h>

static void t_glob(void)
{
	WT_CHECK(modalias_glob("pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"));
	WT_CHECK(!modalias_glob("pci:v00001AF4d00001000sv*sd*bc*sc*i*", "pci:v00001AF4d00001001sv00001AF4sd00000001bc02sc00i00"));
	WT_CHECK(modalias_glob("virtio:d00000001v*", "virtio:d00000001v00001AF4"));
	WT_CHECK(modalias_glob("a?c", "abc"));
	WT_CHECK(!modalias_glob("a?c", "ac"));
	WT_CHECK(modalias_glob("x[0-9]y", "x7y"));
	WT_CHECK(!modalias_glob("x[0-9]y", "xay"));
	WT_CHECK(modalias_glob("x[!0-9]y", "xay"));
	WT_CHECK(modalias_glob("cpu:type:x86,ven*fam*mod*:feature:*0081*", "cpu:type:x86,ven0002fam0019mod0001:feature:,0000,0081,00C2"));
	WT_CHECK(!modalias_glob("cpu:type:x86,ven*fam*mod*:feature:*0081*", "cpu:type:x86,ven0002fam0019mod0001:feature:,0000,0082"));
	WT_CHECK(modalias_glob("*", ""));
	WT_CHECK(!modalias_glob("", "x"));
	WT_CHECK(!modalias_glob("a[bc", "ab")); /* unterminated class never matches */
	WT_CHECK(modalias_glob("a**b*", "aXXbYY"));
	WT_CHECK(modalias_glob("[]]", "]"));
}

static void t_normalise(void)
{
	char n[64];
	modname_normalise("kernel/arch/x86/kvm/kvm-amd.ko.xz", 33, n, sizeof n);
	WT_EQ_STR(n, "kvm_amd");
	modname_normalise("virtio_net", 10, n, sizeof n);
	WT_EQ_STR(n, "virtio_net");
	modname_normalise("a.kobj-x.ko", 11, n, sizeof n);
	WT_EQ_STR(n, "a.kobj_x");
	modname_normalise("abcdef", 6, n, 4);
	WT_EQ_STR(n, "abc");
}

static const char *seen[8];
static int nseen;
static void collect(const char *m, void *ctx)
{
	(void)ctx;
	if (nseen < 8)
		seen[nseen++] = m;
}

static void t_tables(void)
{
	struct modtables t;
	char *alias = strdup("# Aliases extracted from modules themselves.\n"
			     "alias pci:v00001AF4d00001000sv*sd*bc*sc*i* virtio_pci\n"
			     "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
			     "alias virtio:d00000001v* virtio_net\n"
			     "alias cpu:type:x86,ven*fam*mod*:feature:*0081* kvm_amd\n"
			     "garbage line\nalias onlypattern\n\n");
	char *dep = strdup("kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz\n"
			   "kernel/net/core/failover.ko.xz:\n"
			   "kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz\n"
			   "kernel/arch/x86/kvm/kvm-amd.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz kernel/virt/lib/irqbypass.ko.xz\n"
			   "no colon here\n:\n");
	WT_EQ_INT(modtables_load(&t, alias, dep), 0);
	WT_EQ_INT(t.nalias, 4);
	WT_EQ_INT(t.ndep, 4);
	nseen = 0;
	WT_EQ_INT(modtables_match(&t, "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", collect, NULL), 1);
	WT_EQ_STR(seen[0], "virtio_pci");
	nseen = 0;
	WT_EQ_INT(modtables_match(&t, "usb:v1234p5678", collect, NULL), 0);
	const char *p[8];
	size_t l[8];
	int n = modtables_load_order(&t, "virtio_net", p, l, 8);
	WT_EQ_INT(n, 3);
	WT_CHECK(n == 3 && strncmp(p[0], "kernel/net/core/failover.ko.xz", l[0]) == 0);
	WT_CHECK(n == 3 && strncmp(p[2], "kernel/drivers/net/virtio_net.ko.xz", l[2]) == 0);
	n = modtables_load_order(&t, "kvm-amd", p, l, 8);
	WT_EQ_INT(n, 3);
	WT_CHECK(n == 3 && strncmp(p[0], "kernel/virt/lib/irqbypass.ko.xz", l[0]) == 0);
	WT_EQ_INT(modtables_load_order(&t, "kvm_amd", p, l, 2), -1);
	WT_EQ_INT(modtables_load_order(&t, "nonexistent", p, l, 8), -1);
	modtables_free(&t);
}

WTEST_MAIN("init_modalias", WT_CASE(t_glob), WT_CASE(t_normalise), WT_CASE(t_tables))
