#!/usr/bin/env bash
# Outbound sender benchmarks against the fake Graph API (release build).
#
#   scripts/bench-outbound.sh throughput [N]     N messages (default 5000) over 20 phone numbers,
#                                                pacing off; prints messages/s and p50/p99 queue→sent
#   scripts/bench-outbound.sh drain [N]          N messages pile up while the fake is frozen, then
#                                                drain: the sender's rate without the poster as limit
#   scripts/bench-outbound.sh outage [SECONDS]   fake Graph fails everything for SECONDS (default 60),
#                                                then is healthy; prints breaker trips, calls made
#                                                while down, lost messages, time to drain after recovery
#
# Settings can be overridden with the usual variables (SWITCHBOARD_BREAKER_OPEN_S, ...).
# Needs python3 with `requests`. The fake Graph API is Python (one thread per connection), so at
# high rates it may be the bottleneck; the output says how fast the messages were offered, too.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-throughput}"
ARG="${2:-}"
if [ -z "${SWITCHBOARD_BIN:-}" ]; then
  swift build -c release --product switchboard >/dev/null
  SWITCHBOARD_BIN="$(swift build -c release --show-bin-path)/switchboard"
fi
export SWITCHBOARD_BIN MODE ARG
exec python3 - <<'PY'
import json, os, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, uuid
import requests

ROOT = os.getcwd()
sys.path.insert(0, os.path.join(ROOT, "Tests", "integration"))
import jwt_helper  # noqa: E402
from wsraw import RawWS  # noqa: E402

MODE, ARG, BIN = os.environ["MODE"], os.environ.get("ARG", ""), os.environ["SWITCHBOARD_BIN"]
SECRET, API_KEY, TOKEN = "bench-secret-0123456789abcdef", "bench-api-key-0123456789", "bench-graph-token"
PHONES = [str(106540352240000 + i) for i in range(20)]


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_http(url, proc, what):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1); return
        except requests.RequestException:
            time.sleep(0.05)
    sys.exit(f"{what} did not start")


def start(env_extra):
    data = tempfile.mkdtemp(prefix="sb-bench-out-")
    gport, sport = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clients", "python"))
    # python -m fake_graph, with a listen backlog of 1024 instead of socketserver's 5: with the
    # default, a burst of new keep-alive connections overflows the accept queue and requests
    # stall in the kernel for seconds (measured as Graph timeouts, which is the fake, not us).
    launcher = ("import sys, http.server; http.server.ThreadingHTTPServer.request_queue_size = 1024; "
                "from fake_graph.__main__ import main; sys.exit(main(sys.argv[1:]))")
    fake = subprocess.Popen([sys.executable, "-c", launcher, "--port", str(gport), "--token", TOKEN],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{gport}/_control/stats", fake, "fake_graph")
    # The bench's defaults, then the mode's, then whatever the caller exported (it wins).
    senv = dict(SWITCHBOARD_LOG_LEVEL="warning", SWITCHBOARD_LOG_FORMAT="json")
    senv.update(env_extra)
    senv.update(os.environ)
    senv.update(SWITCHBOARD_AUTH_SECRET=SECRET, SWITCHBOARD_API_KEY=API_KEY,
                SWITCHBOARD_GRAPH_BASE_URL=f"http://127.0.0.1:{gport}", SWITCHBOARD_WA_ACCESS_TOKEN=TOKEN,
                SWITCHBOARD_WA_PHONE_NUMBER_ID=PHONES[0])
    log = open(os.path.join(data, "server.log"), "ab")
    srv = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(sport), "--data-dir", data],
                           env=senv, stdout=log, stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{sport}/health/live", srv, "switchboard")
    return data, f"http://127.0.0.1:{gport}", f"http://127.0.0.1:{sport}", sport, fake, srv


