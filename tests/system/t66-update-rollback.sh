# t66-update-rollback: bad updates roll back by themselves (docs/updates.md).
#  1. unhealthy: version N+1 whose agent exits at once is written to slot B
#     and tried; nobody commits it, so wafer-init's trial watchdog
#     (update_trial_timeout = 60 in wafer.conf) ends the trial (tries_left=0)
#     and reboots; GRUB boots slot A (version N) again and the state reads
#     rolled-back with the attempted version.
#  2. panic: version N+1 whose /init is unusable: the kernel panics on each
#     of the 3 tries (panic=10 reboots), then GRUB boots slot A.
# Prints the rollback times.
. tests/system/lib.sh
. tests/system/update-lib.sh

d=$(_ov unhealthy "$VER_N1"); mkdir -p "$d/usr/bin"; ln -s /bin/busybox "$d/usr/bin/wafer-agent"
upd_bundle unhealthy "$VER_N1" "$d"
d=$(_ov panic "$VER_N1"); printf 'not an executable\n' > "$d/init"; chmod 0644 "$d/init"
upd_bundle panic "$VER_N1" "$d"

img_copy box
upd_conf "$T/box.img" "update_trial_timeout = 60"

# --- 1. unhealthy: the trial watchdog ---
upd_put_slot "$T/box.img" "$T/unhealthy.update" B
upd_state "$T/box.img" try B 3 "$VER_N1"
t0=$(date +%s)
qemu_start box bios
wait_log box "Wafer $VER_N1 \(x86_64\) slot B booting" 150 || fail "slot B (version $VER_N1) did not boot"
wait_log box "Update +trial boot of slot B \(version $VER_N1\): commit pending" 60 \
	|| fail "the status screen does not show the trial"
t_b=$(date +%s)
wait_log box "update: slot B \(version $VER_N1\) not healthy after 60 s: rolling back" 150 \
	|| fail "the trial watchdog did not end the trial"
t_wd=$(date +%s)
wait_log box "Wafer $VER_N \(x86_64\) slot A booting" 150 || fail "no boot of slot A (version $VER_N) after the trial"
t_a=$(date +%s)
wait_log box "slot A via grub-bios" 60 || fail "no status screen on slot A"
grep -aq "Update +trial boot" <(python3 -c 'import sys; print(open(sys.argv[1],"rb").read().split(b"slot A booting")[-1].decode("utf-8","replace"))' "$T/box.log") \
	&& fail "slot A shows a trial"
qemu_kill box
upd_state "$T/box.img" show A
for re in 'committed=A' 'trying=-' 'tries_left=0' 'attempted=B' "attempted_version=$VER_N1" 'outcome=rolled-back'; do
	grep -qx "$re" "$T/abstate.out" || { cat "$T/abstate.out"; fail "state after the rollback: no $re"; }
done
log "unhealthy update: QEMU start -> trial shown $((t_b - t0)) s, -> watchdog rollback $((t_wd - t0)) s, -> slot A booting $((t_a - t0)) s"
pass "unhealthy $VER_N1 on slot B: trial shown, ended by init's watchdog after 60 s, back on slot A ($VER_N), state rolled-back"

# --- 2. panic: the bootloader's tries ---
upd_state "$T/box.img" forget
upd_put_slot "$T/box.img" "$T/panic.update" B
upd_state "$T/box.img" try B 3 "$VER_N1"
: > "$T/box.log"
t0=$(date +%s)
qemu_start box bios
wait_log box "Wafer $VER_N \(x86_64\) slot A booting" 300 || fail "slot A did not come back after the panics"
t_a=$(date +%s)
n=$(grep -ac 'Kernel panic - not syncing' "$T/box.log")
[ "$n" -eq 3 ] || fail "expected 3 kernel panics (3 tries), saw $n"
grep -aq 'No working init found' "$T/box.log" || fail "the panic was not the bad /init"
qemu_kill box
upd_state "$T/box.img" show A
for re in 'committed=A' 'trying=-' 'attempted=B' 'outcome=rolled-back'; do
	grep -qx "$re" "$T/abstate.out" || { cat "$T/abstate.out"; fail "state after the panics: no $re"; }
done
log "panicking update: QEMU start -> slot A booting after 3 panics: $((t_a - t0)) s"
pass "panicking $VER_N1 on slot B: 3 tries (3 panics), then back on slot A ($VER_N), state rolled-back"
