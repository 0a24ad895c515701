#!/usr/bin/env bash
# nginx + nchan reference server for bench-compare.sh, with its own prefix and pid file.
# usage: nchan.sh start|stop|status|pid      env: NCHAN_PREFIX (default /tmp/switchboard-nchan),
#        NCHAN_PORT (default 8090), NCHAN_WORKERS (default 1), NGINX (default /usr/sbin/nginx)
# needs the Debian packages nginx (or nginx-light) and libnginx-mod-nchan.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${NCHAN_PREFIX:-/tmp/switchboard-nchan}"
PORT="${NCHAN_PORT:-8090}"
WORKERS="${NCHAN_WORKERS:-1}"
NGINX="${NGINX:-/usr/sbin/nginx}"
CONF="$PREFIX/nginx.conf"
PIDF="$PREFIX/nginx.pid"

running() { [[ -f "$PIDF" ]] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }

start() {
  if running; then echo "nchan: already running (pid $(cat "$PIDF"))"; return 0; fi
  mkdir -p "$PREFIX/logs" "$PREFIX/tmp"
  sed "s/__LISTEN__/127.0.0.1:$PORT/" "$HERE/nchan.conf" > "$CONF"
  "$NGINX" -p "$PREFIX/" -c "$CONF" -e "$PREFIX/logs/error.log" -g "worker_processes $WORKERS;" -t -q
  "$NGINX" -p "$PREFIX/" -c "$CONF" -e "$PREFIX/logs/error.log" -g "worker_processes $WORKERS;"
  for _ in $(seq 50); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/health" 2>/dev/null; then
      echo "nchan: started pid $(cat "$PIDF") ($WORKERS worker(s)) on 127.0.0.1:$PORT"; return 0; fi
    sleep 0.1
  done
  echo "nchan: did not come up, see $PREFIX/logs/error.log" >&2; return 1
}

stop() {
  if ! running; then echo "nchan: not running"; rm -f "$PIDF"; return 0; fi
  local pid; pid="$(cat "$PIDF")"
  kill -QUIT "$pid"                       # graceful; the master removes its pid file
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || { echo "nchan: stopped"; return 0; }; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true; sleep 0.5; echo "nchan: stopped (TERM)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running pid $(cat "$PIDF")"; else echo "stopped"; exit 1; fi ;;
  # The worker's pid (with one worker it does all the work; its CPU is what we compare).
  pid) running && { pgrep -P "$(cat "$PIDF")" | head -1; } ;;
  *) echo "usage: $0 start|stop|status|pid" >&2; exit 2 ;;
esac
