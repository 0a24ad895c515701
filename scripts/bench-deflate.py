#!/usr/bin/env python3
"""permessage-deflate and TLS figures, one command (release build needed):

    .venv/bin/python scripts/bench-deflate.py            (env: SUBSCRIBERS=1000 RATE=2000 DURATION=10)

1. Wire bytes and server CPU per delivered event, compressed and not: the simulator's WhatsApp
   payloads (clients/python/switchboard_sim: text, media, location, interactive messages and
   status updates, varied numbers and texts) published to topic `inbox` at RATE events/s in POSTs
   every 10 ms, batch window 10 ms, to SUBSCRIBERS WebSocket readers (scripts/wsload, C; with
   --deflate it offers permessage-deflate and inflates). Bytes are the hub frames queued to the
   sockets, WebSocket headers included (switchboard_hub_bytes_written_total), per delivered
   event (switchboard_hub_events_delivered_total); CPU is the server's utime+stime over the run.
2. Memory per idle connection, compressed and not: RSS growth of the server per open, subscribed,
   idle WebSocket (SUBSCRIBERS of them).
3. TLS full handshakes per second on one server thread (openssl s_time, no session reuse).
4. Fan-out over WSS against WS: wsload (built with TLS) publishing as fast as answered, 20 events
   of 100 bytes per POST, to SUBSCRIBERS readers, DURATION/2 s each, the same server with and
   without --tls-cert: delivered events/s and deliveries per server CPU-second.
Every server listens on 127.0.0.1 and is stopped by pid; every run is bounded in time.
"""
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "integration"))
from switchboard_sim import payloads  # noqa: E402
import tls_certs  # noqa: E402

