# t65-update: updates through the API (docs/updates.md), on a host booted by
# GRUB (PC BIOS) from a 1 GiB disk, update_grace = 10 in wafer.conf.
#  1. GET /api/v1/host/update on a fresh host: steady on slot A, version N.
#  2. Refused bundles (update-lib.sh): bad signature, foreign key, truncated
#     (400), another board, an older version (422), no Content-Length (400):
#     a clear message each, the host keeps serving, and the boot disk
#     receives 0 bytes (QEMU's block statistics; a truncated upload is caught
#     by its Content-Length before the ESP is mounted).
#  3. Version N+1 with ?reboot=1: the host reboots into slot B, version N+1,
#     init shows the trial, the agent reports outcome trying, then commits
#     after the grace period (GET /api/v1/host shows N+1 on slot B).
#  4. Power cut right after a second update's reply (?force=1, try state
#     written): the host boots the tried slot A and commits it.
#  5. Power cut: QEMU killed while a third upload writes slot B; the host
#     boots the committed slot A again; the next upload is accepted, or
#     refused with a clear reason when the cut left the FAT inconsistent.
# Prints: POST time, bytes one update writes to the boot disk, reboot-to-commit time.
. tests/system/lib.sh
. tests/system/update-lib.sh
. tests/system/agent-lib.sh

GRACE=10
upd_build_all
agent_img box
upd_conf "$T/box.img" "update_grace = $GRACE"
agent_boot box

# --- 1. a fresh host ---
upd_status 'stateless=false' 'boot=grub-bios' 'running_slot=A' "running_version=$VER_N" 'committed=A' \
	'trying=' 'outcome=steady' "slots.A.version=$VER_N" 'last_update=null' "health.grace_s=$GRACE" \
	|| fail "fresh host: unexpected update status"
pass "fresh host: steady on slot A, version $VER_N, no update history"

# --- 2. refused bundles ---
refuse() { # NAME HTTP_CODE MESSAGE_REGEX [zero]
	local name=$1 want=$2 re=$3 b0 o0 b1 o1 c m
	read -r b0 o0 < <(disk_written box)
	c=$(upd_post "$name")
	[ -s "$T/body" ] || fail "$name bundle: HTTP $c without a reply body (connection reset before the reply was read?)"
	m=$(upd_msg)
	[ "$c" = "$want" ] || fail "$name bundle: HTTP $c (want $want): $m"
	echo "$m" | grep -qE "$re" || fail "$name bundle: message '$m' does not match /$re/"
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "$name bundle: the host stopped answering"
	read -r b1 o1 < <(disk_written box)
	log "$name: HTTP $c '$m'; boot disk written: $((b1 - b0)) bytes in $((o1 - o0)) writes"
	[ "${4:-}" != zero ] || [ "$b1" -eq "$b0" ] || fail "$name bundle: $((b1 - b0)) bytes written to the boot disk"
}
refuse badsig 400 'bad signature' zero
refuse foreignkey 400 'signed by another key' zero
refuse board 422 "board 'arm64'" zero
refuse older 422 "$VER_OLD" zero
refuse truncated 400 'truncated' zero
c=$(curl -sk -m 60 -o "$T/body" -w '%{http_code}' "${A[@]}" -H 'Transfer-Encoding: chunked' \
	--data-binary "@$T/older.update" "$URL/api/v1/host/update" 2>/dev/null)
[ "$c" = 400 ] && upd_msg | grep -q 'Content-Length' || fail "chunked upload: HTTP $c: $(upd_msg)"
upd_status 'committed=A' 'trying=' 'outcome=steady' 'updating=false' || fail "state changed by a refused bundle"
pass "refused: bad signature, foreign key, truncated, no Content-Length (400), other board, older (422); nothing written to the boot disk; host serving"

# --- 3. N+1 with reboot ---
read -r b0 o0 < <(disk_written box)
t0=$(date +%s.%N)
c=$(upd_post n1 '?reboot=1')
t1=$(date +%s.%N)
read -r b1 o1 < <(disk_written box)
[ "$c" = 200 ] || fail "N+1 update: HTTP $c: $(upd_msg)"
for k in '["slot"]=B' "[\"version\"]=$VER_N1" "[\"previous_version\"]=$VER_N" "[\"bytes\"]=$(stat -c %s "$T/n1.update")" \
	'["reboot"]=True' '["outcome"]=pending'; do
	[ "$(jget "${k%%=*}")" = "${k#*=}" ] || fail "N+1 update reply: ${k%%=*} is '$(jget "${k%%=*}")', want '${k#*=}': $(head -c 300 "$T/body")"
