#!/usr/bin/env bash
# Inbound (WhatsApp webhook) benchmarks of issue 4, in one run:
#   1. peak durably acknowledged signed webhooks/s over 64 connections, group commit ON vs OFF
#      (same binary, same disk, same run) and their ratio;
#   2. p99 POST->200 at 50% of that peak, group commit ON (paced open-loop load);
#   3. webhook sent -> message.received on a subscribed WebSocket, at 1,000 webhooks/s.
# Each phase gets a fresh server (its own data dir, free loopback port) so no phase inherits
# another's backlog. Data dirs live under the repo's .build-bench/ (git-ignored): the same
# filesystem as the repo's ./data, so fsync costs what `make run` pays. Servers are stopped by pid.
# Every load is bounded in time (BENCH_SECONDS per phase, default 10); whole run about 1.5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# `bench-inbound.sh postgres`: the same figures on PostgreSQL, two nodes and failover (issue 10).
[ "${1:-}" = postgres ] && exec bash scripts/bench-inbound/postgres.sh
ROOT=$PWD
HERE=$ROOT/scripts/bench-inbound
BIN=${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}
SECONDS_PER_PHASE=${BENCH_SECONDS:-10}
BODIES=${BENCH_BODIES:-20000}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY=$ROOT/.venv/bin/python
APP_SECRET=bench-app-secret-0123456789
AUTH_SECRET=bench-auth-secret-0123456789abcdef
CLK_TCK=$(getconf CLK_TCK)

command -v wrk >/dev/null || { echo "bench-inbound: wrk is missing (scripts/install-deps.sh bench)" >&2; exit 2; }
if [ ! -x "$BIN" ]; then
  echo "bench-inbound: building $BIN" >&2
  swift build -c release --product switchboard
fi

mkdir -p "$ROOT/.build-bench"
WORK=$(mktemp -d "$ROOT/.build-bench/inbound.XXXXXX")
SERVER_PID=""
SUB_PID=""
cleanup() {
  [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server NAME on|off: sets SERVER_PID, SERVER_PORT, SERVER_DIR
start_server() {
  SERVER_DIR=$WORK/$1
  mkdir -p "$SERVER_DIR"
  SERVER_PORT=$(free_port)
  SWITCHBOARD_WA_APP_SECRET=$APP_SECRET SWITCHBOARD_AUTH_SECRET=$AUTH_SECRET SWITCHBOARD_GROUP_COMMIT=$2 \
    SWITCHBOARD_LOG_FORMAT=json \
    "$BIN" serve --host 127.0.0.1 --port "$SERVER_PORT" --data-dir "$SERVER_DIR" >"$SERVER_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$SERVER_PORT/health/live" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-inbound: server $1 did not start; log:" >&2
  tail -20 "$SERVER_DIR/server.log" >&2
  exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cpu_seconds() { awk -v t="$CLK_TCK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
inbox_rows() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=30).execute("SELECT COUNT(*) FROM inbox").fetchone()[0])' "$SERVER_DIR/switchboard.db"; }

echo "bench-inbound: data dirs under $WORK ($(df -P "$WORK" | awk 'NR==2{print $1}')), ${SECONDS_PER_PHASE}s per phase, $(nproc) cores"
echo "bench-inbound: one fsync'd SQLite transaction on this filesystem: $(cd "$HERE" && $PY commit_cost.py "$WORK")"
echo "bench-inbound: generating $BODIES distinct signed text-message webhooks"
(cd "$HERE" && $PY wrk_bodies.py "$APP_SECRET" "$BODIES" "wrk$$" "$WORK/bodies.txt")

# ---- 1. peak acknowledged webhooks/s, group commit ON vs OFF -----------------------------------
for mode in on off; do
  start_server "peak-$mode" "$mode"
  cpu0=$(cpu_seconds "$SERVER_PID")
  BODIES_FILE=$WORK/bodies.txt WRK_THREADS=$WRK_THREADS /usr/bin/time -f "%U %S %e" -o "$WORK/time-$mode.txt" \
    wrk -t"$WRK_THREADS" -c64 -d"${SECONDS_PER_PHASE}s" --timeout 10s --latency -s "$HERE/webhook.lua" \
    "http://127.0.0.1:$SERVER_PORT/webhooks/whatsapp" >"$WORK/wrk-$mode.txt"
  cpu1=$(cpu_seconds "$SERVER_PID")
  rows=$(inbox_rows)
  echo "--- wrk, group commit $mode ---"
  cat "$WORK/wrk-$mode.txt"
  (cd "$HERE" && $PY wrk_result.py "$WORK/wrk-$mode.txt" "$WORK/time-$mode.txt" \
    "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{print b-a}')" "$rows") >"$WORK/peak-$mode.json"
  echo "result: $(cat "$WORK/peak-$mode.json")"
  stop_server
done

# ---- 2. p99 POST->200 at 50% of the ON peak ------------------------------------------------------
half=$($PY -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["acked_per_s"] / 2))' "$WORK/peak-on.json")
start_server paced on
echo "--- paced load at $half/s (50% of peak), group commit on, 64 connections ---"
cpu0=$(cpu_seconds "$SERVER_PID"); t0=$(date +%s.%N)
(cd "$HERE" && $PY paced_post.py --port "$SERVER_PORT" --secret "$APP_SECRET" --rate "$half" \
  --duration "$SECONDS_PER_PHASE" --warmup 1 --connections 64 --procs 2) >"$WORK/paced.json"
echo "result: $(cat "$WORK/paced.json")"
echo "server CPU during paced load: $(awk -v a="$cpu0" -v b="$(cpu_seconds "$SERVER_PID")" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.0f%%", 100*(b-a)/(t1-t0)}') of one core; load average $(cut -d' ' -f1-3 /proc/loadavg)"
stop_server

