# t64-flash-writes: flash friendliness. Once a host is up (agent serving,
# first-boot work done), the boot medium sees no writes at all while the API
# is in use: counted from outside, by QEMU's block statistics of the boot
# disk (monitor "info blockstats", virtio0: every write the guest issued to
# the disk, whatever the guest believes). The first boot's writes must be
# counted (else the measurement is blind). Steady state begins when the
# counters have stood still for QUIET_S (35 s). Prints the figures;
# FLASH_WATCH_S sets the watched period (45 s).
. tests/system/lib.sh

watch=${FLASH_WATCH_S:-45}
img_copy box 256      # a stick larger than the image: first boot grows the data partition
img_mkdir_config "$T/box.img" trust
img_put_config "$T/box.img" "$DEV_PKI/ca.pem" trust/dev-ca.pem
qemu_start box bios
wait_log box 'slot A booting' 120 || fail "no banner"
wait_log box 'wafer-agent up' 120 || fail "agent not up"
wait_log box 'Enrollment +closed' 60 || fail "trust store not read"
port=$(api_port box)
api() { curl -sk --max-time 10 --cert "$DEV_PKI/admin.pem" --key "$DEV_PKI/admin.key" "https://127.0.0.1:$port$1"; }
for i in $(seq 30); do api /api/v1/host > "$T/host.json" 2>/dev/null && grep -q '"version"' "$T/host.json" && break; sleep 1; done
grep -q '"version"' "$T/host.json" || fail "API does not answer: $(head -c 300 "$T/host.json")"
# First-boot work (data partition growth, identity, the agent's folders)
# reaches the medium late: ext4 commits its journal every 5 s and the kernel
# writes dirty pages and metadata back after 30 s (dirty_expire). Steady state
# starts once the counters have not moved for QUIET_S (35 s: one expiry plus
# one commit), at most SETTLE_MAX_S after the API answered.
quiet=${QUIET_S:-35} settle_max=${SETTLE_MAX_S:-180}
t_start=$(date +%s)
read -r b0 o0 < <(disk_written box)
t_same=$t_start
while :; do
	sleep 5
	read -r b o < <(disk_written box)
	now=$(date +%s)
	if [ "$b" != "$b0" ] || [ "$o" != "$o0" ]; then b0=$b o0=$o t_same=$now; fi
	[ $((now - t_same)) -ge "$quiet" ] && break
	[ $((now - t_start)) -ge "$settle_max" ] && fail "the boot medium was still being written ${settle_max}s after the API answered ($b0 bytes in $o0 writes so far)"
done
log "first-boot writes settled $((t_same - t_start))s after the API answered"
log "boot medium written so far (boot + first-boot work): $b0 bytes in $o0 writes"
# The counter must see the first boot's writes (GPT and data partition growth).
[ "$b0" -gt 0 ] || fail "QEMU counted no write at all during the first boot: the measurement is blind"
t_end=$(( $(date +%s) + watch )) calls=0
while [ "$(date +%s)" -lt $t_end ]; do
	api /api/v1/host > /dev/null && calls=$((calls + 1))
	api /metrics > /dev/null && calls=$((calls + 1))
	api /api/v1/vms > /dev/null && calls=$((calls + 1))
	sleep 1
done
read -r b1 o1 < <(disk_written box)
[ $calls -gt 0 ] || fail "no API call succeeded during the watch"
log "steady state over ${watch}s with $calls API calls: $((b1 - b0)) bytes in $((o1 - o0)) writes"
[ "$b1" -eq "$b0" ] && [ "$o1" -eq "$o0" ] || fail "the boot medium was written in steady state: $((b1 - b0)) bytes in $((o1 - o0)) writes"
pass "no writes to the boot medium in ${watch}s of steady state with $calls API calls (boot + first boot: $b0 bytes)"
qemu_kill box
