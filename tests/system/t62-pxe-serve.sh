# t62-pxe-serve: scripts/pxe-serve for real, inside a private network
# namespace: it refuses an interface that carries the default route (and
# leaves that route alone), serves iPXE over TFTP and the boot files over HTTP,
# and a QEMU host on a tap in the namespace boots Wafer from it through DHCP
# (QEMU's NIC ROM is iPXE: DHCP option 175 -> boot.ipxe over HTTP).
. tests/system/lib.sh

ns=wafer-t62-$$
serve_pid=""
ns_cleanup() {
	[ -z "$serve_pid" ] || { kill "$serve_pid" 2>/dev/null; sleep 0.5; kill -9 "$serve_pid" 2>/dev/null; }
	[ ! -f "$T/farm.pid" ] || { kill -9 "$(cat "$T/farm.pid")" 2>/dev/null; rm -f "$T/farm.pid"; }
	ip netns del "$ns" 2>/dev/null
}
trap '_rc=$?; ns_cleanup; (exit $_rc); _cleanup' EXIT
ip netns add "$ns" 2>/dev/null || { log "cannot create network namespaces here: skipped"; exit 0; }
nsx() { ip netns exec "$ns" "$@"; }

# An interface with the default route is refused, and the route stays.
nsx ip link set lo up
nsx ip link add up0 type veth peer name up1
nsx ip addr add 10.88.0.1/24 dev up0
nsx ip link set up0 up
nsx ip link set up1 up
nsx ip route add default via 10.88.0.254 dev up0
if nsx scripts/pxe-serve up0 > "$T/refuse.log" 2>&1; then fail "pxe-serve served on the default route's interface"; fi
grep -q 'carries the default route' "$T/refuse.log" || { cat "$T/refuse.log"; fail "no clear refusal"; }
nsx ip -4 route show default | grep -q '^default via 10\.88\.0\.254 dev up0' || fail "default route changed"
nsx ip -4 addr show dev up0 | grep -q 'inet 10\.88\.0\.1/24' || fail "up0's address changed"
if nsx scripts/pxe-serve nosuch0 > "$T/refuse.log" 2>&1; then fail "pxe-serve accepted a missing interface"; fi
grep -q 'no such interface' "$T/refuse.log" || fail "no clear error for a missing interface"
pass "default-route interface and missing interface refused; default route untouched"

# The test network: a bridge with the server, a tap for the QEMU host.
nsx ip link add pxebr type bridge
nsx ip tuntap add dev tap0 mode tap
nsx ip link set tap0 master pxebr
nsx ip link set tap0 up
nsx ip link set pxebr up
# Not through nsx: $! must be pxe-serve itself (ip netns exec execs it).
ip netns exec "$ns" scripts/pxe-serve --address 10.77.0.1/24 pxebr > "$T/serve.log" 2>&1 &
serve_pid=$!
for i in $(seq 20); do grep -q 'Ctrl-C stops' "$T/serve.log" && break; sleep 0.5; done
grep -q 'Ctrl-C stops' "$T/serve.log" || { cat "$T/serve.log"; fail "pxe-serve did not start"; }
nsx busybox tftp -g -r undionly.kpxe -l "$T/undionly.kpxe" 10.77.0.1 2>/dev/null || fail "TFTP download failed"
cmp -s "$T/undionly.kpxe" /usr/lib/ipxe/undionly.kpxe || fail "TFTP served a different undionly.kpxe"
nsx busybox tftp -g -r ../../etc/passwd -l "$T/passwd" 10.77.0.1 2>/dev/null && fail "TFTP served a file outside its root"
nsx curl -sf -o "$T/vmlinuz" http://10.77.0.1:8080/vmlinuz || fail "HTTP download failed"
cmp -s "$T/vmlinuz" "$PXE_DIR/vmlinuz" || fail "HTTP served a different kernel"
pass "TFTP (iPXE for BIOS) and HTTP (boot files) answer; no files outside the TFTP root"

# A host on the test network boots Wafer from it.
ip netns exec "$ns" $QEMU -machine q35 -cpu max,+svm -m "$QEMU_MEM" -smp "$QEMU_SMP" -display none -serial mon:stdio \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0 -boot n \
	< /dev/null > "$T/farm.log" 2>&1 &
echo $! > "$T/farm.pid"
disown $! 2>/dev/null || true
t0=$(date +%s.%N)
wait_log farm 'slot pxe( via pxe)? booting' 150 || { tail -20 "$T/serve.log"; fail "no banner over pxe-serve"; }
wait_log farm 'IPv4 +10\.77\.0\.1[0-9][0-9]/24 \(dhcp\)' 90 || fail "the host got no address from pxe-serve's pool"
t1=$(date +%s.%N)
grep -q 'DHCPACK' "$T/serve.log" || fail "pxe-serve logged no DHCP lease"
pass "host booted over pxe-serve (DHCP -> iPXE -> HTTP) and leased $(grep -aoE '10\.77\.0\.1[0-9][0-9]' "$T/farm.log" | head -n1) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
