#!/usr/bin/env python3
"""json_echo.py: every text the agent echoes back stays valid JSON (the
agent-layers issue, item 4: one JSON writer). Sends names, paths and bodies
with quotes, backslashes and control characters where the agent quotes them
back (a refused VM or image name in an error message, an unknown id in a
path, a bad JSON body, an unknown route), parses every response body as
JSON, and then every event of GET /api/v1/events?since=0.

  json_echo.py PORT CA ADMIN_CERT ADMIN_KEY
Prints "responses=N events=M" and one FAIL line per body that is not JSON;
exits 1 on any."""
import http.client, json, ssl, sys, urllib.parse

port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.check_hostname = False
ctx.load_cert_chain(cert, key)
HOSTILE = ['a"b', 'back\\slash', 'ctl\x01\x1f\x7f', 'nl\nline', '</script>"\\u0000', 'tab\tq"\\"']
fails, responses = [], 0


def call(method, path, body=None, ctype="application/json"):
    global responses
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    hdr = {"Content-Type": ctype} if body is not None else {}
    c.request(method, path, body=body, headers=hdr)
    r = c.getresponse()
    raw = r.read()
    c.close()
    responses += 1
    if raw and r.getheader("Content-Type", "").startswith("application/json"):
        try:
            json.loads(raw)
        except ValueError as e:
            fails.append("%s %r -> %d: not JSON (%s): %r" % (method, path, r.status, e, raw[:200]))
    elif r.status >= 400 and not raw:
        fails.append("%s %r -> %d with no body" % (method, path, r.status))
    return r.status, raw


for h in HOSTILE:
    q = urllib.parse.quote(h, safe="")
    call("POST", "/api/v1/vms", json.dumps({"name": h, "vcpus": 1, "memory_mib": 64, "boot": {"kernel": h}}))
    call("POST", "/api/v1/vms", json.dumps({"name": "ok", "vcpus": 1, "memory_mib": 64, "boot": {"kernel": h}}))
    call("GET", "/api/v1/vms/" + q)
    call("POST", "/api/v1/vms/" + q + "/start", "{}")
    call("DELETE", "/api/v1/images/" + q)
    call("PUT", "/api/v1/images/" + q, b"data", "application/octet-stream")
    call("GET", "/api/v1/" + q)
    call("POST", "/api/v1/vms", '{"name":"' + h.replace('"', '') + '"')     # broken JSON
    call("PATCH", "/api/v1/vms/" + q, json.dumps({h: 1}))
# the event stream stays open: read what it replays for 2 s
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
c.request("GET", "/api/v1/events?since=0")
r = c.getresponse()
raw = b""
try:
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        raw += chunk
except (OSError, http.client.HTTPException):
    pass
c.close()
events = 0
for line in raw.decode(errors="replace").splitlines():
    if line.startswith("data: "):
        events += 1
        try:
            json.loads(line[6:])
        except ValueError as e:
            fails.append("event not JSON (%s): %r" % (e, line[:200]))
print("responses=%d events=%d" % (responses, events))
for f in fails:
    print("FAIL " + f)
sys.exit(1 if fails else 0)
