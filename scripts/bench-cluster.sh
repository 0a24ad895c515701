#!/usr/bin/env bash
# Cluster figures (issue 11), one command: a throwaway redis-server, then
#  1. one node, 1,000 subscribers, at RATE (2,000) events/s and at the maximum;
#  2. two nodes on Redis, the same 1,000 subscribers split over both, publishing on node A, at
#     RATE and at the maximum: delivered/s, p99 publish->deliver, server CPU (both nodes) per
#     delivered event, and Redis round trips per published event (node A's /health counters);
#  3. failover: CLIENTS (200) subscribers on node B, RATE events/s on A, kill -9 of B: events
#     lost by the reconnected clients and the time until all of them deliver again.
# Prints each run's report, then one table. usage: bench-cluster.sh
#   env: SUBSCRIBERS (1000), DURATION (10), EVENT_BYTES (100), RATE (2000), SERVER_THREADS (2), BENCH_THREADS (2)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/bench-common.sh"
BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"
BENCH="${BENCH_BIN:-$ROOT/.build/release/switchboard-bench}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}" DURATION="${DURATION:-10}" EVENT_BYTES="${EVENT_BYTES:-100}" RATE="${RATE:-2000}"
SERVER_THREADS="${SERVER_THREADS:-2}" BENCH_THREADS="${BENCH_THREADS:-2}"
TOPIC=bench.fanout
for b in "$BIN" "$BENCH" "$PY"; do [ -x "$b" ] || { echo "bench-cluster: $b missing (make release; scripts/python-env.sh .venv)" >&2; exit 1; }; done
command -v redis-server >/dev/null || { echo "bench-cluster: redis-server missing (scripts/install-deps.sh test)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/switchboard-bench-cluster.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

export SWITCHBOARD_AUTH_SECRET="bench-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SWITCHBOARD_API_KEY="bench-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
token() {  # ROLE TOPIC...
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, os, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(b'{"alg":"HS256","typ":"JWT"}')
body = b64(json.dumps({"sub": "bench", "role": sys.argv[1], "topics": sys.argv[2:],
                       "exp": int(time.time()) + 3600}, separators=(",", ":")).encode())
sig = hmac.new(os.environ["SWITCHBOARD_AUTH_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
}
TOKEN="$(token agent "$TOPIC" bench.failover)"
# Events are published over one WebSocket (role service), pipelined: a publisher's events share
# Redis round trips (HTTP answers one request at a time per connection, so one HTTP publisher
# would measure the round trip, not the cluster).
SERVICE_TOKEN="$(token service "$TOPIC")"

REDIS_PORT="$(free_port)"
mkdir -p "$WORK/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# start_node NAME [ENV...]: prints "pid port"
start_node() {
  local name="$1"; shift
  local port; port="$(free_port)"
  mkdir -p "$WORK/$name"
  env "$@" SWITCHBOARD_NODE_ID="$name" "$BIN" serve --host 127.0.0.1 --port "$port" --threads "$SERVER_THREADS" \
    --data-dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  echo "$! $port"
}
counter() { curl -fsS "http://127.0.0.1:$1/health" | python3 -c "import json,sys; print(json.load(sys.stdin)['services']['hub']['details'].get('$2', 0))"; }

fanout() {  # LABEL PORT PID [BENCH ARGS]
  local label="$1" port="$2" pid="$3"; shift 3
  echo; echo "### $label"
  "$BENCH" fanout --label "$label" --url "ws://127.0.0.1:$port/ws" --token "$TOKEN" --topic "$TOPIC" \
    --publish-url "http://127.0.0.1:$port/api/publish" --api-key "$SWITCHBOARD_API_KEY" \
    --subscribers "$SUBSCRIBERS" --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --publish-via ws --publish-token "$SERVICE_TOKEN" \
    --threads "$BENCH_THREADS" --server-pid "$pid" "$@" | tee -a "$WORK/out.txt"
}

echo "cluster: $SUBSCRIBERS subscribers, $EVENT_BYTES-byte events, $DURATION s per run, server threads $SERVER_THREADS per node"
for rate in "$RATE" 0; do
  read -r pid port < <(start_node single)
  PIDS+=("$pid"); wait_http "http://127.0.0.1:$port/health/live"
  fanout "1node-r$rate" "$port" "$pid" --rate "$rate"
  stop_pid "$pid"

  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  read -r pa porta < <(start_node node-a SWITCHBOARD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT")
  read -r pb portb < <(start_node node-b SWITCHBOARD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT")
  PIDS+=("$pa" "$pb"); wait_http "http://127.0.0.1:$porta/health/ready"; wait_http "http://127.0.0.1:$portb/health/ready"
  rt0="$(counter "$porta" publish_round_trips)"; ev0="$(counter "$porta" events_published)"
  fanout "2nodes-r$rate" "$porta" "$pa" --rate "$rate" --second-url "ws://127.0.0.1:$portb/ws" --second-server-pid "$pb"
  sleep 1.2  # health counters are sampled every second
  rt1="$(counter "$porta" publish_round_trips)"; ev1="$(counter "$porta" events_published)"
  python3 -c "import sys; rt,ev=$rt1-$rt0,$ev1-$ev0; print(f'redis round trips per published event (2nodes-r$rate): {rt}/{ev} = {rt/max(ev,1):.4f}')" | tee -a "$WORK/rt.txt"
  stop_pid "$pa"; stop_pid "$pb"
done

# History must hold what is published while clients move (10 s at RATE here; the default 1,000
# events is half a second at 2,000/s).
echo; echo "### failover (kill -9 of node B at ${RATE} events/s, SWITCHBOARD_HISTORY_MAX=$((RATE * 10)))"
redis-cli -p "$REDIS_PORT" flushall >/dev/null
FAILOVER_ENV=(SWITCHBOARD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" SWITCHBOARD_HISTORY_MAX=$((RATE * 10)))
read -r pa porta < <(start_node node-a "${FAILOVER_ENV[@]}")
read -r pb portb < <(start_node node-b "${FAILOVER_ENV[@]}")
PIDS+=("$pa" "$pb"); wait_http "http://127.0.0.1:$porta/health/ready"; wait_http "http://127.0.0.1:$portb/health/ready"
RATE="$RATE" "$PY" "$HERE/bench-failover.py" "$porta" "$portb" "$pb" "$TOKEN" "$SWITCHBOARD_API_KEY" | tee -a "$WORK/failover.txt"

echo; echo "### side by side"
grep '^{"scenario":"fanout"' "$WORK/out.txt" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
cols = [("label","run"),("publish_rate","pub/s"),("delivered_per_s","deliv/s"),("latency_us_p50","p50us"),
        ("latency_us_p99","p99us"),("loss","loss"),("gap_frames","gaps"),("server_cpu_s","srvCPU"),
        ("delivered_per_server_cpu_s","deliv/CPUs")]
def cell(r, k):
    v = r.get(k)
    if isinstance(v, float): return f"{v:.0f}" if v >= 100 else f"{v:.2f}"
    return "n/a" if v is None else str(v)
table = [[h for _, h in cols]] + [[cell(r, k) for k, _ in cols] for r in rows]
widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
for row in table: print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
'
cat "$WORK/rt.txt" "$WORK/failover.txt"
