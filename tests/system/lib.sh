# tests/system/lib.sh: helpers for system tests that boot Wafer in QEMU.
# Sourced by tests/system/t*.sh, which run from the repository root:
#   . tests/system/lib.sh
#   img_copy box
#   qemu_start box bios
#   wait_log box 'slot A booting' 60 || fail "no banner"
#   pass "banner seen"
# Every QEMU started here is killed when the test exits. $T is the test's
# scratch folder; its logs are kept under $B/test-logs/<test>/ on failure.
set -u

B=${B:-build/x86_64}
. image/layout.sh
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/wafer-$TEST_NAME.XXXXXX")
IMAGE=${IMAGE:-$B/wafer-x86_64.img}
PXE_DIR=$B/pxe
DEV_PKI=$B/dev-pki
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_MEM=${QEMU_MEM:-2048}
# One vCPU: with two, QEMU's multi-threaded TCG races the outer kernel's live
# text patching (an int3 oops and panic when the first VM starts: KVM flips
# the preempt-notifier static key inside __schedule) and hangs or triple-faults
# nested guests now and then. docs/vmm.md, "Testing under nested TCG".
QEMU_SMP=${QEMU_SMP:-1}
_failed=0

log()  { echo "[$TEST_NAME $(date +%T)] $*"; }
pass() { echo "ok: $TEST_NAME: $*"; }
fail() { echo "FAIL: $TEST_NAME: $*"; _failed=1; exit 1; }

