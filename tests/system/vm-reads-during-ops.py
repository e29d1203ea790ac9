#!/usr/bin/env python3
"""vm-reads-during-ops.py: while one VM starts (its boot check included) and
another stops, an operator's dashboard keeps reading GET /api/v1/vms and
GET /api/v1/host over one kept-alive connection; every read must answer
within BOUND_MS (250) and half of them within P50_MS (100): the agent holds no
lock across the start's spawn and boot check or the stop's wait for the VMM,
so reads never queue behind them. A read queued behind either would wait
most of that operation (750-1,400 ms under nested TCG here); the bound on
the slowest read leaves room for the scheduling noise of a guest booting on
an emulated CPU (a /host read, p50 30 ms, was once seen at 117 ms). On a
faster machine, where an operation lasts less than twice BOUND_MS, the bound
is half the shorter operation, so that a queued read still shows.

Usage: vm-reads-during-ops.py URL CERT KEY VM_TO_START VM_TO_STOP
(env BOUND_MS, P50_MS). The first VM must be stopped, the second running. Prints the
figures ('figures: ...') and 'FAIL ...' lines; exits 1 on any failure."""
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

URL, CERT, KEY, TO_START, TO_STOP = sys.argv[1:6]
BOUND_MS = float(os.environ.get("BOUND_MS", "250"))
P50_MS = float(os.environ.get("P50_MS", "100"))
HOST = urllib.parse.urlsplit(URL)


def connect():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the fingerprint is pinned by the other tests
    ctx.load_cert_chain(CERT, KEY)
    return http.client.HTTPSConnection(HOST.hostname, HOST.port, context=ctx, timeout=60)


def request(conn, method, path):
    conn.request(method, path, headers={})
    r = conn.getresponse()
    raw = r.read()
    return r.status, raw


results = {}


def act(name, vm, verb):
    conn = connect()
    t0 = time.monotonic()
    st, raw = request(conn, "POST", f"/api/v1/vms/{vm}/{verb}")
    results[name] = (st, raw, time.monotonic() - t0)
    conn.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    fails = []
    reader = connect()
    request(reader, "GET", "/api/v1/host")          # handshake done before the clock runs
    threads = [threading.Thread(target=act, args=("start", TO_START, "start")),
               threading.Thread(target=act, args=("stop", TO_STOP, "stop"))]
    lat = {"/api/v1/vms": [], "/api/v1/host": []}
    for t in threads:
        t.start()
    paths = list(lat)
    i = 0
    while any(t.is_alive() for t in threads) or i < 4:
        path = paths[i % 2]
        t0 = time.monotonic()
        st, raw = request(reader, "GET", path)
        ms = (time.monotonic() - t0) * 1000
        if st != 200:
            fails.append(f"GET {path}: HTTP {st} {raw[:200]!r}")
        else:
            json.loads(raw)
        lat[path].append(ms)
        i += 1
        time.sleep(0.01)
    for t in threads:
        t.join()
    reader.close()
    for name, want in (("start", "running"), ("stop", "stopped")):
        st, raw, secs = results[name]
        state = json.loads(raw).get("state") if st == 200 else None
        print(f"figures: POST {name}: HTTP {st} in {secs * 1000:.0f} ms, state {state}")
        if st != 200 or state != want:
            fails.append(f"{name}: HTTP {st}, state {state}, wanted {want}: {raw[:200]!r}")
    bound = min([BOUND_MS] + [r[2] * 1000 / 2 for r in results.values()])
    for path, xs in lat.items():
        print(f"figures: {path} during the start and the stop: {len(xs)} reads, p50 {pct(xs, 50):.1f} ms, "
              f"max {max(xs):.1f} ms (bounds: p50 {P50_MS:.0f} ms, max {bound:.0f} ms)")
        if pct(xs, 50) > P50_MS:
            fails.append(f"{path}: p50 {pct(xs, 50):.1f} ms over {P50_MS:.0f} ms")
        slow = [x for x in xs if x > bound]
        if slow:
            fails.append(f"{path}: {len(slow)} of {len(xs)} reads over {bound:.0f} ms "
                         f"(slowest {max(slow):.0f} ms)")
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
