"""A WebSocket subscriber on `conversation.*` that timestamps every `message.received` on arrival.

usage: ws_subscriber.py --port P --token JWT --duration S --out FILE
Prints "ready" once subscribed (the benchmark starts sending only then) and writes one
"wamid send_ns arrival_ns" line per event; send_ns is read back from the text body
("bench <ns> ...") that the sender embedded, as the preview in the event data.
Runs in its own process so the sender's work never delays its timestamps.
"""
import argparse
import base64
import json
import os
import re
import socket
import struct
import sys
import time

SENT = re.compile(r"bench (\d+)")


def handshake(port, token):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (token, port, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during handshake")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise ConnectionError("handshake refused: %r" % head[:200])
    return sock, rest


def send_frame(sock, opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    header = struct.pack("!BB", 0x80 | opcode, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def frames(buf):
    """Complete frames at the start of buf: (list of (opcode, payload), rest)."""
    out = []
    while len(buf) >= 2:
        n, off = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, off = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, off = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < off + n:
            break
        out.append((buf[0] & 0x0F, buf[off:off + n]))
        buf = buf[off + n:]
    return out, buf


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    sock, buf = handshake(args.port, args.token)
    send_frame(sock, 1, json.dumps({"op": "subscribe", "id": 1, "topics": ["conversation.*"]}).encode())
    arrivals, subscribed = [], False
    deadline = time.monotonic() + args.duration
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            continue
        arrival_ns = time.time_ns()
        if not chunk:
            break
        got, buf = frames(buf + chunk)
        for opcode, payload in got:
            if opcode == 9:
                send_frame(sock, 10, payload)
            elif opcode == 8:
                deadline = 0
            elif opcode == 1:
                frame = json.loads(payload)
                if frame.get("op") == "ack" and not subscribed:
                    subscribed = True
                    print("ready", flush=True)
                elif frame.get("op") == "batch":
                    for event in frame.get("events", []):
                        if event.get("type") == "message.received":
                            data = event.get("data", {})
                            m = SENT.search(str(data.get("preview", "")))
                            arrivals.append((data.get("wamid"), int(m.group(1)) if m else -1, arrival_ns))
                elif frame.get("op") == "error":
                    print("subscriber: server error %s" % payload[:200], file=sys.stderr, flush=True)
    with open(args.out, "w") as f:
        for wamid, send_ns, arrival_ns in arrivals:
            f.write("%s %d %d\n" % (wamid, send_ns, arrival_ns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
