"""Turns one wrk run (its output, /usr/bin/time's CPU line, the server's CPU ticks and the inbox
row count) into one JSON object, so the summary compares figures rather than scraped text.

usage: wrk_result.py WRK_OUTPUT TIME_OUTPUT SERVER_CPU_SECONDS INBOX_ROWS
"""
import json
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return round(float(m.group(1)) * UNITS[m.group(2)], 2) if m else None


def main(argv):
    out = open(argv[1]).read()
    user, system, elapsed = (float(x) for x in open(argv[2]).read().split()[-3:])
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    requests = int(done.group(1)) if done else 0
    seconds = float(done.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)] if done else 0.0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    acked = requests - (int(non2xx.group(1)) if non2xx else 0)
    print(json.dumps({
        "requests": requests, "seconds": seconds, "acked_200": acked,
        "acked_per_s": round(acked / seconds, 1) if seconds else 0.0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": [int(x) for x in errors.groups()] if errors else [0, 0, 0, 0],
        "latency_ms": {k: ms(v) for k, v in lat.items()},
        "wrk_cpu_pct": round(100 * (user + system) / elapsed, 1) if elapsed else 0.0,
        "server_cpu_pct": round(100 * float(argv[3]) / elapsed, 1) if elapsed else 0.0,
        "inbox_rows": int(argv[4]),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
