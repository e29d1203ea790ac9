#!/bin/bash
# t57-first-vm-readme.sh: the README's "Your first VM" block, run as written.
# The commands are extracted from README.md (the ```sh block after the
# "first-vm" marker), so the README cannot rot. The appliance boots as under
# `make run` (the development CA trusted, the first VM's port 80 forwarded
# like RUN_WEB_PORT), and scripts/run-context, which `make run` starts, saves
# the waferctl context from the fingerprint on the serial console. Then each
# README command runs in one shell, in order; only the forwarded ports differ
# from make run's (localhost:8080 becomes this test's free port). Checked: at
# most five commands; the VM is created from the demo guest and runs; the
# interactive console gives a shell that answers a typed command with the
# DHCP address; curl gets the demo page naming that address.
. tests/system/lib.sh
. tests/system/agent-lib.sh

DEMO=$B/demo
[ -f "$DEMO/vmlinuz" ] && [ -f "$DEMO/initrd.img" ] || fail "needs the demo guest (make demo-guest)"
grep -q 'RUN_WEB_PORT:-8080' scripts/run-qemu || fail "scripts/run-qemu no longer forwards port 8080 by default: update the README and this test"

# the block
mapfile -t CMDS < <(awk '/<!-- first-vm:/ { m = 1; next } m && /^```sh/ { b = 1; next } b && /^```/ { exit } b' README.md)
[ ${#CMDS[@]} -ge 3 ] || fail "README.md: no first-vm block found (${#CMDS[@]} lines)"
[ ${#CMDS[@]} -le 5 ] || fail "README.md: the first-vm block has ${#CMDS[@]} commands (at most five)"
printf '%s\n' "${CMDS[@]}" > "$T/readme-commands.txt"
grep -q -- '--interactive' "$T/readme-commands.txt" && grep -q '^curl .*localhost:8080' "$T/readme-commands.txt" \
	&& grep -q 'vm create' "$T/readme-commands.txt" || fail "README.md: the block lost its create, console or curl: $(cat "$T/readme-commands.txt")"
pass "README.md: ${#CMDS[@]} commands after make run"

# the appliance as make run boots it
WEB=$(free_port)
agent_img box
QEMU_NET_EXTRA=",hostfwd=tcp:127.0.0.1:$WEB-10.0.2.16:80" agent_boot box
export WAFERCTL_CONFIG=$T/waferctl.conf
timeout 300 scripts/run-context "$T/box.log" "127.0.0.1:$PORT" "$B" "$(qemu_pid box)" > "$T/run-context.log" 2>&1 \
	|| fail "run-context saved no context: $(cat "$T/run-context.log")"
grep -qx "fingerprint=$FP" "$WAFERCTL_CONFIG" && grep -qx 'current=run' "$WAFERCTL_CONFIG" \
	|| fail "the saved context is not the host's (fingerprint $FP): $(cat "$WAFERCTL_CONFIG")"
pass "run-context: context 'run' saved and current, pinned to the fingerprint on the console"

# wait_console TEXT SECONDS: until the guest's console log holds TEXT
wait_console() {
	for _ in $(seq "$2"); do
		code "$URL/api/v1/vms/web1/console" > /dev/null
		grep -aq "$1" "$T/body" && return 0
		sleep 1
	done
	tail -5 "$T/body"; fail "the guest's console never showed '$1'"
}

# the commands, in one shell (their variables carry over), as written but for the web port
n=0
for line in "${CMDS[@]}"; do
	n=$((n + 1))
	line=${line//localhost:8080/127.0.0.1:$WEB}
	log "README command $n: $line"
	case "$line" in
	*--interactive*)
		wait_console 'demo: shell on this console' 300
		wait_console 'web page on http://' 120
		{ sleep 2; printf 'echo DEMO-$((6*7))-OK; ip -4 -o addr show eth0\n'; sleep 5; } |
			eval "timeout 60 $line" > "$T/console.out" 2> "$T/console.err" || fail "command $n: $(cat "$T/console.err")"
		grep -aq 'DEMO-42-OK' "$T/console.out" || { tail -c 400 "$T/console.out"; fail "the shell did not answer the typed command"; }
		ADDR=$(grep -ao 'inet [0-9.]*' "$T/console.out" | head -n1 | cut -d' ' -f2)
		[ -n "$ADDR" ] || fail "no IPv4 address in the shell's answer: $(tail -c 300 "$T/console.out")"
		pass "console: a shell without a login answered DEMO-42-OK; eth0 has $ADDR (DHCP)" ;;
	curl*)
		eval "$line" > "$T/page.html" 2> "$T/curl.err" || fail "command $n: $(cat "$T/curl.err")"
		grep -q '<h1>Hello from a Wafer VM</h1>' "$T/page.html" || fail "not the demo page: $(head -c 300 "$T/page.html")"
		grep -q "address: ${ADDR:-?}<" "$T/page.html" || fail "the page does not name the guest's address ${ADDR:-?}: $(grep address "$T/page.html")"
		pass "curl: the demo page over the network, naming $ADDR" ;;
	*)
		eval "$line" > "$T/cmd$n.out" 2>&1 || fail "command $n: $(tail -5 "$T/cmd$n.out")" ;;
	esac
done
[ "$(code "$URL/api/v1/vms/web1")" = 200 ] && [ "$(jget '["state"]')" = running ] || fail "web1 is not running: $(cat "$T/body")"
pass "web1 still running after the walkthrough"
