# tests/system/media-lib.sh: boot the image from one bus and check that the
# host came up on its own medium (sourced after lib.sh and agent-lib.sh by the
# t13-media-* tests).
#   media_boot BUS FW [DISK_RE]   boots a 1 GiB copy of the image (development
#       CA pre-seeded in its WAFERCFG trust store) attached on BUS (disk_args in
#       lib.sh) through firmware FW (bios, uefi); checks that init found that
#       disk (kernel name matching DISK_RE), that /data is on it, that the API
#       answers with the pre-seeded CA (enrollment closed), and that
#       GET /api/v1/host names the medium's bus; prints boot-to-banner and the
#       time init waited for the medium.

# media_bus_name BUS: what GET /api/v1/host says for BUS
media_bus_name() {
	case "$1" in
	usb-*) echo usb;; nvme) echo nvme;; sata) echo sata;; sas) echo scsi;; sd) echo mmc;; virtio) echo virtio;;
	esac
}

media_boot() {
	local bus=$1 fw=$2 re=${3:-}
	local name=m-$bus-$fw
	[ -n "$re" ] || case "$bus" in
		usb-*|sata|sas) re='sd[a-z]';; nvme) re='nvme[0-9]+n1';; sd) re='mmcblk[0-9]+';; virtio) re='vd[a-z]';;
	esac
	agent_img "$name"
	local t0; t0=$(date +%s.%N)
	DISK_BUS=$bus qemu_start "$name" "$fw"
	wait_log "$name" 'slot A( via [a-z-]+)? booting' 180 || fail "$bus/$fw: no banner: the firmware did not boot the medium"
	local t1; t1=$(date +%s.%N)
	wait_log "$name" "Boot medium $re \(.*\) (found|appeared only) after [0-9]+ ms" 120 \
		|| fail "$bus/$fw: init did not find its medium"
	local line disk waited
	line=$(grep -aoE "Boot medium $re \(.*\) (found|appeared only) after [0-9]+ ms" "$T/$name.log" | head -n1)
	waited=$(echo "$line" | grep -oE '[0-9]+ ms$' | cut -d' ' -f1)
	disk=$(echo "$line" | awk '{ print $3 }')
	grep -aq 'running stateless' "$T/$name.log" && fail "$bus/$fw: ran stateless"
	wait_log "$name" "Storage +$disk \(" 60 || fail "$bus/$fw: the status screen does not name $disk"
	PORT=$(api_port "$name")
	URL=https://127.0.0.1:$PORT
	for _ in $(seq 120); do [ "$(code "$URL/api/v1/host")" = 200 ] && break; sleep 1; done
	[ "$(code "$URL/api/v1/host")" = 200 ] || fail "$bus/$fw: API did not answer with the pre-seeded CA"
	[ "$(jget '["enrollment"]')" = closed ] || fail "$bus/$fw: enrollment not closed: the trust store was not read"
	[ "$(jget '["medium"]["disk"]')" = "$disk" ] || fail "$bus/$fw: GET /host names medium $(jget '["medium"]') not $disk"
	local want; want=$(media_bus_name "$bus")
	[ "$(jget '["medium"]["bus"]')" = "$want" ] || fail "$bus/$fw: GET /host says bus $(jget '["medium"]["bus"]'), not $want"
	[ "$(jget '["medium"]["bytes"]')" = 1073741824 ] || fail "$bus/$fw: GET /host says $(jget '["medium"]["bytes"]') bytes, not 1 GiB"
	[ "$(jget '["medium"]["wait_ms"]')" = "$waited" ] || fail "$bus/$fw: wait_ms differs from the console"
	log "$bus/$fw: GET /api/v1/host medium: $(jget '["medium"]["description"]')"
	# the bootloader named the disk (wafer.medium=): init waited for exactly it
	code "$URL/api/v1/host/logs" > /dev/null
	grep -aqE 'waiting for the disk the bootloader read \(boot partition [0-9a-f-]{36}\)' "$T/body" \
		|| fail "$bus/$fw: the bootloader passed no wafer.medium= (or init ignored it)"
	pass "$bus/$fw: booted from $disk, its own config partition (CA trusted, API up); banner $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after QEMU start, init waited $waited ms for the medium"
	qemu_kill "$name"
	rm -f "$T/$name.img"
}
