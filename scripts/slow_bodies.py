#!/usr/bin/env python3
"""Open N connections to an airt server, send a login's headers and one byte
of its body, then nothing; after WAIT seconds report how many the server
still holds open. RELIABILITY.md uses it against builds that lack
--read-timeout (the Go test TestSlowBodiesCut needs the flag).

usage: scripts/slow_bodies.py http://127.0.0.1:PORT [N=100] [WAIT=45]
"""
import socket
import sys
import time

url = sys.argv[1].removeprefix("http://").rstrip("/")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 45
host, port = url.rsplit(":", 1)
conns = []
for _ in range(n):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"POST /v1/token HTTP/1.1\r\nHost: x\r\nAirt-Protocol: 1\r\nContent-Length: 100\r\n\r\n{")
    conns.append(s)
time.sleep(wait)
still_open = 0
for s in conns:
    s.settimeout(0.2)
    try:
        s.recv(10)  # b"" or an answer: the server closed or answered
    except socket.timeout:
        still_open += 1
    except OSError:
        pass
print(f"still open after {wait:g} s: {still_open} of {n}")
