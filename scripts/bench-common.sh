# Shared by the bench scripts (sourced): free loopback ports, waiting for a server, stopping by pid.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: up to 10 s for a 200.
wait_http() {
  for _ in $(seq 100); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 did not answer" >&2; return 1
}

# stop_pid PID: TERM, wait up to 5 s, then KILL.
stop_pid() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# wrk_rps OUTPUT: the Requests/sec number from wrk's report.
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' <<<"$1"; }

# service_token SUBJECT: an HS256 token of role service for every topic, signed with
# $SWITCHBOARD_AUTH_SECRET (the claims `switchboard token --role service --topics '*'` writes).
service_token() {
  python3 - "$1" <<'PY'
import base64, hashlib, hmac, json, os, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(b'{"alg":"HS256","typ":"JWT"}')
body = b64(json.dumps({"sub": sys.argv[1], "role": "service", "topics": ["*"], "exp": int(time.time()) + 3600},
                      separators=(",", ":")).encode())
sig = hmac.new(os.environ["SWITCHBOARD_AUTH_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
}
