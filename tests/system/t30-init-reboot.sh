# t30-init-reboot: on a disk larger than the image, a test hook (overlay)
# kills udhcpc from outside (init restarts it), reads the log ring over
# log.sock, and asks init for an orderly reboot over init.sock; the host
# reboots, and the data partition and its ext4 filesystem were grown to fill
# the disk.
. tests/system/lib.sh
. tests/system/init-lib.sh

img_copy box 768
read -r p0 f0 < <(data_sizes "$T/box.img")
# The reboot waits for the first boot's data partition work (growth), which
# runs in the background and takes longer on a loaded machine.
img_add_overlay box "kill:udhcpc,logdump,waitmsg:/data ready,reboot"
qemu_start box bios
wait_log box 'slot A( via [a-z-]+)? booting' 120 || fail "no banner"
wait_log box 'test-hook: killed udhcpc pid [0-9]+' 120 || fail "the hook could not kill udhcpc"
wait_log box 'test-hook: udhcpc restarted as pid [0-9]+' 30 || fail "udhcpc not restarted"
wait_log box 'udhcpc up \(1 restart\)' 20 || fail "restart not on the status screen"
pass "udhcpc killed from outside was restarted"
wait_log box 'test-hook: log end \(0\)' 30 || fail "log dump did not finish"
grep -aqE 'test-hook: log [0-9]+ \+[0-9]+ms [0-9]+ kernel: Linux version' "$T/box.log" || fail "kernel messages missing from the ring"
grep -aqE 'test-hook: log [0-9]+ \+[0-9]+ms [0-9]+ udhcpc: .*lease of 10\.0\.2\.15' "$T/box.log" || fail "udhcpc output missing from the ring"
grep -aqE 'test-hook: log .* wafer-init: service udhcpc killed by signal 9' "$T/box.log" || fail "init's restart message missing"
pass "log ring over log.sock: kernel, service output and init messages"
grep -aE 'test-hook: log .*timing:' "$T/box.log" | sed 's/^.*wafer-init: /  /'
# init stops the hook as part of the reboot, often before the hook can print
# init's answer: the orderly reboot itself is the proof; an error answer fails.
wait_log box 'test-hook: requesting a reboot' 30 || fail "the hook did not ask for a reboot"
wait_log box 'Rebooting: stopping services' 30 || fail "no orderly reboot after the request over init.sock"
grep -aqE 'test-hook: reboot requested: -' "$T/box.log" && fail "init refused the reboot: $(grep -a 'reboot requested' "$T/box.log")"
i=0; while [ "$(grep -ac 'Wafer [0-9][^ ]* (x86_64) slot A booting' "$T/box.log")" -lt 2 ] && [ $i -lt 480 ]; do sleep 0.25; i=$((i+1)); done
[ "$(grep -ac 'Wafer [0-9][^ ]* (x86_64) slot A booting' "$T/box.log")" -ge 2 ] || fail "the host did not come back after the reboot"
pass "orderly reboot over init.sock"
qemu_kill box
read -r p1 f1 < <(data_sizes "$T/box.img")
log "data partition ${p0} MiB -> ${p1} MiB, ext4 ${f0} MiB -> ${f1} MiB on a 768 MiB disk"
[ "$p1" -ge 700 ] || fail "data partition not grown (${p1} MiB)"
[ "$f1" -ge $((p1 - 1)) ] || fail "ext4 not grown to the partition (${f1} of ${p1} MiB)"
sgdisk -v "$T/box.img" | grep -q 'No problems found' || fail "GPT not valid after growth: $(sgdisk -v "$T/box.img")"
pass "data partition and ext4 grown to fill the disk; GPT valid"