# ---- 3. webhook -> message.received on a WebSocket at 1,000/s -------------------------------------
start_server e2e on
token=$($PY -c 'import sys; sys.path.insert(0, "Tests/integration"); import jwt_helper; print(jwt_helper.token(sys.argv[1], "agent", ["inbox", "conversation.*"], sub="bench"))' "$AUTH_SECRET")
(cd "$HERE" && exec $PY ws_subscriber.py --port "$SERVER_PORT" --token "$token" \
  --duration "$((SECONDS_PER_PHASE + 8))" --out "$WORK/arrivals.txt") >"$WORK/sub.out" &
SUB_PID=$!
for _ in $(seq 1 100); do grep -q ready "$WORK/sub.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/sub.out" || { echo "bench-inbound: subscriber did not subscribe" >&2; exit 1; }
echo "--- 1000 webhooks/s with send time embedded, subscriber on conversation.* ---"
cpu0=$(cpu_seconds "$SERVER_PID"); t0=$(date +%s.%N)
(cd "$HERE" && $PY paced_post.py --port "$SERVER_PORT" --secret "$APP_SECRET" --rate 1000 \
  --duration "$SECONDS_PER_PHASE" --warmup 1 --connections 64 --procs 2 --embed-time \
  --sent-out "$WORK/sent.txt") >"$WORK/e2e-sender.json"
echo "sender: $(cat "$WORK/e2e-sender.json")"
echo "server CPU during 1000/s: $(awk -v a="$cpu0" -v b="$(cpu_seconds "$SERVER_PID")" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.0f%%", 100*(b-a)/(t1-t0)}') of one core; load average $(cut -d' ' -f1-3 /proc/loadavg)"
wait "$SUB_PID"
SUB_PID=""
(cd "$HERE" && $PY e2e_join.py "$WORK/sent.txt" "$WORK/arrivals.txt") >"$WORK/e2e.json"
echo "result: $(cat "$WORK/e2e.json")"
echo "server inbox lag: $(cd "$HERE" && $PY inbox_lag.py "$SERVER_DIR/switchboard.db")"
stop_server

(cd "$HERE" && $PY summary.py "$WORK/peak-on.json" "$WORK/peak-off.json" "$WORK/paced.json" "$WORK/e2e.json" "$WORK/e2e-sender.json")