done
post_s=$(echo "$t1 - $t0" | bc)
log "N+1 update: POST of $(stat -c %s "$T/n1.update") bytes took ${post_s} s (agent: written_ms=$(jget '["written_ms"]')); boot disk written: $((b1 - b0)) bytes in $((o1 - o0)) writes"
[ $((b1 - b0)) -ge "$(stat -c %s "$T/n1.update")" ] || fail "the update wrote only $((b1 - b0)) bytes to the boot disk"
wait_log box "Wafer $VER_N1 \(x86_64\) slot B booting" 180 || fail "no boot of slot B (version $VER_N1)"
wait_log box "Update +trial boot of slot B \(version $VER_N1\): commit pending" 60 || fail "init does not show the trial"
seen_trying=0 t_end=$(( $(date +%s) + 60 + GRACE + 120 ))
while [ "$(date +%s)" -lt $t_end ]; do
	if upd_status 'running_slot=B' >/dev/null 2>&1; then
		upd_status 'outcome=trying' >/dev/null 2>&1 && seen_trying=1
		upd_status 'outcome=steady' 'committed=B' >/dev/null 2>&1 && break
	fi
	sleep 0.25
done
t2=$(date +%s.%N)
[ $seen_trying = 1 ] || fail "never saw outcome trying on slot B"
upd_status 'running_slot=B' "running_version=$VER_N1" 'committed=B' 'trying=' 'outcome=steady' \
	"slots.B.version=$VER_N1" "slots.A.version=$VER_N" 'last_update.result=committed' "last_update.version=$VER_N1" \
	|| fail "slot B not committed"
code "$URL/api/v1/host" > /dev/null
[ "$(jget '["version"]')" = "$VER_N1" ] && [ "$(jget '["slot"]')" = B ] || fail "GET /api/v1/host: $(head -c 300 "$T/body")"
read -r b2 o2 < <(disk_written box)
log "N+1 update: POST reply -> committed (reboot, health, grace $GRACE s): $(echo "$t2 - $t1" | bc) s; agent: committed_after_s=$(upd_status >/dev/null; grep '^health.committed_after_s=' "$T/upd.kv" | cut -d= -f2)"
log "boot disk written from the POST to the commit (slot files, try, reboot, first boot of B, commit): $((b2 - b0)) bytes in $((o2 - o0)) writes"
pass "N+1: POST ?reboot=1 -> slot B booted version $VER_N1 (trial on init's screen), outcome trying, then committed"

# --- 4. power cut right after the try state was set (the reply just came) ---
c=$(upd_post n1 '?force=1')
[ "$c" = 200 ] && [ "$(jget '["slot"]')" = A ] || fail "second update (slot A): HTTP $c: $(upd_msg)"
upd_status 'committed=B' 'trying=A' 'outcome=pending' "slots.A.version=$VER_N1" || fail "after the second update: state"
qemu_kill box
: > "$T/box.log"
agent_boot box
wait_log box "Wafer $VER_N1 \(x86_64\) slot A booting" 30 || fail "after the power cut: slot A (the try) did not boot"
upd_wait_status $((GRACE + 120)) 'running_slot=A' 'committed=A' 'trying=' 'outcome=steady' 'last_update.result=committed' \
	|| fail "after the power cut: slot A not committed"
pass "power cut right after the try state was written: the host boots the tried slot A ($VER_N1) and commits it"

# --- 5. power cut while writing slot B ---
read -r b0 o0 < <(disk_written box)
upd_post n1 '?force=1' > "$T/cut.code" &
cut=0
for _ in $(seq 600); do
	read -r b1 o1 < <(disk_written box)
	[ $((b1 - b0)) -gt 4000000 ] && { cut=1; break; }
	sleep 0.1
done
[ $cut = 1 ] || fail "the third upload never started writing (QEMU counted $((b1 - b0)) bytes)"
qemu_kill box
log "power cut after $((b1 - b0)) bytes written of the third upload"
wait
: > "$T/box.log"
agent_boot box
wait_log box "Wafer $VER_N1 \(x86_64\) slot A booting" 30 || fail "after the power cut: not slot A, version $VER_N1"
upd_status 'running_slot=A' "running_version=$VER_N1" 'committed=A' 'trying=' 'outcome=steady' \
	|| fail "after the power cut: state"
pass "power cut while writing slot B: the host boots the committed slot A ($VER_N1) and serves"
# The cut can leave the boot partition's FAT inconsistent around the
# half-written file; the kernel then sets the partition read-only when the
# agent deletes that file, and the update is refused with that reason (no FAT
# repair in the image yet: docs/updates.md, "Power cuts"). Either outcome is
# reported; a hang, a crash or a wrong state fails.
c=$(upd_post n1 '?force=1')
if [ "$c" = 200 ]; then
	[ "$(jget '["slot"]')" = B ] || fail "after the power cut, the update went to slot $(jget '["slot"]')"
	upd_status 'committed=A' 'trying=B' 'outcome=pending' "slots.B.version=$VER_N1" || fail "after the re-upload: state"
	pass "after the power cut the host accepts the update again (slot B)"
else
	m=$(upd_msg)
	[ "$c" = 500 ] && echo "$m" | grep -q 'Read-only file system' || fail "after the power cut, the update: HTTP $c: $m"
	upd_status 'committed=A' 'trying=' 'outcome=steady' || fail "after the refused re-upload: state"
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "the host stopped answering after the refused re-upload"
	log "KNOWN WEAKNESS: after the power cut the boot partition's FAT needs repair: update refused (HTTP 500: $m); host still on slot A, serving"
	pass "after the power cut the update is refused with a clear reason, state unchanged, host serving"
fi
