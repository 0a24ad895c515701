#!/usr/bin/env bash
# Fan-out comparison: a release switchboard against nginx+nchan, same scenario (1,000 subscribers,
# 100-byte events, publish as fast as possible for 10 s, window 10 ms), then switchboard with
# SWITCHBOARD_BATCH_MAX_EVENTS=1, 2,000 events/s latency runs with window 10 and 0 (and nchan at
# the same rate), and a slow-consumer pair (2,000/s for 25 s, with and without one subscriber
# that never reads). "As fast as possible" is closed loop: the publisher pauses while subscribers
# are on average more than --max-lag (2,000) events behind, so the run measures the server. Prints each run's
# report, then one table side by side.
# usage: bench-compare.sh     env: SUBSCRIBERS (1000), DURATION (10), EVENT_BYTES (100), RATE (2000),
#   SWITCHBOARD_BIN, BENCH_BIN (.build/release/...), WINDOW_VAR (name of the batch window setting,
#   default SWITCHBOARD_BATCH_WINDOW_MS), BENCH_THREADS (2), SERVER_THREADS (2)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/bench-common.sh"
BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"
BENCH="${BENCH_BIN:-$ROOT/.build/release/switchboard-bench}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
DURATION="${DURATION:-10}"
EVENT_BYTES="${EVENT_BYTES:-100}"
RATE="${RATE:-2000}"
WINDOW_VAR="${WINDOW_VAR:-SWITCHBOARD_BATCH_WINDOW_MS}"
BENCH_THREADS="${BENCH_THREADS:-2}"
SERVER_THREADS="${SERVER_THREADS:-2}"
TOPIC=bench.fanout
for b in "$BIN" "$BENCH"; do [ -x "$b" ] || { echo "bench-compare: $b missing (make release)" >&2; exit 1; }; done

WORK="$(mktemp -d /tmp/switchboard-bench-compare.XXXXXX)"
RESULTS="$WORK/results.jsonl"
SB_PID=""
export NCHAN_PREFIX="$WORK/nchan" NCHAN_PORT="$(free_port)"
cleanup() {
  stop_pid "$SB_PID"
  bash "$HERE/nchan.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export SWITCHBOARD_AUTH_SECRET="bench-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SWITCHBOARD_API_KEY="bench-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

# A subscriber token for the bench topic: `switchboard token` when the binary has it, else the same
# HS256 JWT minted here (claims sub, role, topics, exp).
mint_token() {
  local role="$1"
  if "$BIN" token --help >/dev/null 2>&1; then
    "$BIN" token --sub "bench-$role" --role "$role" --topics "$TOPIC" --ttl 3600
  else
    python3 - "$role" "$TOPIC" <<'PY'
import base64, hashlib, hmac, json, os, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(b'{"alg":"HS256","typ":"JWT"}')
body = b64(json.dumps({"sub": "bench-" + sys.argv[1], "role": sys.argv[1], "topics": [sys.argv[2]],
                       "exp": int(time.time()) + 3600}, separators=(",", ":")).encode())
sig = hmac.new(os.environ["SWITCHBOARD_AUTH_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
  fi
}
TOKEN="$(mint_token agent)"

# run_switchboard LABEL "ENV=V ..." BENCH-ARGS...: fresh server with the settings, one fanout run.
run_switchboard() {
  local label="$1" envs="$2"; shift 2
  local port; port="$(free_port)"
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  env $envs "$BIN" serve --host 127.0.0.1 --port "$port" --threads "$SERVER_THREADS" --data-dir "$WORK/data" \
    >"$WORK/switchboard-$label.log" 2>&1 &
  SB_PID=$!
  wait_http "http://127.0.0.1:$port/health/live"
  echo; echo "### $label ($envs)"
  "$BENCH" fanout --label "$label" --url "ws://127.0.0.1:$port/ws" --token "$TOKEN" --topic "$TOPIC" \
    --publish-url "http://127.0.0.1:$port/api/publish" --api-key "$SWITCHBOARD_API_KEY" \
    --subscribers "$SUBSCRIBERS" --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --threads "$BENCH_THREADS" --server-pid "$SB_PID" "$@" | tee -a "$WORK/out.txt"
  stop_pid "$SB_PID"; SB_PID=""
}

run_nchan() {
  local label="$1"; shift
  bash "$HERE/nchan.sh" start >/dev/null
  local worker; worker="$(bash "$HERE/nchan.sh" pid)"
  echo; echo "### $label (nginx+nchan, 1 worker)"
  "$BENCH" fanout --label "$label" --nchan "http://127.0.0.1:$NCHAN_PORT" --topic "$TOPIC" \
    --subscribers "$SUBSCRIBERS" --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --threads "$BENCH_THREADS" --server-pid "$worker" "$@" | tee -a "$WORK/out.txt"
  bash "$HERE/nchan.sh" stop >/dev/null
}

echo "fan-out: $SUBSCRIBERS subscribers, $EVENT_BYTES-byte events, $DURATION s per run, server threads $SERVER_THREADS"
run_switchboard "sb-max-w10" "$WINDOW_VAR=10" --rate 0
run_nchan "nchan-max" --rate 0
run_switchboard "sb-max-w10-batch1" "$WINDOW_VAR=10 SWITCHBOARD_BATCH_MAX_EVENTS=1" --rate 0
run_switchboard "sb-${RATE}-w10" "$WINDOW_VAR=10" --rate "$RATE"
run_switchboard "sb-${RATE}-w0" "$WINDOW_VAR=0" --rate "$RATE"
run_nchan "nchan-${RATE}" --rate "$RATE"
# Slow consumer: at a sustainable rate, with a 256 KiB bound and 25 s runs, so that the one
# subscriber that never reads fills the kernel's socket buffers (several MB on loopback) and then
# crosses the bound within the run; compared with the same run without it.
SLOW_ENV="$WINDOW_VAR=10 SWITCHBOARD_MAX_CONN_BUFFER=262144"
run_switchboard "sb-${RATE}-25s" "$SLOW_ENV" --rate "$RATE" --duration 25
run_switchboard "sb-${RATE}-25s-slow1" "$SLOW_ENV" --rate "$RATE" --duration 25 --slow-consumers 1

echo; echo "### side by side"
grep '^{"scenario":"fanout"' "$WORK/out.txt" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
cols = [("label","run"),("publish_rate","pub/s"),("delivered_per_s","deliv/s"),("frames_per_s","frames/s"),
        ("latency_us_p50","p50us"),("latency_us_p99","p99us"),("latency_us_p999","p999us"),("loss","loss"),
        ("gap_frames","gaps"),("server_cpu_s","srvCPU"),("delivered_per_server_cpu_s","deliv/CPUs"),
        ("bench_cpu_s","benchCPU"),("slow_consumers","slow")]
def cell(r, k):
    v = r.get(k)
    if isinstance(v, float): return f"{v:.0f}" if v >= 100 else f"{v:.2f}"
    if isinstance(v, list): return ",".join(v) or "-"
    return "n/a" if v is None else str(v)
table = [[h for _, h in cols]] + [[cell(r, k) for k, _ in cols] for r in rows]
widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
for row in table: print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
'
