#!/usr/bin/env python3
"""The ops console's figures, in one run (release build, loopback, headless Chromium):

1. alert.firing publish -> the alert's row in the page's DOM: p50/p99 over 20 alerts;
2. bytes transferred on a first load (empty cache): the page and its modules, then logged in
   until the first figures are shown;
3. server CPU while 20 consoles are open and the hub delivers ~2,000 events/s to a subscriber
   elsewhere, against the same load with no console and the consoles with no load.

Usage: make release && .venv/bin/python scripts/bench-console.py [--seconds 20] [--consoles 20]
(SWITCHBOARD_BIN overrides the binary). Chromium, the load and the server share this machine's
cores: read the CPU figures as an upper bound on a busy machine.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "browser"))
from cdp import Chromium  # noqa: E402
from console_figures import alert_latency, log_in, wait_live  # noqa: E402
from console_server import API_KEY, ConsoleServer, mint_token  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Load:
    """~`rate` events/s published on one topic (20 per POST) and read by one WebSocket subscriber."""

    def __init__(self, server, rate=2000, per_post=20):
        self.server, self.rate, self.per_post = server, rate, per_post
        self.stop_flag = threading.Event()
        self.published = 0
        self.received = 0
        self.ready = threading.Event()

    def subscriber(self):
        from websockets.sync.client import connect
        token = mint_token("agent", ["load.*"])
        with connect(f"ws://127.0.0.1:{self.server.port}/ws?token={token}", max_size=None) as ws:
            ws.send(json.dumps({"op": "subscribe", "id": 1, "topics": ["load.events"]}))
            self.ready.set()
            while not self.stop_flag.is_set():
                try:
                    frame = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                self.received += frame.count('"seq"') if isinstance(frame, str) else 0

    def publisher(self, seconds):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        body = json.dumps([{"topic": "load.events", "type": "load", "data": {"n": i, "pad": "x" * 60}}
                           for i in range(self.per_post)]).encode()
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        interval = self.per_post / self.rate
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds and not self.stop_flag.is_set():
            conn.request("POST", "/api/publish", body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status == 202:
                self.published += self.per_post
            n += 1
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        conn.close()

    def run(self, seconds):
        sub = threading.Thread(target=self.subscriber, daemon=True)
        sub.start()
        self.ready.wait(10)
        time.sleep(0.3)
        self.publisher(seconds)
        self.stop_flag.set()
        sub.join(5)


def summary_requests(server):
    """GET /api/ops/summary answered so far (from /metrics): shows that the consoles really poll."""
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("switchboard_http_requests_total{") and 'route="/api/ops/summary"' in line)


def measure_cpu(server, seconds, with_load):
    polls = summary_requests(server)
    before, t0 = cpu_seconds(server.proc.pid), time.monotonic()
    load = None
    if with_load:
        load = Load(server)
        load.run(seconds)
    else:
        time.sleep(seconds)
    elapsed = time.monotonic() - t0
    used = cpu_seconds(server.proc.pid) - before
    out = {"seconds": round(elapsed, 1), "server_cpu_percent": round(100 * used / elapsed, 1),
           "console_polls_per_s": round((summary_requests(server) - polls) / elapsed, 1)}
    if load:
        out["events_per_s_published"] = round(load.published / elapsed)
        out["events_per_s_delivered"] = round(load.received / elapsed)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--consoles", type=int, default=20)
    args = parser.parse_args()
    server = ConsoleServer()
    results = {}
    try:
        with Chromium() as chromium:
            page = chromium.page()
            page.navigate(server.base + "/console")
            page.wait_for("document.readyState === 'complete'")
            page.pump(0.5)
            page_bytes = page.encoded_bytes
            page.type_text(mint_token("ops"))
            page.press("Enter")
            wait_live(page)
            page.wait_for("document.getElementById('hub-connections').textContent !== '–'")
            page.pump(0.3)
            results["first_load_bytes"] = {"page_and_modules": page_bytes, "until_first_figures": page.encoded_bytes}
            results["alert_to_dom"] = alert_latency(page, server, n=20)
            page.close()

            results["cpu_load_only"] = measure_cpu(server, args.seconds, with_load=True)
            pages = []
            for _ in range(args.consoles):
                p = chromium.page()
                log_in(p, server.base, mint_token("ops"))
                wait_live(p)
                pages.append(p)
            time.sleep(2)
            results[f"cpu_{args.consoles}_consoles_only"] = measure_cpu(server, args.seconds, with_load=False)
            results[f"cpu_{args.consoles}_consoles_and_load"] = measure_cpu(server, args.seconds, with_load=True)
            for p in pages:
                p.close()
    finally:
        server.stop()
    results["note"] = f"loopback, {os.cpu_count()} cores shared by server, Chromium and the load tool; other builds may be running"
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
