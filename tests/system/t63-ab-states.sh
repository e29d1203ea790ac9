# t63-ab-states: the A/B state files as lib/abstate writes them (through
# wafer-abstate, the agent's code on the build machine) are understood by the
# real bootloaders, and the state machine of docs/updates.md runs end to end:
# a signed bundle's parts go into slot B, a try boots slot B (wafer-init's
# banner), each boot uses a try, a try that runs out falls back to A and reads
# as "rolled-back", a commit makes B the slot that boots. GRUB (PC BIOS) and
# U-Boot. Intermediate boots stop at the bootloader's "Wafer: booting slot X"
# line, printed after it saved the state.
. tests/system/lib.sh

AB=$B/bin/host/wafer-abstate
SIGN=$B/bin/host/wafer-sign
BUNDLE=$B/wafer-x86_64-$(cat VERSION).update
for f in "$AB" "$SIGN" "$BUNDLE"; do [ -e "$f" ] || fail "$f missing (make image host-tools)"; done

# The bundle, verified and unpacked the way the agent streams it, into slot B.
mkdir -p "$T/slot"
"$SIGN" verify --pub "$B/release/release.pub.pem" --board x86_64 --extract "$T/slot" "$BUNDLE" > "$T/verify.log" \
	|| fail "bundle did not verify"
img_copy box
img_put_boot "$T/box.img" "$T/slot/vmlinuz" B/vmlinuz
img_put_boot "$T/box.img" "$T/slot/initramfs.img" B/initramfs.img

# state FMT CMD...: run wafer-abstate on the image's state file (copied out and back).
state() {
	local fmt=$1 file; shift
	[ "$fmt" = grub ] && file=grub/grubenv || file=uboot-ab.env
	img_get_boot "$T/box.img" "$file" "$T/state" || fail "cannot read $file"
	"$AB" "$fmt" "$T/state" "$@" > "$T/state.out" 2>&1 || { cat "$T/state.out"; fail "wafer-abstate $fmt $* failed"; }
	[ "$1" = show ] || img_put_boot "$T/box.img" "$T/state" "$file"
}
expect_state() { # FMT RUNNING REGEX...: every REGEX matches the state shown
	local fmt=$1 run=$2 re; shift 2
	state "$fmt" show "$run"
	for re in "$@"; do grep -qxE "$re" "$T/state.out" || { cat "$T/state.out"; fail "$fmt state: no /$re/"; }; done
}
# boot_to FW SLOT [full]: boot, wait for the bootloader's choice (or init's banner), pull the plug.
n=0
boot_to() {
	n=$((n + 1))
	qemu_start "b$n" "$1" -drive "file=$T/box.img,format=raw,if=virtio,cache=unsafe"
	if [ "${3:-}" = full ]; then
		wait_log "b$n" "slot $2( via [a-z-]+)? +(host|booting)" 150 || fail "$1 boot $n: no banner for slot $2"
	else
		wait_log "b$n" "Wafer: booting slot [AB]" 60 || fail "$1 boot $n: bootloader chose no slot"
		grep -aq "Wafer: booting slot $2" "$T/b$n.log" || fail "$1 boot $n: $(grep -ao 'Wafer: booting slot [AB]' "$T/b$n.log"), expected slot $2"
	fi
	qemu_kill "b$n"
}

# --- GRUB (PC BIOS): try, three boots of B, rollback to A ---
state grub try B 3 "$(cat VERSION)"
boot_to bios B full
expect_state grub B 'trying=B' 'tries_left=2' 'outcome=trying'
boot_to bios B
boot_to bios B
expect_state grub B 'tries_left=0' 'outcome=trying'
boot_to bios A
expect_state grub A 'committed=A' 'trying=-' 'attempted=B' 'outcome=rolled-back'
pass "GRUB: slot B tried 3 times (booted to wafer-init), then back on A, seen as rolled-back"
state grub forget
state grub try B 3 "$(cat VERSION)"
boot_to bios B
state grub commit B
boot_to bios B
expect_state grub B 'committed=B' 'trying=-' 'tries_left=0' 'outcome=steady'
pass "GRUB: commit makes B the committed slot"

# --- U-Boot: the same file format questions on its text environment ---
state uboot try B 2 "$(cat VERSION)"
boot_to uboot B
# U-Boot rewrote the file (env export): the agent's keys must survive that.
expect_state uboot B 'committed=A' 'trying=B' 'tries_left=1' 'outcome=trying' 'attempted=B' \
	"attempted_version=$(cat VERSION)"
boot_to uboot B
boot_to uboot A
expect_state uboot A 'committed=A' 'trying=-' 'tries_left=0' 'attempted=B' 'outcome=rolled-back'
state uboot try B 1 "$(cat VERSION)"
boot_to uboot B
state uboot commit B
boot_to uboot B
expect_state uboot B 'committed=B' 'trying=-'
pass "U-Boot: try (agent keys kept by env export), fall back after the tries (rolled-back), commit"
