#!/usr/bin/env bash
# PostgreSQL mode of bench-inbound.sh (issue 10), one command: `scripts/bench-inbound.sh postgres`.
#   1. durably acknowledged signed webhooks/s over 64 connections: SQLite (one node), PostgreSQL
#      one node, PostgreSQL two nodes on one database (32 connections each, summed);
#   2. p99 POST->200 at half the PostgreSQL one-node peak;
#   3. webhook -> message.received p99 at 1,000/s on PostgreSQL;
#   4. failover: two nodes (SWITCHBOARD_LEASE_S=$FAILOVER_LEASE_S), paced load on both, kill -9 the
#      inbox lease holder mid-run: acknowledged webhooks lost, rows applied twice, time until the
#      survivor has applied everything the dead node had claimed or left.
# PostgreSQL is a throwaway 15 (scripts/pg-throwaway.sh) on the same disk, fsync and
# synchronous_commit on. Every server listens on 127.0.0.1 and is stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/scripts/bench-inbound
BIN=${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}
SECS=${BENCH_SECONDS:-10}
BODIES=${BENCH_BODIES:-20000}
FAILOVER_LEASE_S=${FAILOVER_LEASE_S:-5}
PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY=$ROOT/.venv/bin/python
APP_SECRET=bench-app-secret-0123456789
AUTH_SECRET=bench-auth-secret-0123456789abcdef
command -v wrk >/dev/null || { echo "bench-inbound postgres: wrk is missing (scripts/install-deps.sh bench)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "bench-inbound postgres: build $BIN first (swift build -c release --product switchboard)" >&2; exit 2; }

mkdir -p "$ROOT/.build-bench"
WORK=$(mktemp -d "$ROOT/.build-bench/inbound-pg.XXXXXX")
PGDIR=$(mktemp -d /tmp/sb-bench-pg.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bash "$ROOT/scripts/pg-throwaway.sh" stop "$PGDIR" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PGURL=$(bash "$ROOT/scripts/pg-throwaway.sh" start "$PGDIR")
psql_at() { psql -X -q -At "$PGURL" -c "SET search_path TO \"$1\"" -c "$2"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_node NAME [ENV=VALUE...]: prints "pid port"
start_node() {
  local name=$1; shift
  local dir=$WORK/$name port
  mkdir -p "$dir"
  port=$(free_port)
  env SWITCHBOARD_WA_APP_SECRET=$APP_SECRET SWITCHBOARD_AUTH_SECRET=$AUTH_SECRET SWITCHBOARD_LOG_FORMAT=json "$@" \
    "$BIN" serve --host 127.0.0.1 --port "$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health/live" 2>/dev/null && { echo "$pid $port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-inbound postgres: node $name did not start:" >&2; tail -5 "$dir/server.log" >&2; exit 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

acked_per_s() { (cd "$HERE" && $PY -c 'import json,sys,re
out=open(sys.argv[1]).read()
m=re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out); n=re.search(r"Non-2xx or 3xx responses: (\d+)", out)
secs=float(m.group(2))*{"ms":0.001,"s":1.0,"m":60.0}[m.group(3)]
print(round((int(m.group(1))-(int(n.group(1)) if n else 0))/secs,1))' "$1"); }
run_wrk() {  # PORT CONNECTIONS OUT
  BODIES_FILE=$WORK/bodies.txt wrk -t1 -c"$2" -d"${SECS}s" --timeout 10s --latency -s "$HERE/webhook.lua" \
    "http://127.0.0.1:$1/webhooks/whatsapp" >"$3"
}

echo "bench-inbound postgres: PostgreSQL $(psql -X -At "$PGURL" -c 'show server_version'), fsync=$(psql -X -At "$PGURL" -c 'show fsync'), ${SECS}s per phase, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$HERE" && $PY wrk_bodies.py "$APP_SECRET" "$BODIES" "pg$$" "$WORK/bodies.txt")

# ---- 1. peak durable webhooks/s ----------------------------------------------------------------
read -r pid port < <(start_node sqlite); PIDS+=("$pid")
run_wrk "$port" 64 "$WORK/wrk-sqlite.txt"; stop_pid "$pid"
SQLITE=$(acked_per_s "$WORK/wrk-sqlite.txt")
read -r pid port < <(start_node pg1 SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=peak1); PIDS+=("$pid")
run_wrk "$port" 64 "$WORK/wrk-pg1.txt"; stop_pid "$pid"
PG1=$(acked_per_s "$WORK/wrk-pg1.txt")
PG1_P99=$(awk '$1=="99%"{print $2}' "$WORK/wrk-pg1.txt")
read -r pa porta < <(start_node pg2a SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=peak2); PIDS+=("$pa")
read -r pb portb < <(start_node pg2b SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=peak2); PIDS+=("$pb")
run_wrk "$porta" 32 "$WORK/wrk-pg2a.txt" & w1=$!
run_wrk "$portb" 32 "$WORK/wrk-pg2b.txt" & w2=$!
wait $w1 $w2; stop_pid "$pa"; stop_pid "$pb"
PG2=$(awk -v a="$(acked_per_s "$WORK/wrk-pg2a.txt")" -v b="$(acked_per_s "$WORK/wrk-pg2b.txt")" 'BEGIN{print a+b}')
echo "peak acked webhooks/s: sqlite $SQLITE, postgres one node $PG1 (wrk p99 $PG1_P99), postgres two nodes $PG2"

# ---- 2. p99 POST->200 at half the PostgreSQL peak ------------------------------------------------
half=$(awk -v p="$PG1" 'BEGIN{printf "%d", p/2}')
read -r pid port < <(start_node paced SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=paced); PIDS+=("$pid")
(cd "$HERE" && $PY paced_post.py --port "$port" --secret "$APP_SECRET" --rate "$half" --duration "$SECS" --warmup 1 \
  --connections 64 --procs 2) >"$WORK/paced.json"
stop_pid "$pid"
echo "paced at $half/s (half the one-node peak): $(cat "$WORK/paced.json")"

# ---- 3. webhook -> message.received at 1,000/s -----------------------------------------------------
read -r pid port < <(start_node e2e SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=e2e); PIDS+=("$pid")
token=$($PY -c 'import sys; sys.path.insert(0, "Tests/integration"); import jwt_helper; print(jwt_helper.token(sys.argv[1], "agent", ["inbox", "conversation.*"], sub="bench"))' "$AUTH_SECRET")
(cd "$HERE" && exec $PY ws_subscriber.py --port "$port" --token "$token" --duration "$((SECS + 8))" --out "$WORK/arrivals.txt") >"$WORK/sub.out" &
sub=$!; PIDS+=("$sub")
for _ in $(seq 1 100); do grep -q ready "$WORK/sub.out" 2>/dev/null && break; sleep 0.1; done
(cd "$HERE" && $PY paced_post.py --port "$port" --secret "$APP_SECRET" --rate 1000 --duration "$SECS" --warmup 1 \
  --connections 64 --procs 2 --embed-time --sent-out "$WORK/sent.txt") >"$WORK/e2e-sender.json"
wait "$sub" || true
(cd "$HERE" && $PY e2e_join.py "$WORK/sent.txt" "$WORK/arrivals.txt") >"$WORK/e2e.json"
stop_pid "$pid"
echo "webhook -> message.received at 1000/s: $(cat "$WORK/e2e.json")"

# ---- 4. failover ------------------------------------------------------------------------------------
S=failover
read -r pa porta < <(start_node fa SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=$S SWITCHBOARD_LEASE_S=$FAILOVER_LEASE_S); PIDS+=("$pa")
for _ in $(seq 1 50); do [ "$(psql_at $S "SELECT count(*) FROM leases WHERE name='inbox'")" = 1 ] && break; sleep 0.1; done
read -r pb portb < <(start_node fb SWITCHBOARD_DATABASE_URL="$PGURL" SWITCHBOARD_DATABASE_SCHEMA=$S SWITCHBOARD_LEASE_S=$FAILOVER_LEASE_S); PIDS+=("$pb")
holder=$(psql_at $S "SELECT holder FROM leases WHERE name='inbox'")
[ "$holder" = "$(cat "$WORK/fa/node_id")" ] || { echo "bench-inbound postgres: expected fa to hold the inbox lease" >&2; exit 1; }
(cd "$HERE" && $PY paced_post.py --port "$porta" --secret "$APP_SECRET" --rate 300 --duration "$SECS" --warmup 0 \
  --connections 16 --procs 1 --run-tag fa) >"$WORK/fa.json" &
la=$!
(cd "$HERE" && $PY paced_post.py --port "$portb" --secret "$APP_SECRET" --rate 300 --duration "$SECS" --warmup 0 \
  --connections 16 --procs 1 --run-tag fb) >"$WORK/fb.json" &
lb=$!
sleep "$(awk -v s="$SECS" 'BEGIN{print s/2}')"
claimed=$(psql_at $S "SELECT count(*) FROM inbox WHERE status <> 'done'")
kill -KILL "$pa"; killed=$(date +%s.%N)
wait $la || true; wait $lb || true
takeover=""
for _ in $(seq 1 $(( (FAILOVER_LEASE_S + 30) * 10 ))); do
  if [ "$(psql_at $S "SELECT count(*) FROM inbox WHERE status <> 'done'")" = 0 ]; then
    takeover=$(awk -v a="$killed" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'); break
  fi
  sleep 0.1
done
stop_pid "$pb"
acked=$($PY -c 'import json,sys; print(sum(json.load(open(p))["statuses"].get("200",0) for p in sys.argv[1:]))' "$WORK/fa.json" "$WORK/fb.json")
rows=$(psql_at $S "SELECT count(*) FROM inbox")
applied=$(psql_at $S "SELECT count(*) FROM messages")
unread=$(psql_at $S "SELECT coalesce(sum(unread_count),0) FROM conversations")
echo "failover (lease ${FAILOVER_LEASE_S}s): acked $acked, stored $rows, rows not done at the kill $claimed, messages applied $applied, unread counted $unread"
echo "failover: lost $((acked > rows ? acked - rows : 0)) (acked but not stored), applied twice $((unread - applied)) (unread increments beyond messages), time until the survivor had applied everything: ${takeover:-not within the wait}s"
echo "summary: sqlite $SQLITE/s; postgres one node $PG1/s ($(awk -v a="$PG1" -v b="$SQLITE" 'BEGIN{printf "%.2f", a/b}')x sqlite); two nodes $PG2/s ($(awk -v a="$PG2" -v b="$PG1" 'BEGIN{printf "%.2f", a/b}')x one node)"
echo "(one run on a shared, busy 2-core machine: nodes, PostgreSQL and the load generators share the cores; re-run on a quiet machine for real figures)"
