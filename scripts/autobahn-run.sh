#!/usr/bin/env bash
# Starts the server with its echo endpoint on a free loopback port and runs Autobahn's
# fuzzingclient: by default 1.* to 10.* plus a permessage-deflate smoke subset of 12.*/13.*
# (what `make test` runs, a few minutes); `make conformance` passes "all" (1.* to 13.*, about an hour).
# usage: autobahn-run.sh /path/to/switchboard [CASES]   exit 0 only if no case FAILED.
set -uo pipefail
BIN="${1:?usage: autobahn-run.sh BIN [CASES]}"
CASES="${2:-fast,limits,deflate-smoke}"
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
LOG="$DATA/server.log"
"$BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$DATA" --echo-path /echo >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/live" 2>/dev/null && break
  sleep 0.1
done
AUTOBAHN_AGENT=switchboard bash "$HERE/autobahn.sh" "ws://127.0.0.1:$PORT/echo" "$CASES"
RC=$?
if ! kill -0 $PID 2>/dev/null; then echo "autobahn: the server died during the run" >&2; tail -20 "$LOG" >&2; exit 1; fi
exit $RC
