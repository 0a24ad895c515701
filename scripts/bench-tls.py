#!/usr/bin/env python3
"""TLS fan-out and idle memory, one or more server binaries side by side in one run:

    .venv/bin/python scripts/bench-tls.py [BIN ...]     (default: .build/release/switchboard;
                                                         env: SUBSCRIBERS=1000 DURATION=10 ROUNDS=1)

For each binary, the WSS-against-WS fan-out of scripts/bench-deflate.py (wsload built with TLS,
20 events of 100 bytes per POST, as fast as answered, SUBSCRIBERS readers, DURATION/2 s per
scheme: delivered events/s and deliveries per server CPU-second) and the RSS growth per idle,
subscribed WSS connection, compressed. Then WS and WSS fan-out at a fixed rate that both keep up
with (FIXED_RATE events/s, default 600: the same work for every binary and scheme): server
CPU-µs per delivery, and WS/WSS of that, the deliveries per CPU-second ratio at equal work (the
as-fast-as-possible figures also depend on how far the TLS-decrypting readers, on the same
machine, fall behind). With ROUNDS > 1 the binaries alternate round by round,
so a busy machine's noise falls on all of them alike. Every server listens on 127.0.0.1 and is
stopped by pid; every run is bounded in time.
"""
import importlib.util
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_deflate", os.path.join(HERE, "bench-deflate.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def metric(port, ca, name):
    import urllib.request
    ctx = bench.ssl.create_default_context(cafile=ca) if ca else None
    scheme = "https" if ca else "http"
    text = urllib.request.urlopen(f"{scheme}://localhost:{port}/metrics", timeout=5, context=ctx).read().decode()
    return next((float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name + " ")), 0.0)


def fixed_rate(wsload, rate, tls):
    """Server CPU-µs per delivery for the same fan-out work at `rate` events/s, WSS or WS."""
    pki = bench.tempfile.mkdtemp(dir=bench.WORK)
    bench.tls_certs.make_ca(pki)
    cert, key = bench.tls_certs.make_server_cert(pki)
    ca = os.path.join(pki, "ca.pem") if tls else None
    srv = bench.Server(args=["--tls-cert", cert, "--tls-key", key] if tls else [])
    srv.wait("https" if tls else "http", bench.ssl.create_default_context(cafile=ca) if tls else None)
    duration = max(bench.DURATION, 4)
    ws, http = ("wss", "https") if tls else ("ws", "http")
    load = subprocess.Popen([wsload, "--mode", "batch", "--sub-url", f"{ws}://127.0.0.1:{srv.port}/ws", "--token", bench.token(),
                             "--sub-msg", '{"op":"subscribe","topics":["{ch}"]}',
                             "--pub-url", f"{http}://127.0.0.1:{srv.port}/api/publish",
                             "--pub-header", "Authorization: Bearer " + bench.API_KEY,
                             "--pub-body", '{"topic":"{ch}","type":"t","data":{payload}}', "--pub-batch", "20",
                             "-n", str(bench.SUBSCRIBERS), "-d", str(duration), "-s", "100", "-r", str(rate), "--json"],  # publishes for `duration` s
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # Measure once publishing has begun (wsload publishes after every subscriber connected), so
    # the handshakes are not counted and every binary and scheme gets the same window.
    deadline = time.monotonic() + 60
    while metric(srv.port, ca, "switchboard_hub_events_delivered_total") == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    delivered0, cpu0 = metric(srv.port, ca, "switchboard_hub_events_delivered_total"), srv.cpu_seconds()
    time.sleep(duration / 2)
    cpu = srv.cpu_seconds() - cpu0
    delivered = metric(srv.port, ca, "switchboard_hub_events_delivered_total") - delivered0
    report = json.loads(load.communicate(timeout=120)[0])
    srv.stop()
    return {"delivered": int(delivered), "loss": report["loss"], "cpu_us_per_delivery": 1e6 * cpu / max(delivered, 1)}


def main():
    bins = sys.argv[1:] or [bench.BIN]
    rounds = int(os.environ.get("ROUNDS", "1"))
    wsload = bench.build_wsload()
    print(f"bench-tls: {bench.SUBSCRIBERS} subscribers, {max(bench.DURATION / 2, 2)} s per scheme, {rounds} round(s)")
    for r in range(rounds):
        for b in bins:
            bench.BIN = b
            f = bench.wss_against_ws(wsload)
            ws, wss = f["ws"], f["wss"]
            per_cpu = (wss["deliveries_per_server_cpu_s"] or 0) / max(ws["deliveries_per_server_cpu_s"] or 1, 1e-9)
            idle = bench.idle_memory(True, tls=True)
            print(f"round {r + 1} {b}:")
            print(f"  WS  {ws['delivered_per_s']:.0f} delivered/s, {ws['deliveries_per_server_cpu_s']:.0f} per server CPU-s, loss {ws['loss']}")
            print(f"  WSS {wss['delivered_per_s']:.0f} delivered/s, {wss['deliveries_per_server_cpu_s']:.0f} per server CPU-s, loss {wss['loss']}")
            print(f"  WSS/WS: {f['wss/ws delivered']:.2f}x delivered/s, {per_cpu:.2f}x per server CPU-s")
            print(f"  idle compressed WSS connection: {idle:.0f} B")
            rate = int(os.environ.get("FIXED_RATE", "600"))
            fws, fwss = fixed_rate(wsload, rate, False), fixed_rate(wsload, rate, True)
            print(f"  at {rate} events/s (same work): WS {fws['cpu_us_per_delivery']:.3f}, WSS {fwss['cpu_us_per_delivery']:.3f} "
                  f"server CPU-us per delivery ({fws['delivered']} and {fwss['delivered']} deliveries, loss {fws['loss']} and "
                  f"{fwss['loss']}): WS/WSS {fws['cpu_us_per_delivery'] / max(fwss['cpu_us_per_delivery'], 1e-9):.2f}x")
            sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", bench.WORK])
