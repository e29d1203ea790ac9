#!/bin/bash
# t40-vmm-boot: wafer-vmm boots the test guest with 2 vCPUs (the guest sees 2
# CPUs), the boot timer fires, and guest poweroff and reboot are reported as
# distinct exit reasons/codes.
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t40-vmm-boot 150 <<'EOF_RUN'
vm_start smp --vcpus 2 --memory-mib 256 $GUEST --cmdline "console=ttyS0 quiet gtest=smp"
vm_wait smp 60; rc=$RC
grep -q "GUEST booted cpus=2 " /tmp/smp.console && pass "guest sees 2 CPUs" || { fail "guest CPU count"; show smp; }
[ "$rc" = 0 ] && grep -q "exit: poweroff" /tmp/smp.err && pass "poweroff: exit code 0" || { fail "poweroff rc=$rc"; show smp; }
grep -q "boot time [0-9]* ms" /tmp/smp.err && pass "boot timer: $(grep -o 'boot time [0-9]* ms' /tmp/smp.err)" || fail "no boot time"

vm_start rb --vcpus 1 --memory-mib 128 $GUEST --cmdline "console=ttyS0 quiet gtest=reboot"
vm_wait rb 60; rc=$RC
[ "$rc" = 3 ] && grep -q "exit: reboot" /tmp/rb.err && pass "reboot: exit code 3" || { fail "reboot rc=$rc"; show rb; }
EOF_RUN
