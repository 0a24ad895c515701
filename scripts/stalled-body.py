#!/usr/bin/env python3
"""The stalled-body figure: starts a release server on loopback with SWITCHBOARD_BODY_TIMEOUT_S,
sends POST /api/logging/batch with Content-Length: 1000, complete headers and one body byte, then
nothing for STALL seconds. Prints when the 408 arrived, whether the server closed the connection,
and the server's CPU time (utime+stime from /proc) over the whole stall window.

usage: scripts/stalled-body.py [BIN] [--timeout 5] [--stall 10] [--idle 60]
"""
import argparse
import os
import select
import socket
import subprocess
import tempfile
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", nargs="?", default=".build/release/switchboard")
    ap.add_argument("--timeout", default="5", help="SWITCHBOARD_BODY_TIMEOUT_S")
    ap.add_argument("--stall", type=float, default=10.0, help="seconds to watch")
    ap.add_argument("--idle", default="60", help="SWITCHBOARD_IDLE_TIMEOUT_S")
    a = ap.parse_args()

    port = free_port()
    data = tempfile.mkdtemp(prefix="sb-stall-")
    env = dict(os.environ, SWITCHBOARD_BODY_TIMEOUT_S=a.timeout, SWITCHBOARD_IDLE_TIMEOUT_S=a.idle,
               SWITCHBOARD_LOG_LEVEL="warning")
    proc = subprocess.Popen([a.bin, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        time.sleep(0.5)  # let start-up work settle before measuring
        s = socket.create_connection(("127.0.0.1", port))
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        s.sendall(b"POST /api/logging/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n[")
        status_at = closed_at = None
        status = b""
        while time.monotonic() - t0 < a.stall:
            r, _, _ = select.select([s], [], [], max(0.0, a.stall - (time.monotonic() - t0)))
            if not r:
                break
            try:
                b = s.recv(4096)
            except ConnectionResetError:
                b = b""
            if not b:
                closed_at = time.monotonic() - t0
                break
            if status_at is None:
                status_at, status = time.monotonic() - t0, b.split(b"\r\n", 1)[0]
        remaining = a.stall - (time.monotonic() - t0)
        if remaining > 0:
            time.sleep(remaining)
        cpu = cpu_seconds(proc.pid) - cpu0
        s.close()
        print(f"body timeout {a.timeout} s, idle timeout {a.idle} s, watched {a.stall:.0f} s")
        print(f"answer: {status.decode() or 'none'}" + (f" at {status_at:.2f} s" if status_at is not None else ""))
        print("closed by server: " + (f"at {closed_at:.2f} s" if closed_at is not None else "no"))
        print(f"server CPU over the window: {cpu:.2f} s ({100 * cpu / a.stall:.1f} % of one core)")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


if __name__ == "__main__":
    main()
