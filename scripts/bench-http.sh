#!/usr/bin/env bash
# HTTP baseline: wrk -t1 -c64 -d10s against GET /health/live of a release switchboard
# (--threads SB_THREADS, default 1, like the 1 nginx worker: wrk needs the other core) and against nginx answering `return 200`, in one run; prints both and the ratio.
# usage: bench-http.sh            env: SWITCHBOARD_BIN (default .build/release/switchboard),
#        DURATION (default 10s), CONNECTIONS (default 64), NGINX (default /usr/sbin/nginx),
#        RUNS (default 1; with N > 1 the whole run repeats N times and the medians are printed:
#        one run on a shared machine is noise), SLICES (default 1; see below)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ "${RUNS:-1}" -gt 1 ]; then
  RESULTS=()
  RUN_OUT="$(mktemp /tmp/switchboard-bench-http-run.XXXXXX)"
  for i in $(seq "$RUNS"); do
    echo "=== run $i/$RUNS"
    RUNS=1 bash "$0" | tee "$RUN_OUT"
    RESULTS+=("$(tail -1 "$RUN_OUT")")
  done
  rm -f "$RUN_OUT"
  echo "=== medians of $RUNS runs"
  python3 - "${RESULTS[@]}" <<'PY'
import json, statistics, sys
runs = [json.loads(a) for a in sys.argv[1:]]
def med(key): return statistics.median(float(r[key]) for r in runs)
def col(key): return " ".join(str(r[key]) for r in runs)
for key in ("switchboard_rps", "nginx_rps", "ratio", "switchboard_cpu_us_per_req", "nginx_cpu_us_per_req", "cpu_ratio"):
    print(f"{key:28s} median {med(key):10.2f}   runs: {col(key)}")
print(json.dumps({"scenario": "http", "runs": len(runs), "median_ratio": round(med("ratio"), 2),
                  "median_cpu_ratio": round(med("cpu_ratio"), 2),
                  "median_switchboard_cpu_us_per_req": round(med("switchboard_cpu_us_per_req"), 2),
                  "median_nginx_cpu_us_per_req": round(med("nginx_cpu_us_per_req"), 2)}))
PY
  exit 0
fi
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

NGINX_WORKER="$(pgrep -P "$NGINX_PID" | head -1)"
# CPU ticks (user+system) of a process, to report server CPU per request beside the throughput:
# on a shared 2-core machine req/s swings with neighbours, CPU per request much less.
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# With SLICES=N the DURATION is cut into N slices run alternately (switchboard, nginx, ...), so a
# neighbour's burst of load falls on both servers rather than on whichever ran at that moment.
SLICES="${SLICES:-1}"
SLICE="$(python3 -c "import sys; print(f'{float(sys.argv[1].rstrip(\"s\")) / int(sys.argv[2]):g}s')" "$DURATION" "$SLICES")"
echo "wrk -t1 -c$CONNECTIONS -d$DURATION GET /health/live (in $SLICES alternating slice(s) of $SLICE)"
SB_TICKS=0; NG_TICKS=0; SB_OUTS=""; NG_OUTS=""
for _ in $(seq "$SLICES"); do
  T0="$(ticks "$SB_PID")"
  OUT="$(wrk -t1 -c"$CONNECTIONS" -d"$SLICE" "http://127.0.0.1:$SB_PORT/health/live")"
  SB_TICKS=$(( SB_TICKS + $(ticks "$SB_PID") - T0 )); SB_OUTS+="$OUT"$'\n'
  T0="$(ticks "$NGINX_WORKER")"
  OUT="$(wrk -t1 -c"$CONNECTIONS" -d"$SLICE" "http://127.0.0.1:$NG_PORT/health/live")"
  NG_TICKS=$(( NG_TICKS + $(ticks "$NGINX_WORKER") - T0 )); NG_OUTS+="$OUT"$'\n'
done
echo "--- switchboard (--threads ${SB_THREADS:-1})"; echo "$SB_OUTS"
echo "--- nginx (1 worker, return 200)"; echo "$NG_OUTS"
HZ="$(getconf CLK_TCK)"
# req/s over all slices (requests / seconds measured by wrk), then CPU per request.
read -r SB_RPS NG_RPS RATIO SB_US NG_US CPU_RATIO < <(python3 - "$SB_OUTS" "$NG_OUTS" "$SB_TICKS" "$NG_TICKS" "$HZ" <<'PY'
import re, sys
def totals(out):
    runs = re.findall(r"(\d+) requests in ([\d.]+)(m?s)", out)
    reqs = sum(int(n) for n, _, _ in runs)
    secs = sum(float(t) / (1000 if unit == "ms" else 1) for _, t, unit in runs)
    return reqs, secs
(sb, sbs), (ng, ngs) = totals(sys.argv[1]), totals(sys.argv[2])
sbt, ngt, hz = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sbr = sb / sbs if sbs else 0
ngr = ng / ngs if ngs else 0
sbus = sbt * 1e6 / hz / sb if sb else 0
ngus = ngt * 1e6 / hz / ng if ng else 0
print(f"{sbr:.2f} {ngr:.2f} {sbr / ngr if ngr else 0:.2f} {sbus:.2f} {ngus:.2f} {ngus / sbus if sbus else 0:.2f}")
PY
)
printf '%-28s %12s req/s\n' "switchboard /health/live" "$SB_RPS" "nginx return 200" "$NG_RPS"
echo "ratio switchboard/nginx: $RATIO"
echo "server CPU per request: switchboard $SB_US us, nginx $NG_US us (efficiency ratio nginx/switchboard $CPU_RATIO)"
echo "{\"scenario\":\"http\",\"switchboard_rps\":${SB_RPS:-null},\"nginx_rps\":${NG_RPS:-null},\"ratio\":\"$RATIO\",\"switchboard_cpu_us_per_req\":$SB_US,\"nginx_cpu_us_per_req\":$NG_US,\"cpu_ratio\":\"$CPU_RATIO\"}"