def stop(*procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def db(data, sql):
    con = sqlite3.connect(os.path.join(data, "switchboard.db"), timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def post_many(base, n, tag, threads=8, pace_per_s=None):
    """Posts n messages (recipient i, phone number i % 20) from `threads` keep-alive clients."""
    errors = []
    def worker(k):
        s = requests.Session()
        h = {"Authorization": "Bearer " + API_KEY}
        start_t = time.time()
        for i in range(k, n, threads):
            if pace_per_s:
                due = start_t + i / pace_per_s
                if due > time.time():
                    time.sleep(due - time.time())
            body = {"to": str(4900000000 + i), "type": "text", "text": {"body": f"{tag} {i}"},
                    "phone_number_id": PHONES[i % len(PHONES)]}
            r = s.post(base + "/api/messages", json=body, headers=h, timeout=30)
            if r.status_code != 202:
                errors.append(r.status_code)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    t0 = time.time()
    for t in ts: t.start()
    for t in ts: t.join()
    return time.time() - t0, errors


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def throughput():
    n = int(ARG or 5000)
    data, gbase, base, _, fake, srv = start({"SWITCHBOARD_SEND_RATE": "1000000", "SWITCHBOARD_PAIR_INTERVAL_MS": "0"})
    try:
        post_s, errors = post_many(base, n, "bench-" + uuid.uuid4().hex[:6])
        deadline = time.time() + 300
        while time.time() < deadline:
            left = db(data, "SELECT count(*) FROM outbox WHERE status NOT IN ('sent','failed')")[0][0]
            if left == 0:
                break
            time.sleep(0.2)
        rows = db(data, "SELECT created_at_ms, updated_at_ms, status FROM outbox")
        sent = [r for r in rows if r[2] == "sent"]
        first = min(r[0] for r in rows); last = max(r[1] for r in sent)
        lat = [r[1] - r[0] for r in sent]
        stats = requests.get(gbase + "/_control/stats", timeout=5).json()
        print(f"outbound throughput: {n} messages, 20 phone numbers, {n} recipients, pacing off")
        print(f"  offered (POST /api/messages, 8 clients): {n / post_s:.0f} msg/s over {post_s:.2f} s, non-202: {len(errors)}")
        print(f"  sent: {len(sent)}/{n}, failed/unfinished: {n - len(sent)}; fake Graph counted {stats['sent']} sends")
        span = max(last - first, 1) / 1000.0
        print(f"  sender throughput (first enqueue -> last sent): {len(sent) / span:.0f} msg/s over {span:.2f} s")
        print(f"  queue->sent latency ms: p50 {percentile(lat, 50)}  p90 {percentile(lat, 90)}  p99 {percentile(lat, 99)}  max {max(lat)}")
    finally:
        stop(srv, fake)


def drain():
    """The sender's own rate, without the Python poster as the limit: the fake is frozen
    (SIGSTOP) while N messages are posted, so they pile up in the outbox (256 wait in flight);
    then it is resumed and the backlog drains. Throughput = N / (resume -> last sent)."""
    n = int(ARG or 5000)
    data, gbase, base, _, fake, srv = start({"SWITCHBOARD_SEND_RATE": "1000000", "SWITCHBOARD_PAIR_INTERVAL_MS": "0",
                                             "SWITCHBOARD_GRAPH_TIMEOUT_MS": "300000"})
    try:
        fake.send_signal(signal.SIGSTOP)
        post_s, errors = post_many(base, n, "drain-" + uuid.uuid4().hex[:6])
        resumed = time.time()
        fake.send_signal(signal.SIGCONT)
        deadline = time.time() + 300
        while time.time() < deadline:
            if db(data, "SELECT count(*) FROM outbox WHERE status NOT IN ('sent','failed')")[0][0] == 0:
                break
            time.sleep(0.1)
        rows = db(data, "SELECT updated_at_ms, status FROM outbox")
        sent = [r for r in rows if r[1] == "sent"]
        last = max(r[0] for r in sent) / 1000.0
        stats = requests.get(gbase + "/_control/stats", timeout=5).json()
        print(f"outbound drain: {n} messages queued while Graph was frozen ({n / post_s:.0f} msg/s offered), 20 phone numbers")
        print(f"  sent {len(sent)}/{n} in {last - resumed:.2f} s after resume: {len(sent) / max(last - resumed, 0.001):.0f} msg/s;"
              f" fake Graph counted {stats['sent']} sends; non-202: {len(errors)}")
    finally:
        fake.send_signal(signal.SIGCONT)
        stop(srv, fake)


def outage():
    down_s = float(ARG or 60)
    open_s = float(os.environ.get("SWITCHBOARD_BREAKER_OPEN_S", "30"))
    failures = int(os.environ.get("SWITCHBOARD_BREAKER_FAILURES", "5"))
    data, gbase, base, port, fake, srv = start({"SWITCHBOARD_PAIR_INTERVAL_MS": "0"})
    transitions = []
    ws = RawWS(port, "/ws?token=" + jwt_helper.token(SECRET, "ops", ["*"]), timeout=None)
    ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["system.health"]}))
    ws.recv_frame()
    def listen():
        while True:
            try:
                op, p = ws.recv_frame()
            except Exception:
                return
            if op == 9:  # answer the server's pings, or it closes the idle socket after 75 s
                ws.send_frame(10, p)
            elif op == 1:
                f = json.loads(p)
                if f.get("op") == "batch":
                    for e in f["events"]:
                        if e["type"] == "breaker.state_changed":
                            transitions.append((time.time(), e["data"]))
    threading.Thread(target=listen, daemon=True).start()
    try:
        requests.post(gbase + "/_control/faults", json={"mode": "http500", "seconds": down_s}, timeout=5)
        down_at = time.time()
        rate = 20.0
        n = int(down_s * rate)
        post_many(base, n, "outage-" + uuid.uuid4().hex[:6], threads=2, pace_per_s=rate)
        recovered_at = down_at + down_s
        deadline = recovered_at + 6 * open_s + 30
        while time.time() < deadline:
            left = db(data, "SELECT count(*) FROM outbox WHERE status NOT IN ('sent','failed')")[0][0]
            if left == 0 and time.time() > recovered_at:
                break
            time.sleep(0.2)
        drained_at = max(r[0] for r in db(data, "SELECT updated_at_ms FROM outbox")) / 1000.0
        status = dict(db(data, "SELECT status, count(*) FROM outbox GROUP BY status"))
        reqs = requests.get(gbase + "/_control/requests", timeout=30).json()["requests"]
        during = [r for r in reqs if down_at <= r["time"] < recovered_at]
        first_open = next((t for t in transitions if t[1]["to"] == "open"), None)
        before_open = [r for r in reqs if first_open and r["time"] <= first_open[0]]
        probes = [t for t in transitions if t[1]["to"] == "half_open"]
        print(f"outage: Graph failing everything for {down_s:.0f} s (http500), {n} messages offered at {rate:.0f}/s during it")
        print(f"  breaker: failures to open {failures}, open {open_s:.0f} s (doubling); transitions:")
        for t, d in transitions:
            print(f"    +{t - down_at:7.2f} s  {d['from']} -> {d['to']} ({d['reason']})")
        print(f"  Graph calls before the first open: {len(before_open)}; calls while down ({down_s:.0f} s): {len(during)}"
              f" (= trip failures + in-flight + {len([p for p in probes if p[0] < recovered_at])} probes)")
        graph_sent = requests.get(gbase + "/_control/stats", timeout=5).json()["sent"]
        print(f"  outcome: {status}; lost (not sent): {n - status.get('sent', 0)}; fake Graph accepted {graph_sent} sends"
              f" ({graph_sent - status.get('sent', 0)} duplicates from ambiguous timeouts)")
        print(f"  all sent {drained_at - recovered_at:.1f} s after recovery (budget: 2 open intervals = {2 * open_s:.0f} s)")
    finally:
        ws.close() if hasattr(ws, "close") else None
        stop(srv, fake)


{"throughput": throughput, "drain": drain, "outage": outage}.get(MODE, lambda: sys.exit("usage: bench-outbound.sh throughput [N] | drain [N] | outage [SECONDS]"))()
PY
