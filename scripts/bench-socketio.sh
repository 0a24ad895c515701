#!/usr/bin/env bash
# Socket.IO figures (issue 12), one command: fan-out to SUBSCRIBERS (1,000) WebSocket clients,
# publishing as fast as answered for DURATION (10) s with EVENT_BYTES (100) byte events, measured
# with wsload (scripts/wsload, built here) on
#   ws         /ws (protocol v1 batches)
#   sio-event  /socket.io/ per-event emits (one Socket.IO EVENT per hub event)
#   sio-batch  /socket.io/ batch mode (auth {"batch":true}: one `batch` event per hub frame)
#   py-sio     python-socketio's own server (asyncio + aiohttp), one emit per event to a room
# then polling: POLLERS (500) Engine.IO polling clients (scripts/bench-socketio.py, asyncio) on
# /socket.io/ while POLL_RATE (100) events/s are published for POLL_DURATION (10) s: p99 latency
# and server CPU. Prints each run's JSON and a table. Needs `make release` and the test venv
# (scripts/python-env.sh .venv) for python-socketio.
# env: SWITCHBOARD_BIN, VENV (.venv), SERVER_THREADS (2), SUBSCRIBERS, DURATION, EVENT_BYTES,
#      POLLERS, POLL_RATE, POLL_DURATION, RUNS (default "ws sio-event sio-batch py-sio poll")
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/bench-common.sh"
BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"
VENV="${VENV:-$ROOT/.venv}"
SERVER_THREADS="${SERVER_THREADS:-2}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
DURATION="${DURATION:-10}"
EVENT_BYTES="${EVENT_BYTES:-100}"
POLLERS="${POLLERS:-500}"
POLL_RATE="${POLL_RATE:-100}"
POLL_DURATION="${POLL_DURATION:-10}"
RUNS="${RUNS:-ws sio-event sio-batch py-sio poll}"
[ -x "$BIN" ] || { echo "bench-socketio: $BIN missing (make release)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "bench-socketio: $VENV missing (bash scripts/python-env.sh $VENV)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/switchboard-bench-socketio.XXXXXX)"
SB_PID=""
cleanup() { stop_pid "$SB_PID"; rm -rf "$WORK"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$WORK/wsload" "$HERE/wsload/wsload.c"

export SWITCHBOARD_AUTH_SECRET="bench-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SWITCHBOARD_API_KEY="bench-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
TOKEN="$(service_token bench-socketio)"

start_switchboard() {
  PORT="$(free_port)"
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  "$BIN" serve --host 127.0.0.1 --port "$PORT" --threads "$SERVER_THREADS" --data-dir "$WORK/data" >"$WORK/server-$1.log" 2>&1 &
  SB_PID=$!
  wait_http "http://127.0.0.1:$PORT/health/live"
}

start_pyserver() {
  PORT="$(free_port)"
  "$VENV/bin/python" "$HERE/bench-socketio.py" pyserver "$PORT" >"$WORK/server-py.log" 2>&1 &
  SB_PID=$!
  wait_http "http://127.0.0.1:$PORT/health/live"
}

# fanout LABEL PATH SUB-MSG...: one wsload run against the running server.
fanout() {
  local label="$1" path="$2"; shift 2
  local msgs=()
  for m in "$@"; do msgs+=(--sub-msg "$m"); done
  echo "### $label" >&2
  "$WORK/wsload" --mode batch --sub-url "ws://127.0.0.1:$PORT$path" "${msgs[@]}" \
    --pub-url "http://127.0.0.1:$PORT/api/publish" --pub-header "Authorization: Bearer $SWITCHBOARD_API_KEY" \
    --pub-body '{"topic":"{ch}","type":"bench","data":{payload}}' \
    -n "$SUBSCRIBERS" -d "$DURATION" -s "$EVENT_BYTES" -r 0 --server-pids "$SB_PID" --settle 2 --json \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r["label"]=sys.argv[1]; print(json.dumps(r))' "$label" \
    >>"$WORK/results.jsonl" || true
  stop_pid "$SB_PID"; SB_PID=""
}

SUB='42["subscribe",{"topics":["{ch}"]}]'
for run in $RUNS; do
  case "$run" in
    ws) start_switchboard ws; fanout ws "/ws?token=$TOKEN" '{"op":"subscribe","topics":["{ch}"]}' ;;
    sio-event) start_switchboard sio-event; fanout sio-event "/socket.io/?EIO=4&transport=websocket" "40{\"token\":\"$TOKEN\"}" "$SUB" ;;
    sio-batch) start_switchboard sio-batch; fanout sio-batch "/socket.io/?EIO=4&transport=websocket" "40{\"token\":\"$TOKEN\",\"batch\":true}" "$SUB" ;;
    py-sio) start_pyserver; fanout py-sio "/socket.io/?EIO=4&transport=websocket" '40' "$SUB" ;;
    poll)
      start_switchboard poll
      echo "### poll" >&2
      cpu0=$(awk '{print $14+$15}' "/proc/$SB_PID/stat")
      t0=$(date +%s.%N)
      "$VENV/bin/python" "$HERE/bench-socketio.py" poll "http://127.0.0.1:$PORT" "$TOKEN" bench.poll "$POLLERS" "$POLL_DURATION" "$POLL_RATE" "$SWITCHBOARD_API_KEY" \
        >"$WORK/poll.json"
      cpu1=$(awk '{print $14+$15}' "/proc/$SB_PID/stat")
      t1=$(date +%s.%N)
      python3 - "$WORK/poll.json" "$cpu0" "$cpu1" "$t0" "$t1" "$(getconf CLK_TCK)" >>"$WORK/results.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cpu_s = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[6])
wall = float(sys.argv[5]) - float(sys.argv[4])
r.update(label="poll", server_cpu_s=round(cpu_s, 2), server_cpu_pct_total=round(100 * cpu_s / wall, 1), wall_s=round(wall, 1))
print(json.dumps(r))
PY
      stop_pid "$SB_PID"; SB_PID="" ;;
    *) echo "bench-socketio: unknown run $run" >&2; exit 2 ;;
  esac
done

python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows: print(json.dumps(r))
print()
print(f"{'run':>10} {'delivered':>10} {'deliv/s':>10} {'loss':>7} {'srv CPU s':>9} {'us CPU/deliv':>12} {'p50 ms':>8} {'p99 ms':>8}")
for r in rows:
    if r["label"] == "poll":
        print(f"{'poll':>10} {r['delivered']:>10} {r['delivered'] / max(r['wall_s'], 1e-9):>10.0f} {1 - r['delivered'] / max(r['expected'], 1):>7.4f} "
              f"{r['server_cpu_s']:>9} {1e6 * r['server_cpu_s'] / max(r['delivered'], 1):>12.2f} {r['lat_ms']['p50']:>8} {r['lat_ms']['p99']:>8}"
              f"   ({r['clients']} pollers, {r['rate']:.0f} ev/s, server CPU {r['server_cpu_pct_total']}% of one core over {r['wall_s']} s)")
        continue
    cpu = r.get("server_cpu_s") or 0
    rate = r["delivered"] / max(r.get("wall_s") or r.get("duration_s") or 1, 1e-9)
    print(f"{r['label']:>10} {r['delivered']:>10} {rate:>10.0f} {r['loss']:>7.4f} {cpu:>9.2f} {1e6 * cpu / max(r['delivered'], 1):>12.3f} "
          f"{r['lat_ms']['p50']:>8} {r['lat_ms']['p99']:>8}")
PY
