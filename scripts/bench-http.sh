#!/usr/bin/env bash
# HTTP baseline: wrk -t1 -c64 -d10s against GET /health/live of a release switchboard
# (--threads SB_THREADS, default 1, like the 1 nginx worker: wrk needs the other core) and against nginx answering `return 200`, in one run; prints both and the ratio.
# usage: bench-http.sh            env: SWITCHBOARD_BIN (default .build/release/switchboard),
#        DURATION (default 10s), CONNECTIONS (default 64), NGINX (default /usr/sbin/nginx)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
source "$HERE/bench-common.sh"
BIN="${SWITCHBOARD_BIN:-$ROOT/.build/release/switchboard}"
NGINX="${NGINX:-/usr/sbin/nginx}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
[ -x "$BIN" ] || { echo "bench-http: $BIN missing (make release)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench-http: wrk missing (scripts/install-deps.sh bench)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/switchboard-bench-http.XXXXXX)"
SB_PID=""; NGINX_PID=""
cleanup() {
  stop_pid "$SB_PID"
  [ -n "$NGINX_PID" ] && { kill -QUIT "$NGINX_PID" 2>/dev/null || true; sleep 0.3; kill -TERM "$NGINX_PID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT

SB_PORT="$(free_port)"
mkdir -p "$WORK/data"
"$BIN" serve --host 127.0.0.1 --port "$SB_PORT" --threads "${SB_THREADS:-1}" --data-dir "$WORK/data" >"$WORK/switchboard.log" 2>&1 &
SB_PID=$!
wait_http "http://127.0.0.1:$SB_PORT/health/live"

NG_PORT="$(free_port)"
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
sed "s/__LISTEN__/127.0.0.1:$NG_PORT/" "$HERE/nginx-http.conf" > "$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" -g "worker_processes 1; daemon on;"
wait_http "http://127.0.0.1:$NG_PORT/health/live"
NGINX_PID="$(cat "$WORK/nginx/nginx.pid")"

echo "wrk -t1 -c$CONNECTIONS -d$DURATION GET /health/live"
SB_OUT="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$SB_PORT/health/live")"
NG_OUT="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$NG_PORT/health/live")"
SB_RPS="$(wrk_rps "$SB_OUT")"; NG_RPS="$(wrk_rps "$NG_OUT")"
echo "--- switchboard (--threads ${SB_THREADS:-1})"; echo "$SB_OUT"
echo "--- nginx (1 worker, return 200)"; echo "$NG_OUT"
RATIO="$(python3 -c "import sys; a,b=float(sys.argv[1] or 0),float(sys.argv[2] or 0); print(f'{a/b:.2f}' if b else 'n/a')" "$SB_RPS" "$NG_RPS")"
printf '%-28s %12s req/s\n' "switchboard /health/live" "$SB_RPS" "nginx return 200" "$NG_RPS"
echo "ratio switchboard/nginx: $RATIO"
echo "{\"scenario\":\"http\",\"switchboard_rps\":${SB_RPS:-null},\"nginx_rps\":${NG_RPS:-null},\"ratio\":\"$RATIO\"}"
