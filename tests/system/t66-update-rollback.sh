# t66-update-rollback: bad updates roll back by themselves (docs/updates.md),
# on a host booted by GRUB (PC BIOS), update_trial_timeout = 60 in wafer.conf.
#  1. unhealthy: version N+1 whose agent exits at once, POSTed with
#     ?reboot=1: slot B boots and shows the trial; nobody commits it, so
#     wafer-init's trial watchdog ends the trial (tries_left=0) 60 s after
#     kernel start and reboots; GRUB boots slot A (version N) again and
#     GET /api/v1/host/update reports the failed update with its version.
#  2. panic (same host): version N+1 whose /init is unusable: the kernel
#     panics on each of the bootloader's 3 tries (panic=10 reboots), then
#     GRUB boots slot A, and the API reports the failed update.
# Prints the rollback times.
. tests/system/lib.sh
. tests/system/update-lib.sh
. tests/system/agent-lib.sh

d=$(_ov unhealthy "$VER_N1"); mkdir -p "$d/usr/bin"; ln -s /bin/busybox "$d/usr/bin/wafer-agent"
upd_bundle unhealthy "$VER_N1" "$d"
d=$(_ov panic "$VER_N1"); printf 'not an executable\n' > "$d/init"; chmod 0644 "$d/init"
upd_bundle panic "$VER_N1" "$d"

agent_img box
upd_conf "$T/box.img" "update_trial_timeout = 60"
agent_boot box
upd_status 'running_slot=A' "running_version=$VER_N" 'outcome=steady' || fail "fresh host not steady"

# rolled_back KIND: the API on slot A reports the failed update of version N+1.
rolled_back() {
	upd_wait_status 60 'running_slot=A' "running_version=$VER_N" 'committed=A' 'trying=' \
		'last_update.result=rolled-back' 'last_update.slot=B' "last_update.version=$VER_N1" \
		|| fail "$1: the API does not report the rollback"
	grep -q "^last_update.message=.*did not become healthy" "$T/upd.kv" || fail "$1: message: $(grep message "$T/upd.kv")"
	code "$URL/api/v1/host" > /dev/null
	[ "$(jget '["version"]')" = "$VER_N" ] && [ "$(jget '["slot"]')" = A ] || fail "$1: GET /api/v1/host: $(head -c 200 "$T/body")"
}

# --- 1. unhealthy: init's trial watchdog ---
upd_mark box
c=$(upd_post unhealthy '?reboot=1')
[ "$c" = 200 ] && [ "$(jget '["slot"]')" = B ] || fail "unhealthy bundle: HTTP $c: $(upd_msg)"
t0=$(date +%s)
upd_wait box "Wafer $VER_N1 \(x86_64\) slot B booting" 180 || fail "slot B (version $VER_N1) did not boot"
upd_wait box "Update +trial boot of slot B \(version $VER_N1\): commit pending" 60 \
	|| fail "the status screen does not show the trial"
t_b=$(date +%s)
upd_wait box "update: slot B \(version $VER_N1\) not healthy after 60 s: rolling back" 150 \
	|| fail "the trial watchdog did not end the trial"
t_wd=$(date +%s)
upd_wait box "Wafer $VER_N \(x86_64\) slot A booting" 150 || fail "no boot of slot A (version $VER_N) after the trial"
t_a=$(date +%s)
rolled_back unhealthy
t_api=$(date +%s)
log "unhealthy update: POST reply -> trial on screen $((t_b - t0)) s, -> watchdog rollback $((t_wd - t0)) s, -> slot A booting $((t_a - t0)) s, -> API reports rolled-back $((t_api - t0)) s"
pass "unhealthy $VER_N1: slot B tried, ended by init's watchdog after 60 s, back on slot A ($VER_N), API reports the failed update"

# --- 2. panic: the bootloader's tries ---
upd_mark box
c=$(upd_post panic '?reboot=1')
[ "$c" = 200 ] && [ "$(jget '["slot"]')" = B ] || fail "panic bundle: HTTP $c: $(upd_msg)"
t0=$(date +%s)
upd_wait box "Wafer $VER_N \(x86_64\) slot A booting" 400 || fail "slot A did not come back after the panics"
t_a=$(date +%s)
n=$(upd_since box | grep -ac 'Kernel panic - not syncing')
[ "$n" -eq 3 ] || fail "expected 3 kernel panics (3 tries), saw $n"
upd_since box | grep -aq 'No working init found' || fail "the panic was not the unusable /init"
rolled_back panic
t_api=$(date +%s)
log "panicking update: POST reply -> slot A booting after 3 panics $((t_a - t0)) s, -> API reports rolled-back $((t_api - t0)) s"
qemu_kill box
upd_state "$T/box.img" show A
for re in 'committed=A' 'trying=-' 'tries_left=0' 'attempted=-'; do
	grep -qx "$re" "$T/abstate.out" || { cat "$T/abstate.out"; fail "state after the report: no $re"; }
done
pass "panicking $VER_N1: 3 tries (3 panics), back on slot A ($VER_N), API reports the failed update, report then cleared from the state"
