#!/usr/bin/env bash
# Overload: publishers as fast as the server answers (20 events per POST over 4 keep-alive
# connections) to 1,000 subscribers for 10 s, measured with wsload (scripts/wsload, built here).
# Reports per binary: subscribers still connected at the end, their loss, the accepted publish
# rate and the refused POSTs (429 overloaded). Give SWITCHBOARD_BIN_BEFORE to run an older build
# first in the same run (before/after). Loopback only; every run is bounded (connect 10 s,
# publish DURATION, drain at most 10 s).
# usage: bench-overload.sh     env: SUBSCRIBERS (1000), DURATION (10), EVENTS_PER_POST (20),
#   EVENT_BYTES (100), SERVER_THREADS (2), SWITCHBOARD_BIN (.build/release/switchboard),
#   SWITCHBOARD_BIN_BEFORE (unset), EXTRA_ENV ("NAME=V ..." for the servers)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/bench-common.sh"
BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"
BEFORE="${SWITCHBOARD_BIN_BEFORE:-}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
DURATION="${DURATION:-10}"
EVENTS_PER_POST="${EVENTS_PER_POST:-20}"
EVENT_BYTES="${EVENT_BYTES:-100}"
SERVER_THREADS="${SERVER_THREADS:-2}"
EXTRA_ENV="${EXTRA_ENV:-}"
for b in "$BIN" $BEFORE; do [ -x "$b" ] || { echo "bench-overload: $b missing (make release)" >&2; exit 1; }; done

WORK="$(mktemp -d /tmp/switchboard-bench-overload.XXXXXX)"
SB_PID=""
cleanup() { stop_pid "$SB_PID"; rm -rf "$WORK"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$WORK/wsload" "$HERE/wsload/wsload.c"

export SWITCHBOARD_AUTH_SECRET="bench-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export SWITCHBOARD_API_KEY="bench-key-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
# A service token reads every channel (same claims as `switchboard token --role service --topics '*'`).
TOKEN="$(python3 - <<'PY'
import base64, hashlib, hmac, json, os, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(b'{"alg":"HS256","typ":"JWT"}')
body = b64(json.dumps({"sub": "bench-overload", "role": "service", "topics": ["*"], "exp": int(time.time()) + 3600},
                      separators=(",", ":")).encode())
sig = hmac.new(os.environ["SWITCHBOARD_AUTH_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
)"

# run LABEL BINARY: a fresh server, one wsload run, its JSON report appended to results.jsonl.
run() {
  local label="$1" bin="$2" port
  port="$(free_port)"
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  env $EXTRA_ENV "$bin" serve --host 127.0.0.1 --port "$port" --threads "$SERVER_THREADS" --data-dir "$WORK/data" \
    >"$WORK/switchboard-$label.log" 2>&1 &
  SB_PID=$!
  wait_http "http://127.0.0.1:$port/health/live"
  echo "### $label ($bin)" >&2
  # wsload exits 1 when it sees loss; the report says how much, so that is not an error here.
  "$WORK/wsload" --mode batch --sub-url "ws://127.0.0.1:$port/ws" --token "$TOKEN" \
    --sub-msg '{"op":"subscribe","topics":["{ch}"]}' \
    --pub-url "http://127.0.0.1:$port/api/publish" --pub-header "Authorization: Bearer $SWITCHBOARD_API_KEY" \
    --pub-body '{"topic":"{ch}","type":"t","data":{payload}}' --pub-batch "$EVENTS_PER_POST" \
    -n "$SUBSCRIBERS" -d "$DURATION" -s "$EVENT_BYTES" -r 0 --server-pids "$SB_PID" --json \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r["label"]=sys.argv[1]; print(json.dumps(r))' "$label" \
    >>"$WORK/results.jsonl" || true
  stop_pid "$SB_PID"; SB_PID=""
}

echo "overload: $SUBSCRIBERS subscribers, $EVENTS_PER_POST events of $EVENT_BYTES bytes per POST, publishing as fast as answered for $DURATION s"
[ -n "$BEFORE" ] && run before "$BEFORE"
run after "$BIN"

python3 - "$WORK/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cols = ["run", "subs", "connected_end", "connected_%", "server_closes", "accepted_events", "accepted_ev/s",
        "refused_posts", "last_refusal", "expected", "delivered", "loss", "lat_p50_ms", "lat_p99_ms", "drain_capped"]
table = [cols]
for r in rows:
    closed = r["disconnects"]
    connected = r["subs"] - closed
    table.append([r["label"], str(r["subs"]), str(connected), f"{100 * connected / max(r['subs'], 1):.1f}",
                  str(r["server_closes"]), str(r["published"]), f"{r['publish_rate']:.0f}", str(r["publish_errors"]),
                  (r["publish_last_error"] or "-")[:40], str(r["expected"]), str(r["delivered"]), f"{r['loss']:.4f}",
                  str(r["lat_ms"]["p50"]), str(r["lat_ms"]["p99"]), str(r["drain_capped"]).lower()])
    print(json.dumps(r))
widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
print()
for row in table: print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
PY
