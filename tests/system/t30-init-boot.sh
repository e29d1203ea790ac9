# t30-init-boot: the image boots on a larger disk with a broken wafer.conf:
# the status screen shows the DHCP address from QEMU's user network, the API
# URL, KVM, and the bad config lines with file:line, and the good lines still
# apply; typing on the serial console (newlines, sh, Ctrl-C, Ctrl-D, a SysRq
# break sequence) yields nothing (no echo, no prompt, no SysRq); Ctrl-Alt-Del
# is ignored by default.
. tests/system/lib.sh
. tests/system/init-lib.sh

img_copy box 512
printf 'hostname = t30box\nhostnmae = typo\nvlan = 9999\nthis line is junk\napi_port=443\n' > "$T/wafer.conf"
img_put_config "$T/box.img" "$T/wafer.conf" wafer.conf
t0=$(date +%s.%N)
qemu_start box bios
wait_log box 'slot A( via [a-z-]+)? booting' 120 || fail "no banner"
wait_log box 'IPv4 +10\.0\.2\.15/24 \(dhcp\)' 120 || fail "no DHCP address on the status screen"
t1=$(date +%s.%N)
pass "status screen shows 10.0.2.15 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after QEMU start"
wait_log box 'API +https://10\.0\.2\.15/' 10 || fail "no API URL"
wait_log box 'host t30box' 5 || fail "hostname from wafer.conf not applied"
wait_log box "wafer.conf:2: unknown key 'hostnmae'" 5 || fail "unknown key not reported with file:line"
wait_log box "wafer.conf:3: vlan: '9999' is not a number" 5 || fail "bad value not reported"
wait_log box "wafer.conf:4: expected key = value" 5 || fail "malformed line not reported"
wait_log box 'KVM +ready' 5 || fail "KVM not ready"
wait_log box 'Services +udhcpc up' 5 || fail "udhcpc not running"
wait_log box 'Storage +vda \(virtio 537 MB\), /data 4[0-9][0-9] MiB' 60 || fail "/data not grown to fill the 512 MiB disk"
pass "broken wafer.conf: booted, errors on the status screen, good keys applied"

# Type at the console: nothing may come back (input is read and discarded).
sleep 2
mark box
send_serial box '\r\n\r\nsh\r\n/bin/sh -i\r\nroot\r\n\003\004\032\034echoprobe-xyz\r\n'
send_serial box '\001b'; sleep 0.5; send_serial box 'h'     # BREAK then SysRq 'h'
send_serial box '\001b'; sleep 0.5; send_serial box 'b'     # BREAK then SysRq 'b' (reboot)
sleep 5
out=$(since_mark box)
echo "$out" | grep -aq 'echoprobe-xyz' && fail "typed text was echoed"
echo "$out" | grep -aqiE 'login:|password|sysrq|# $|\$ $|sh: |BusyBox v' && fail "console reacted: $(echo "$out" | tail -n 3)"
qemu_alive box || fail "SysRq/typing killed or rebooted the host"
[ "$(grep -ac 'Wafer [0-9][^ ]* (x86_64) slot A booting' "$T/box.log")" = 1 ] || fail "host rebooted after typing"
pass "typing on the serial console yields nothing (no echo, prompt, SysRq)"

mark box
qmp box '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"ctrl"},{"type":"qcode","data":"alt"},{"type":"qcode","data":"delete"}]}}'
sleep 6
wait_since box 'Ctrl-Alt-Del pressed at uptime [0-9]+ s: ignored' 10 || fail "Ctrl-Alt-Del did not reach init"
since_mark box | grep -aqE 'Rebooting|slot A booting' && fail "Ctrl-Alt-Del rebooted the host"
qemu_alive box || fail "Ctrl-Alt-Del stopped the host"
pass "Ctrl-Alt-Del ignored (default ctrl_alt_del = ignore)"
qemu_kill box