BIN = os.environ.get("SWITCHBOARD_BIN", os.path.join(ROOT, ".build", "release", "switchboard"))
SUBSCRIBERS = int(os.environ.get("SUBSCRIBERS", "1000"))
RATE = int(os.environ.get("RATE", "2000"))
DURATION = float(os.environ.get("DURATION", "10"))
SECRET = "bench-deflate-secret-0123456789abcdef"
API_KEY = "bench-deflate-key-0123456789"
WORK = tempfile.mkdtemp(prefix="sb-bench-deflate-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token():
    import base64, hashlib, hmac
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = b64(b'{"alg":"HS256","typ":"JWT"}')
    body = b64(json.dumps({"sub": "bench", "role": "service", "topics": ["*"], "exp": int(time.time()) + 3600},
                          separators=(",", ":")).encode())
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def build_wsload():
    out = os.path.join(WORK, "wsload")
    subprocess.run(["gcc", "-O2", "-Wall", "-DWSLOAD_DEFLATE", "-DWSLOAD_TLS", "-o", out,
                    os.path.join(ROOT, "scripts", "wsload", "wsload.c"), "-lz", "-lssl", "-lcrypto", "-lm"], check=True)
    return out


WORDS = ("hola buenos dias quiero saber el estado de mi pedido gracias please could you send the invoice again "
         "my order number is delivery tomorrow morning address changed thanks a lot olá obrigado preciso de ajuda "
         "com a minha encomenda refund payment failed card declined when will it arrive").split()


def text(rnd, lo, hi):
    """Customer-like text: common words, made-up words and numbers (less repetitive than a real
    inbox, so the compression figure errs on the pessimistic side)."""
    out = []
    for _ in range(rnd.randint(lo, hi)):
        r = rnd.random()
        if r < 0.55:
            out.append(rnd.choice(WORDS))
        elif r < 0.85:
            out.append("".join(rnd.choice("bcdfghjklmnprstvz") + rnd.choice("aeiou") for _ in range(rnd.randint(1, 4))))
        else:
            out.append(str(rnd.randrange(10 ** rnd.randint(2, 9))))
    return " ".join(out)


def sim_events(n, seed=7):
    """Events as the hub carries them: the simulator's message or status objects, with the contact."""
    rnd = random.Random(seed)
    events = []
    for i in range(n):
        wa_id = f"1555{rnd.randrange(10**7):07d}"
        kind = rnd.random()
        if kind < 0.45:
            msg = payloads.text_message(wa_id, text(rnd, 3, 40))
            etype = "message.received"
        elif kind < 0.55:
            msg = payloads.image_message(wa_id, media_id=str(rnd.randrange(10 ** 16)), caption=text(rnd, 0, 8) or None)
            etype = "message.received"
        elif kind < 0.6:
            msg = payloads.location_message(wa_id, latitude=rnd.uniform(-60, 60), longitude=rnd.uniform(-120, 120))
            etype = "message.received"
        elif kind < 0.65:
            msg = payloads.interactive_message(wa_id)
            etype = "message.received"
        else:
            msg = payloads.status(payloads.new_wamid(wa_id), rnd.choice(["sent", "delivered", "read"]), wa_id)
            etype = "message.status"
        events.append({"topic": "inbox", "type": etype,
                       "data": {"wa_id": wa_id, "contact": {"profile": {"name": f"Customer {i % 977}"}, "wa_id": wa_id},
                                "conversation_id": f"conv-{wa_id}", "payload": msg}})
    return events


class Server:
    def __init__(self, env=None, args=()):
        self.port = free_port()
        self.data = tempfile.mkdtemp(dir=WORK)
        e = dict(os.environ, SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY, SWITCHBOARD_BATCH_WINDOW_MS="10",
                 SWITCHBOARD_LOG_LEVEL="warning", **(env or {}))
        self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--threads", "2",
                                      "--data-dir", self.data, *args], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait(self, scheme="http", ctx=None):
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{scheme}://localhost:{self.port}/health/live", timeout=1, context=ctx)
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("server did not start")

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def metric(self, name):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def publisher(port, events, stop_at, sent):
    """RATE events/s as one POST of RATE/100 events every 10 ms, on one keep-alive connection
    (bodies serialized beforehand, so the Python side only writes)."""
    import http.client
    per_post = max(1, RATE // 100)
    bodies = [json.dumps(events[j:j + per_post]) for j in range(0, len(events) - per_post + 1, per_post)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    next_t = time.monotonic()
    i = 0
    while time.monotonic() < stop_at:
        body = bodies[i % len(bodies)]
        i += 1
        conn.request("POST", "/api/publish", body=body, headers={"Authorization": "Bearer " + API_KEY,
                                                                             "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status == 202:
            sent[0] += per_post
        next_t += 0.01
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def fanout_run(wsload, compressed):
    srv = Server(env={"SWITCHBOARD_WS_COMPRESSION": "on"}).wait()
    events = sim_events(20000)
    args = [wsload, "--mode", "batch", "--sub-url", f"ws://127.0.0.1:{srv.port}/ws", "--token", token(),
            "--sub-msg", '{"op":"subscribe","topics":["inbox"]}', "--channels", "1",
            # wsload's own publisher only keeps it running: one tiny event per second on a topic nobody reads.
            "--pub-url", f"http://127.0.0.1:{srv.port}/api/publish", "--pub-header", "Authorization: Bearer " + API_KEY,
            "--pub-body", '{"topic":"bench.idle","type":"t","data":{payload}}', "-r", "1",
            "-n", str(SUBSCRIBERS), "-d", str(DURATION + 2), "--drain", "2", "--json"]
    if compressed:
        args.append("--deflate")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(3)  # subscribers connect and subscribe (wsload's settle)
    cpu0, delivered0 = srv.cpu_seconds(), srv.metric("switchboard_hub_events_delivered_total")
    queued0 = srv.metric("switchboard_hub_bytes_written_total")
    sent = [0]
    t0 = time.monotonic()
    publisher(srv.port, events, t0 + DURATION, sent)
    time.sleep(1)
    cpu1, delivered1 = srv.cpu_seconds(), srv.metric("switchboard_hub_events_delivered_total")
    queued = srv.metric("switchboard_hub_bytes_written_total") - queued0
    out, _ = proc.communicate(timeout=60)
    srv.stop()
    report = json.loads(out)
    delivered = delivered1 - delivered0
    return {"compressed": compressed, "published": sent[0], "delivered": int(delivered),
            "frame_bytes": int(queued), "bytes_per_event": queued / max(delivered, 1),
            "reader_bytes_rx": report["bytes_rx"],
            "cpu_s": cpu1 - cpu0, "cpu_us_per_event": 1e6 * (cpu1 - cpu0) / max(delivered, 1),
            "disconnects": report["disconnects"]}


def idle_memory(compressed, tls=False):
    """RSS growth per open, subscribed, idle WebSocket (over TLS with tls=True)."""
    ctx = None
    if tls:
        pki = tempfile.mkdtemp(dir=WORK)
        tls_certs.make_ca(pki)
        cert, key = tls_certs.make_server_cert(pki)
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
        srv = Server(args=["--tls-cert", cert, "--tls-key", key]).wait("https", ctx)
    else:
        srv = Server().wait()
    time.sleep(0.5)
    before = srv.rss_kib()
    socks = []
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if compressed else ""
    tok = token()
    for i in range(SUBSCRIBERS):
        s = socket.create_connection(("127.0.0.1", srv.port))
        if ctx:
            s = ctx.wrap_socket(s, server_hostname="localhost")
        s.sendall((f"GET /ws?token={tok} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        assert b" 101 " in head and ((b"permessage-deflate" in head) == compressed)
        sub = json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}).encode()
        s.sendall(bytes([0x81, 0x80 | len(sub), 0, 0, 0, 0]) + sub)
        socks.append(s)
    time.sleep(2)
    after = srv.rss_kib()
    for s in socks:
        s.close()
    srv.stop()
    return (after - before) * 1024 / SUBSCRIBERS


def tls_handshakes():
    pki = tempfile.mkdtemp(dir=WORK)
    tls_certs.make_ca(pki)
    cert, key = tls_certs.make_server_cert(pki)
    srv = Server(args=["--tls-cert", cert, "--tls-key", key, "--threads", "1"])
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    srv.wait("https", ctx)
    cpu0 = srv.cpu_seconds()
    r = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{srv.port}", "-new", "-time", "5"],
                       capture_output=True, text=True, timeout=60)
    cpu1 = srv.cpu_seconds()
    srv.stop()
    line = next((l for l in r.stdout.splitlines() if "connections/user sec" in l or "connections in" in l), r.stdout[-200:])
    count = int(line.split()[0]) if line.split() and line.split()[0].isdigit() else 0
    return {"s_time": line.strip(), "server_cpu_s": cpu1 - cpu0,
            "handshakes_per_server_cpu_s": count / max(cpu1 - cpu0, 1e-9)}


def wss_against_ws(wsload):
    pki = tempfile.mkdtemp(dir=WORK)
    tls_certs.make_ca(pki)
    cert, key = tls_certs.make_server_cert(pki)
    results = {}
    for scheme in ("ws", "wss"):
        tls = scheme == "wss"
        srv = Server(args=["--tls-cert", cert, "--tls-key", key] if tls else [])
        srv.wait("https" if tls else "http", ssl.create_default_context(cafile=os.path.join(pki, "ca.pem")) if tls else None)
        http = "https" if tls else "http"
        r = subprocess.run([wsload, "--mode", "batch", "--sub-url", f"{scheme}://127.0.0.1:{srv.port}/ws", "--token", token(),
                            "--sub-msg", '{"op":"subscribe","topics":["{ch}"]}',
                            "--pub-url", f"{http}://127.0.0.1:{srv.port}/api/publish",
                            "--pub-header", "Authorization: Bearer " + API_KEY,
                            "--pub-body", '{"topic":"{ch}","type":"t","data":{payload}}', "--pub-batch", "20",
                            "-n", str(SUBSCRIBERS), "-d", str(max(DURATION / 2, 2)), "-s", "100", "-r", "0",
                            "--server-pids", str(srv.proc.pid), "--json"], capture_output=True, text=True, timeout=120)
        srv.stop()
        report = json.loads(r.stdout)
        results[scheme] = {"delivered_per_s": report["delivered_per_s"], "loss": report["loss"],
                           "deliveries_per_server_cpu_s": report.get("deliveries_per_server_cpu_s")}
    results["wss/ws delivered"] = results["wss"]["delivered_per_s"] / max(results["ws"]["delivered_per_s"], 1)
    return results


def main():
    wsload = build_wsload()
    print(f"bench-deflate: {SUBSCRIBERS} subscribers, {RATE} events/s for {DURATION} s, window 10 ms, 2 server threads")
    plain = fanout_run(wsload, False)
    print("uncompressed:", json.dumps(plain))
    comp = fanout_run(wsload, True)
    print("compressed:  ", json.dumps(comp))
    print(f"wire bytes per delivered event: {plain['bytes_per_event']:.1f} -> {comp['bytes_per_event']:.1f} "
          f"({comp['bytes_per_event'] / plain['bytes_per_event']:.2f}x)")
    print(f"server CPU per delivered event: {plain['cpu_us_per_event']:.2f} us -> {comp['cpu_us_per_event']:.2f} us "
          f"({comp['cpu_us_per_event'] / max(plain['cpu_us_per_event'], 1e-9):.2f}x)")
    print(f"memory per idle connection: {idle_memory(False):.0f} B uncompressed, {idle_memory(True):.0f} B compressed, "
          f"{idle_memory(True, tls=True):.0f} B compressed over TLS")
    print("TLS full handshakes:", json.dumps(tls_handshakes()))
    print("fan-out WSS against WS:", json.dumps(wss_against_ws(wsload)))


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", WORK])
