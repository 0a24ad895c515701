#!/usr/bin/env bash
# Runs every libFuzzer target (HTTP parser, WebSocket frames/session, JSON parser, WhatsApp
# webhook decoder, RESP2 replies) for FUZZ_RUNS executions each (default 1,000,000) and prints the count
# libFuzzer reports for each.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export FUZZ_RUNS="${FUZZ_RUNS:-1000000}"
status=0
for t in http websocket json webhook resp engineio socketio; do
  script="$HERE/fuzz-$t.sh"
  [ -x "$script" ] || { echo "fuzz: $script missing" >&2; status=1; continue; }
  log=$(mktemp)
  if bash "$script" >"$log" 2>&1; then
    echo "fuzz $t: $(grep -E 'Done [0-9]+ runs' "$log" | tail -1)"
  else
    echo "fuzz $t: FAILED (see $log)" >&2
    tail -30 "$log" >&2
    status=1
  fi
done
exit $status
