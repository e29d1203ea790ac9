# t65-update: updates through the API (docs/updates.md), on a host booted by
# GRUB (PC BIOS) from a 1 GiB disk, update_grace = 10 in wafer.conf.
#  1. GET /api/v1/host/update on a fresh host: steady on slot A, version N.
#     On every boot wafer-init checks the config and boot partitions with
#     fsck.fat: the first boot's host log shows both clean (times printed).
#  2. Refused bundles (update-lib.sh): bad signature, foreign key, truncated
#     (400), another board, an older version (422), no Content-Length (400):
#     a clear message each, the host keeps serving, and the boot disk
#     receives 0 bytes (QEMU's block statistics; a truncated upload is caught
#     by its Content-Length before the ESP is mounted).
#  3. Version N+1 with ?reboot=1: the host reboots into slot B, version N+1,
#     init shows the trial, the agent reports outcome trying, then commits
#     after the grace period (GET /api/v1/host shows N+1 on slot B).
#  4. Power cut right after a second update's reply (?force=1, try state
#     written): the host boots the tried slot A and commits it. Before that
#     boot the test damages the boot partition on purpose (esp_damage: a lost
#     cluster chain and the dirty bit): init repairs it at boot, the agent
#     checks it again before its read-write mount for the commit and removes
#     the FSCK0000.REC file the repair kept; the host log shows all three.
#  5. Power cut: QEMU killed while a third upload writes slot B; the host
#     boots the committed slot A again (init's check of the boot partition
#     printed) and the next upload is accepted (slot B, try state set).
# Prints: POST time, bytes one update writes to the boot disk, reboot-to-commit
# time, fsck.fat times at boot.
. tests/system/lib.sh
. tests/system/update-lib.sh
. tests/system/agent-lib.sh

GRACE=10

# esp_damage IMG: what a power cut between the FAT and the folder-entry writes
# can leave on the boot partition: a lost cluster chain (the last 4 free
# clusters in a row linked in both FATs, no file pointing at them) and the volume's
# dirty bit (FAT32 boot sector byte 0x41). A lost chain rather than the dirty
# bit alone: fsck.fat then has to change the FAT itself, and it keeps the
# chain as FSCK0000.REC, which the agent must clean up.
esp_damage() {
	python3 - "$1" $(( $(_boot_off) * 1048576 )) <<'EOF2' || fail "cannot damage the boot partition of $1"
import struct, sys
img, off = sys.argv[1], int(sys.argv[2])
with open(img, 'r+b') as f:
    f.seek(off); bs = f.read(512)
    bps, = struct.unpack_from('<H', bs, 11); spc = bs[13]
    res, = struct.unpack_from('<H', bs, 14); nfats = bs[16]
    fatsz, = struct.unpack_from('<I', bs, 36); tot, = struct.unpack_from('<I', bs, 32)
    assert fatsz > 0 and bs[82:87] == b'FAT32', 'not FAT32'
    end = (tot - res - nfats * fatsz) // spc + 2
    f.seek(off + res * bps); fat = f.read(4 * end)
    free = [c for c in range(end - 4, 1, -1) if fat[4 * c:4 * c + 16] == bytes(16)]
    assert free, 'no 4 free clusters in a row'
    first = free[0]
    for n in range(nfats):
        base = off + (res + n * fatsz) * bps
        for c in range(first, first + 4):
            f.seek(base + 4 * c); f.write(struct.pack('<I', c + 1 if c < first + 3 else 0x0FFFFFFF))
    f.seek(off + 0x41); b = f.read(1)[0]; f.seek(off + 0x41); f.write(bytes([b | 1]))
EOF2
}

upd_build_all
agent_img box
upd_conf "$T/box.img" "update_grace = $GRACE"
agent_boot box

# --- 1. a fresh host ---
upd_status 'stateless=false' 'boot=grub-bios' 'running_slot=A' "running_version=$VER_N" 'committed=A' \
	'trying=' 'outcome=steady' "slots.A.version=$VER_N" 'last_update=null' "health.grace_s=$GRACE" \
	|| fail "fresh host: unexpected update status"
