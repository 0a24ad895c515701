#!/usr/bin/env python3
"""TLS fan-out and idle memory, one or more server binaries side by side in one run:

    .venv/bin/python scripts/bench-tls.py [BIN ...]     (default: .build/release/switchboard;
                                                         env: SUBSCRIBERS=1000 DURATION=10 ROUNDS=1)

For each binary, the WSS-against-WS fan-out of scripts/bench-deflate.py (wsload built with TLS,
20 events of 100 bytes per POST, as fast as answered, SUBSCRIBERS readers, DURATION/2 s per
scheme: delivered events/s and deliveries per server CPU-second) and the RSS growth per idle,
subscribed WSS connection, compressed. With ROUNDS > 1 the binaries alternate round by round,
so a busy machine's noise falls on all of them alike. Every server listens on 127.0.0.1 and is
stopped by pid; every run is bounded in time.
"""
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_deflate", os.path.join(HERE, "bench-deflate.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


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
            sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", bench.WORK])
