#!/usr/bin/env python3
"""flood.py: the agent keeps serving an authenticated admin while it is
flooded (hostile-input issue, item 4). Used by itest.sh.

  flood.py idle PORT N CA ADMIN_CERT ADMIN_KEY
      opens N TCP connections that never say a word, half from 127.0.0.1 (the
      admin's own address, as a manager behind NAT) and the rest from
      127.0.0.2-127.0.0.9, then times one admin GET /api/v1/host
  flood.py streams PORT N CA READER_CERT READER_KEY ADMIN_CERT ADMIN_KEY
      opens N follow streams (GET /api/v1/events) with the reader certificate,
      then times one admin GET /api/v1/host
Prints "opened=… refused=… admin_status=… admin_ms=…". Bounded: every socket
has a 10 s timeout and everything is closed at the end."""
import socket, ssl, sys, time


def admin_get(port, ca, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False
    ctx.load_cert_chain(cert, key)
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s) as t:
                t.sendall(b"GET /api/v1/host HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                status = t.recv(64).split(b" ")[1].decode()
    except Exception as e:  # a refused or reset admin is the failure this measures
        status = "error:" + type(e).__name__
    return status, int((time.monotonic() - t0) * 1000)


def main():
    mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    held, refused = [], 0
    if mode == "idle":
        ca, acert, akey = sys.argv[4:7]
        for i in range(n):
            src = "127.0.0.1" if i % 2 == 0 else "127.0.0.%d" % (2 + i % 8)
            try:
                s = socket.socket()
                s.settimeout(10)
                s.bind((src, 0))
                s.connect(("127.0.0.1", port))
                held.append(s)
            except OSError:
                refused += 1
        time.sleep(0.5)
    else:
        ca, rcert, rkey, acert, akey = sys.argv[4:9]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(ca)
        ctx.check_hostname = False
        ctx.load_cert_chain(rcert, rkey)
        for i in range(n):
            try:
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
                s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
                status = s.recv(64).split(b" ")[1]
                if status == b"200":
                    held.append(s)
                else:
                    refused += 1
                    s.close()
            except (OSError, IndexError):
                refused += 1
    status, ms = admin_get(port, ca, acert, akey)
    print("opened=%d refused=%d admin_status=%s admin_ms=%d" % (len(held), refused, status, ms))
    for s in held:
        s.close()


main()