pass "fresh host: steady on slot A, version $VER_N, no update history"
code "$URL/api/v1/host/logs" > /dev/null
cfg_ms=$(grep -oE 'medium: WAFERCFG checked in [0-9]+ ms: [^ ]+: clean' "$T/body" | grep -oE '[0-9]+ ms' | head -n1)
esp_ms=$(grep -oE 'medium: WAFERBOOT checked in [0-9]+ ms: [^ ]+: clean' "$T/body" | grep -oE '[0-9]+ ms' | head -n1)
[ -n "$cfg_ms" ] && [ -n "$esp_ms" ] || fail "no clean fsck.fat check of WAFERCFG and WAFERBOOT in the host log: $(grep -E 'WAFERCFG|WAFERBOOT|fsck' "$T/body" | head -5)"
log "boot-time fsck.fat under QEMU TCG: config partition (4 MiB) $cfg_ms, boot partition (46 MiB) $esp_ms"
pass "boot: wafer-init checked the config and boot partitions (clean)"

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
esp_damage "$T/box.img"
agent_boot box
wait_log box "Wafer $VER_N1 \(x86_64\) slot A booting" 30 || fail "after the power cut: slot A (the try) did not boot"
upd_wait_status $((GRACE + 120)) 'running_slot=A' 'committed=A' 'trying=' 'outcome=steady' 'last_update.result=committed' \
	|| fail "after the power cut: slot A not committed"
pass "power cut right after the try state was written: the host boots the tried slot A ($VER_N1) and commits it"
code "$URL/api/v1/host/logs" > /dev/null
rep=$(grep -oE 'medium: WAFERBOOT was inconsistent .*repaired in [0-9]+ ms: .*' "$T/body" | head -n1)
[ -n "$rep" ] || fail "no repair of the damaged boot partition in the host log: $(grep -E 'WAFERBOOT|fsck' "$T/body" | head -5)"
echo "$rep" | grep -q 'Reclaimed 4 unused clusters' && echo "$rep" | grep -q 'Dirty bit is set' \
	|| fail "the repair does not mention the lost chain and the dirty bit: $rep"
log "init at boot: $rep"
grep -qE 'boot partition checked in [0-9]+ ms: /dev/[a-z0-9]+: clean' "$T/body" \
	|| fail "no check by the agent before its read-write mount (commit): $(grep 'boot partition' "$T/body" | head -5)"
grep -qE 'boot partition: removed FSCK0000.REC \([0-9]+ bytes' "$T/body" \
	|| fail "the agent did not remove the FSCK0000.REC the repair kept: $(grep 'boot partition' "$T/body" | head -5)"
pass "damaged boot partition (lost chain, dirty bit): init repaired it at boot, the agent checked it before the commit and removed FSCK0000.REC"

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
# The cut left the boot partition dirty (mounted read-write) and a .new file
# whose clusters were allocated before the data streamed (lib/update_slot);
# init's check at boot repairs what needs it, and the agent checks again
# before it mounts the partition read-write: the upload is accepted.
code "$URL/api/v1/host/logs" > /dev/null
cutcheck=$(grep -oE 'medium: WAFERBOOT (checked in|was inconsistent).*' "$T/body" | head -n1)
[ -n "$cutcheck" ] || fail "no check of the boot partition in the host log after the power cut"
log "after the cut, init's check: $cutcheck"
c=$(upd_post n1 '?force=1')
[ "$c" = 200 ] || fail "after the power cut, the update: HTTP $c: $(upd_msg)"
[ "$(jget '["slot"]')" = B ] || fail "after the power cut, the update went to slot $(jget '["slot"]')"
upd_status 'committed=A' 'trying=B' 'outcome=pending' "slots.B.version=$VER_N1" || fail "after the re-upload: state"
code "$URL/api/v1/host/logs" > /dev/null
agentcheck=$(grep -oE 'boot partition (checked in|was inconsistent).*' "$T/body" | tail -n1)
[ -n "$agentcheck" ] || fail "no check by the agent before the re-upload's read-write mount"
log "the re-upload's check by the agent: $agentcheck"
pass "after the power cut the host accepts the update again (slot B, try state set)"
