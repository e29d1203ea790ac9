#!/bin/bash
# bench-agent.sh B: the agent benchmark (`make bench-agent`; not a test, it
# prints figures). On 127.0.0.1 of the build machine, with the image's own
# static musl wafer-agent (run with temporary folders) and Debian's nginx
# serving the agent's GET /api/v1/host answer as a static file, both over
# mutual TLS with an ECDSA P-256 server key and the development CA, measured
# in the same run with the same client (wafer-tlsload, mbedTLS):
#   - agent resident memory: idle, after the load, and with 50 VMs defined
#   - requests/s for GET /api/v1/host with keep-alive (BENCH_CONNS connections)
#   - full TLS handshakes/s (new connection, handshake, one GET, close)
# nginx is installed with apt-get (as root) when missing: a bench-only step.
set -eu
B=${1:-build/x86_64}
AGENT=$B/bin/wafer-agent
LOAD=$B/bin/host/wafer-tlsload
PKI=$B/dev-pki
CONNS=${BENCH_CONNS:-8}
SECS=${BENCH_SECS:-10}
T=$(mktemp -d /tmp/wafer-bench.XXXXXX)
AGENT_PID= NGINX_PID=
cleanup() {
	[ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
	[ -z "$NGINX_PID" ] || kill "$NGINX_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	[ "$(id -u)" = 0 ] || { echo "bench-agent: nginx is missing; install nginx-light (apt-get, as root)"; exit 1; }
	echo "bench-agent: installing nginx-light (bench only)"
	# never start Debian's nginx service on port 80 while installing
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rm_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light >/dev/null \
		|| { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light >/dev/null; }
	[ -z "${rm_policy:-}" ] || rm -f /usr/sbin/policy-rc.d
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

port() { local p; while :; do p=$((20000 + RANDOM % 20000)); ss -Htln "sport = :$p" | grep -q . || { echo $p; return; }; done; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
tree_rss_kib() { # a process and its children (nginx master + workers)
	local sum=0 p
	for p in $1 $(pgrep -P "$1"); do sum=$((sum + $(rss_kib "$p"))); done
	echo $sum
}
AC=(--cert "$PKI/admin.pem" --key "$PKI/admin.key")

# --- the agent, exactly the binary of the image, with temporary folders
AP=$(port)
mkdir -p "$T/config/trust" "$T/data" "$T/run" "$T/etc"
cp "$PKI/ca.pem" "$T/config/trust/dev-ca.pem"
"$AGENT" --port "$AP" --listen 127.0.0.1 --config-dir "$T/config" --data-dir "$T/data" --run-dir "$T/run" \
	--etc-dir "$T/etc" --vmm /nonexistent/wafer-vmm --no-autostart --max-conns 256 --max-unauth 256 --conns-per-cert 256 \
	--log-level warn 2> "$T/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do [ -s "$T/run/status/agent" ] && break; sleep 0.1; done
AURL=https://127.0.0.1:$AP
curl -sfk "${AC[@]}" "$AURL/api/v1/host" > "$T/host.json" || { cat "$T/agent.log"; echo "bench-agent: agent did not answer"; exit 1; }
sleep 1
RSS_IDLE=$(rss_kib $AGENT_PID)

# --- nginx: the same answer as a static file, mutual TLS with the same CA
NP=$(port)
mkdir -p "$T/nginx/www/api/v1" "$T/nginx/logs"
cp "$T/host.json" "$T/nginx/www/api/v1/host"
chmod -R a+rX "$T/nginx/www"; chmod a+x "$T" "$T/nginx"   # workers run as www-data
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-keyout "$T/nginx/server.key" -out "$T/nginx/server.pem" 2>/dev/null
cat > "$T/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/json;
	keepalive_requests 10000000;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:$NP ssl;
		ssl_certificate $T/nginx/server.pem;
		ssl_certificate_key $T/nginx/server.key;
		ssl_client_certificate $(realpath "$PKI/ca.pem");
		ssl_verify_client on;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_tickets off;
		ssl_session_cache off;
		root $T/nginx/www;
	}
}
EOF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/logs/error.log" -g 'daemon off;' &
NGINX_PID=$!
NURL=https://127.0.0.1:$NP
for _ in $(seq 50); do curl -sfk "${AC[@]}" "$NURL/api/v1/host" -o /dev/null && break; sleep 0.1; done
curl -sfk "${AC[@]}" "$NURL/api/v1/host" -o /dev/null || { cat "$T/nginx/logs/error.log"; echo "bench-agent: nginx did not answer"; exit 1; }
[ "$(curl -sk -o /dev/null -w '%{http_code}' "$NURL/api/v1/host")" = 400 ] || echo "warning: nginx answered without a client certificate"
[ "$(curl -sk -o /dev/null -w '%{http_code}' "$AURL/api/v1/host")" = 000 ] || echo "warning: the agent answered without a client certificate"

echo "bench-agent: $(date -u +%FT%TZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg); $CONNS connections, $SECS s per run;"
echo "  body $(stat -c %s "$T/host.json") bytes (the agent's GET /api/v1/host, served by nginx as a file)"
echo "  agent: $AGENT (static musl, as in the image); nginx: $("$NGINX" -v 2>&1 | sed 's/.*: //')"
run() { "$LOAD" "$1" 127.0.0.1 "$2" /api/v1/host "$PKI/admin.pem" "$PKI/admin.key" "$CONNS" "$SECS"; }
printf '%-28s %s\n' "wafer-agent keep-alive:" "$(run rps "$AP")"
printf '%-28s %s\n' "nginx keep-alive:" "$(run rps "$NP")"
printf '%-28s %s\n' "wafer-agent handshakes:" "$(run hs "$AP")"
printf '%-28s %s\n' "nginx handshakes:" "$(run hs "$NP")"
RSS_LOAD=$(rss_kib $AGENT_PID)
NGINX_RSS=$(tree_rss_kib $NGINX_PID)

# --- 50 VM definitions (the VMM is never started: definitions only)
head -c 4096 /dev/urandom > "$T/kernel"
curl -sfk "${AC[@]}" -T "$T/kernel" "$AURL/api/v1/images/bench-kernel" -o /dev/null
for i in $(seq 1 50); do
	curl -sfk "${AC[@]}" -X POST -H 'Content-Type: application/json' -o /dev/null \
		-d "{\"name\":\"bench-$i\",\"vcpus\":1,\"memory_mib\":64,\"boot\":{\"kernel\":\"bench-kernel\",\"cmdline\":\"console=ttyS0\"},\"disks\":[{\"size_mib\":16}],\"nics\":[{}]}" \
		"$AURL/api/v1/vms" || { echo "bench-agent: creating VM $i failed"; exit 1; }
done
NVMS=$(curl -sfk "${AC[@]}" "$AURL/api/v1/vms" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["vms"]))')
curl -sfk "${AC[@]}" "$AURL/metrics" -o /dev/null
RSS_50=$(rss_kib $AGENT_PID)
echo "wafer-agent resident memory: idle $RSS_IDLE KiB, after the load $RSS_LOAD KiB, with $NVMS VMs defined $RSS_50 KiB"
echo "nginx resident memory (master + $(nproc) workers) after the load: $NGINX_RSS KiB"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