_cleanup() {
	local rc=$?
	for p in "$T"/*.pid; do
		[ -f "$p" ] || continue
		kill "$(cat "$p")" 2>/dev/null; sleep 0.2; kill -9 "$(cat "$p")" 2>/dev/null
	done
	if [ $rc -ne 0 ] || [ $_failed -ne 0 ]; then
		mkdir -p "$B/test-logs/$TEST_NAME"
		cp "$T"/*.log "$B/test-logs/$TEST_NAME/" 2>/dev/null
		echo "  logs kept in $B/test-logs/$TEST_NAME/"
	fi
	rm -rf "$T"
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
	done
}

# img_copy NAME [SIZE_MIB]: a private copy of the image as $T/NAME.img,
# optionally made larger (as if written to a bigger USB stick).
img_copy() {
	cp "$IMAGE" "$T/$1.img" || fail "cannot copy $IMAGE"
	[ -z "${2:-}" ] || truncate -s "${2}M" "$T/$1.img"
}

# Offset in MiB of the config partition (image/layout.sh).
_cfg_off() { echo $((WAFER_ALIGN_MIB + WAFER_BIOSBOOT_MIB + WAFER_BOOT_MIB)); }
_boot_off() { echo $((WAFER_ALIGN_MIB + WAFER_BIOSBOOT_MIB)); }
# img_put_config IMG FILE DEST: write FILE into the config partition as DEST.
img_put_config() { mcopy -o -i "$1@@$(_cfg_off)M" "$2" "::/$3" || fail "mcopy into $1 failed"; }
# img_get_config IMG SRC OUT: read a file of the config partition.
img_get_config() { mcopy -o -i "$1@@$(_cfg_off)M" "::/$2" "$3"; }
img_mkdir_config() { mmd -i "$1@@$(_cfg_off)M" "::/$2" 2>/dev/null || true; }
# img_get_boot IMG SRC OUT / img_put_boot IMG FILE DEST: the boot partition.
img_get_boot() { mcopy -o -i "$1@@$(_boot_off)M" "::/$2" "$3"; }
img_put_boot() { mcopy -o -i "$1@@$(_boot_off)M" "$2" "::/$3" || fail "mcopy into $1 failed"; }

# overlay_cpio DIR OUT: DIR as a root-owned newc cpio (to append to an initramfs).
overlay_cpio() { scripts/mk-cpio "$1" > "$2" || fail "cannot pack $1"; }

# qemu_start NAME FIRMWARE [extra qemu args...]
#   FIRMWARE: bios | uefi | uboot | pxe. Boots $T/NAME.img (if it exists) as a
#   virtio disk. The serial console is logged to $T/NAME.log; send_serial types
#   on it. The API (port 443) is forwarded to 127.0.0.1:$(api_port NAME);
#   QEMU_NET_EXTRA adds to the user network (",hostfwd=...").
qemu_start() {
	local name=$1 fw=$2; shift 2
	local port; port=$(free_port); echo "$port" > "$T/$name.port"
	local machine="-machine q35" fwargs=() net="user,id=n0,hostfwd=tcp:127.0.0.1:$port-:443${QEMU_NET_EXTRA:-}"
	case "$fw" in
	bios) ;;
	uefi) cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/$name.vars"
	      fwargs=(-drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.fd,readonly=on
	              -drive if=pflash,format=raw,unit=1,file="$T/$name.vars");;
	uboot) machine="-machine pc"   # Debian's qemu-x86_64 U-Boot is built for the i440FX board
	       fwargs=(-bios "$B/deps/root/usr/lib/u-boot/qemu-x86_64/u-boot.rom");;
	pxe) net="$net,tftp=$PXE_DIR,bootfile=boot.ipxe"; fwargs=(-boot n);;
	direct) ;;
	*) fail "qemu_start: unknown firmware '$fw'";;
	esac
	local disk=()
	[ -f "$T/$name.img" ] && disk=($(disk_args "${DISK_BUS:-virtio}" "$T/$name.img"))
	rm -f "$T/$name.in"; mkfifo "$T/$name.in"
	# Hold the console's input open for the whole run (fd per VM via eval).
	$QEMU $machine -cpu max,+svm -m "$QEMU_MEM" -smp "$QEMU_SMP" -display none -serial mon:stdio \
		-netdev "$net" -device virtio-net-pci,netdev=n0 \
		-qmp "unix:$T/$name.qmp,server=on,wait=off" \
		"${fwargs[@]}" "${disk[@]}" "$@" < "$T/$name.in" > "$T/$name.log" 2>&1 &
	disown $! 2>/dev/null || true
	echo $! > "$T/$name.pid"
	exec {_fd}>"$T/$name.in"
	echo "$_fd" > "$T/$name.infd"
}

# disk_args BUS FILE: QEMU arguments that attach FILE as the boot disk on BUS
# (qemu_start uses DISK_BUS, default virtio): virtio, usb-xhci, usb-ehci,
# usb-uas (USB attached SCSI, on EHCI: SeaBIOS 1.16 cannot boot a superspeed
# UAS device, "Superspeed UAS devices not supported (yet)"), nvme, sata (q35's AHCI), sas (an LSI
# MegaRAID SAS HBA), sd (an SD card on an SDHCI PCI controller; QEMU wants a
# power-of-two card size).
disk_args() {
	local d="if=none,id=medium,file=$2,format=raw,cache=unsafe"
	case "$1" in
	virtio)   echo "-drive file=$2,format=raw,if=virtio,cache=unsafe";;
	usb-xhci) echo "-device qemu-xhci,id=xhci -drive $d -device usb-storage,bus=xhci.0,drive=medium,removable=on,bootindex=1";;
	usb-ehci) echo "-device usb-ehci,id=ehci -drive $d -device usb-storage,bus=ehci.0,drive=medium,removable=on,bootindex=1";;
	usb-uas)  echo "-device usb-ehci,id=ehci -device usb-uas,id=uas,bus=ehci.0 -drive $d -device scsi-hd,bus=uas.0,scsi-id=0,lun=0,drive=medium,bootindex=1";;
	nvme)     echo "-drive $d -device nvme,drive=medium,serial=WAFER0001,bootindex=1";;
	sata)     echo "-drive $d -device ide-hd,drive=medium,bus=ide.0,model=WaferSATA,bootindex=1";;
	sas)      echo "-device megasas-gen2,id=sas -drive $d -device scsi-hd,drive=medium,bus=sas.0,bootindex=1";;
	sd)       echo "-device sdhci-pci -drive $d -device sd-card,drive=medium";;
	*) fail "disk_args: unknown bus '$1'";;
	esac
}

# qemu_direct NAME INITRD APPEND [extra qemu args...]: boots the appliance's
# kernel directly (no firmware boot menu) with the given initrd and command line.
qemu_direct() {
	local name=$1 initrd=$2 append=$3; shift 3
	qemu_start "$name" direct -kernel "$PXE_DIR/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0,115200 $append" "$@"
}

api_port() { cat "$T/$1.port"; }
qemu_pid() { cat "$T/$1.pid"; }
qemu_alive() { kill -0 "$(qemu_pid "$1")" 2>/dev/null; }

# wait_log NAME REGEX SECONDS: wait until the console log matches REGEX
# (extended regex). Fails fast if QEMU exits first.
wait_log() {
	local name=$1 re=$2 secs=$3 i=0
	while [ $i -lt $((secs * 4)) ]; do
		grep -aqE "$re" "$T/$name.log" 2>/dev/null && return 0
		qemu_alive "$name" || { grep -aqE "$re" "$T/$name.log" && return 0; log "QEMU $name exited"; tail -n 15 "$T/$name.log"; return 1; }
		sleep 0.25; i=$((i + 1))
	done
	log "timeout after ${secs}s waiting for /$re/ on $name; last lines:"
	tail -n 15 "$T/$name.log" | cut -c1-200
	return 1
}

# wait_exit NAME SECONDS: wait for QEMU to exit by itself.
wait_exit() {
	local i=0
	while [ $i -lt $(($2 * 4)) ]; do qemu_alive "$1" || return 0; sleep 0.25; i=$((i + 1)); done
	return 1
}

# send_serial NAME STRING: type STRING (printf %b escapes) on the serial console.
# Ctrl-A is QEMU's escape: "\001b" sends a BREAK (SysRq on Linux), "\001\001" a Ctrl-A.
send_serial() { local fd; fd=$(cat "$T/$1.infd"); printf '%b' "$2" >&"$fd"; }

# qmp NAME JSON: one QMP command (e.g. '{"execute":"system_powerdown"}').
qmp() {
	printf '{"execute":"qmp_capabilities"}\n%s\n' "$2" | timeout 5 socat - "UNIX-CONNECT:$T/$1.qmp" >/dev/null 2>&1
}

# disk_written NAME: "BYTES OPS" QEMU counted as written to the boot disk
# (virtio0) so far, from its block statistics.
disk_written() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"human-monitor-command","arguments":{"command-line":"info blockstats"}}\n' |
		timeout 5 socat -t 2 - "UNIX-CONNECT:$T/$1.qmp" 2>/dev/null > "$T/qmp-stats.out"
	local line
	line=$(grep -o 'virtio0: [^\\]*' "$T/qmp-stats.out" | head -n1)
	[[ "$line" =~ wr_bytes=([0-9]+).*wr_operations=([0-9]+) ]] \
		|| fail "no block statistics for virtio0 from QEMU: $(head -c 300 "$T/qmp-stats.out")"
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

# qemu_kill NAME: pull the plug.
qemu_kill() { kill -9 "$(qemu_pid "$1")" 2>/dev/null; sleep 0.3; rm -f "$T/$1.pid"; }
