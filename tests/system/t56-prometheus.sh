#!/bin/bash
# t56-prometheus.sh: Debian's prometheus scrapes the appliance in QEMU with
# docs/monitoring/prometheus.yml (its paths filled in: the host's own
# certificate as the trusted one, the development reader certificate, the
# target in a hosts.yml) and answers a host metric and a VM metric through
# its own query API; every metric docs/monitoring/grafana-dashboard.json
# queries is in the live appliance's /metrics.
. tests/system/lib.sh
. tests/system/agent-lib.sh
command -v prometheus >/dev/null || fail "needs Debian's prometheus (scripts/host-deps)"

agent_img box
agent_boot box
"${W[@]}" image upload vmlinuz "$GUEST_DIR/vmlinuz" > "$T/up1.log" 2>&1 || fail "kernel upload: $(cat $T/up1.log)"
"${W[@]}" image upload initrd "$GUEST_DIR/initrd" > "$T/up2.log" 2>&1 || fail "initrd upload: $(cat $T/up2.log)"
SPEC='{"name":"m1","vcpus":1,"memory_mib":128,"boot":{"kernel":"vmlinuz","initrd":"initrd","cmdline":"console=ttyS0 quiet gtest=acpi"},"disks":[{"size_mib":8}],"nics":[{}]}'
[ "$(code -X POST -d "$SPEC" "$URL/api/v1/vms")" = 201 ] || fail "create: $(cat $T/body)"
[ "$(code -X POST "$URL/api/v1/vms/m1/start")" = 200 ] || fail "start: $(cat $T/body)"
pass "appliance up, VM m1 running"

# the documented configuration with this run's paths
P=$T/prom
mkdir -p "$P/data"
openssl s_client -connect "127.0.0.1:$PORT" -cert "$PKI/reader.pem" -key "$PKI/reader.key" </dev/null 2>/dev/null |
	openssl x509 > "$P/hosts.pem" || fail "cannot read the host certificate"
cp "$PKI/reader.pem" "$PKI/reader.key" "$P/"
printf -- '- targets: ["127.0.0.1:%s"]\n  labels:\n    rack: test\n' "$PORT" > "$P/hosts.yml"
sed -e "s|/etc/prometheus/wafer/|$P/|g" -e 's/scrape_interval: 15s/scrape_interval: 2s/' \
	-e 's/scrape_timeout: 10s/scrape_timeout: 2s/' -e 's/refresh_interval: 1m/refresh_interval: 5s/' \
	docs/monitoring/prometheus.yml > "$P/prometheus.yml"
promtool check config "$P/prometheus.yml" > "$T/promtool.log" 2>&1 || fail "promtool: $(cat $T/promtool.log)"
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
	--web.listen-address="127.0.0.1:$PPORT" > "$T/prometheus.log" 2>&1 &
echo $! > "$T/prometheus.pid"   # lib.sh's cleanup stops it, as it stops QEMU
query() {   # PromQL -> the first result's value, or nothing
	curl -s -m 5 --data-urlencode "query=$1" "http://127.0.0.1:$PPORT/api/v1/query" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
for _ in $(seq 90); do
	[ "$(query 'up{job="wafer"}')" = 1 ] && [ -n "$(query 'wafer_host_uptime_seconds')" ] &&
		[ "$(query 'wafer_vm_state{name="m1",state="running"}')" = 1 ] && break
	sleep 1
done
[ "$(query 'up{job="wafer"}')" = 1 ] || fail "Prometheus does not scrape the host: $(tail -5 $T/prometheus.log)"
up=$(query 'wafer_host_uptime_seconds{rack="test"}')
[ -n "$up" ] || fail "no wafer_host_uptime_seconds through Prometheus"
[ "$(query 'wafer_vm_state{name="m1",state="running"}')" = 1 ] || fail "no running m1 through Prometheus"
cpu=$(query 'wafer_vm_cpu_seconds_total')
[ -n "$cpu" ] || fail "no wafer_vm_cpu_seconds_total through Prometheus"
pass "Prometheus (mutual TLS, reader certificate, the host certificate pinned) reads the host (uptime ${up} s) and VM m1 (running, ${cpu} CPU s) back"

# every metric the dashboard queries exists in the live /metrics
[ "$(code -H 'Accept: text/plain' "$URL/metrics")" = 200 ] || fail "GET /metrics"
python3 - docs/monitoring/grafana-dashboard.json "$T/body" > "$T/dash.log" <<'PY' || fail "dashboard metrics: $(cat $T/dash.log)"
import json, re, sys
dash = json.load(open(sys.argv[1]))
have = set(re.findall(r"^(wafer_[a-z0-9_]+)", open(sys.argv[2]).read(), re.M))
names = set()
for p in dash["panels"]:
    for t in p.get("targets", []):
        names |= set(re.findall(r"\b(wafer_[a-z0-9_]+)", t["expr"]))
missing = sorted(names - have)
print(f"{len(names)} metrics queried, {len(missing)} missing: {missing}")
sys.exit(1 if missing or not names else 0)
PY
pass "the Grafana dashboard's queries name only metrics the appliance serves ($(cat $T/dash.log | cut -d, -f1))"
qemu_kill box
