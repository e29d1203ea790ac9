#!/bin/bash
# t40-vmm-boot: wafer-vmm boots the test guest with 2 vCPUs and the guest
# sees 2 CPUs (ACPI MADT), the boot timer fires, and a guest reboot through
# the ACPI reset register is reported as "reboot" (exit code 3); with
# acpi=off the MP table still gives the guest its 2 CPUs and the i8042 reset
# line reboots. (Guest poweroff, exit code 0, is asserted in
# t40-vmm-devices and, through the ACPI power button, in t40-vmm-control.)
set -u
cd "$(dirname "$0")/../.."
. tests/system/vmm-lib.sh
vmm_run t40-vmm-boot 170 <<'EOF_RUN'
vm_boot smp 80 --vcpus 2 --memory-mib 256 $GUEST --cmdline "console=ttyS0 quiet gtest=reboot"; rc=$RC
grep -q "GUEST booted cpus=2 " /tmp/smp.console && pass "guest sees 2 CPUs" || { fail "guest CPU count"; show smp; }
grep -q "boot time [0-9]* ms" /tmp/smp.err && pass "boot timer: $(grep -o 'boot time [0-9]* ms' /tmp/smp.err)" || fail "no boot time"
[ "$rc" = 3 ] && grep -q "exit: reboot" /tmp/smp.err && pass "ACPI reset register: reboot, exit code 3" || { fail "reboot rc=$rc"; show smp; }

vm_boot mp 80 --vcpus 2 --memory-mib 128 $GUEST --cmdline "console=ttyS0 quiet acpi=off reboot=k gtest=reboot"; rc=$RC
grep -q "GUEST booted cpus=2 " /tmp/mp.console && pass "acpi=off: MP table gives 2 CPUs" || { fail "MP table CPU count"; show mp; }
[ "$rc" = 3 ] && grep -q "exit: reboot" /tmp/mp.err && pass "acpi=off: i8042 reset line: reboot, exit code 3" || { fail "i8042 reboot rc=$rc"; show mp; }
EOF_RUN
