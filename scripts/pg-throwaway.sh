#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests: initdb into a temp dir, pg_ctl on a free 127.0.0.1 port,
# as a non-root user (postgres refuses to run as root), never a system service.
#   pg-throwaway.sh start DIR   → prints the connection URL (also written to DIR/url)
#   pg-throwaway.sh stop DIR    → stops that server (by its pid) and removes DIR
#   pg-throwaway.sh pause DIR / resume DIR → stop/start the same cluster (fault tests)
set -euo pipefail
bin=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/pg_ctl" ] && { bin=$candidate; break; }
done
[ -n "$bin" ] || { echo "pg-throwaway: no PostgreSQL server binaries (apt-get install postgresql-15)" >&2; exit 1; }
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg-throwaway.sh start|stop|pause|resume DIR" >&2; exit 2; }

# Runs a command as the owner of the cluster: ourselves, or (as root) an unprivileged user.
run_as_owner() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  local user=switchboard-test
  id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  chown -R "$user" "$dir"
  # runuser keeps the environment minimal; cd somewhere the user may read.
  (cd / && runuser -u "$user" -- "$@")
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_server() {
  run_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 -o "-p $(cat "$dir/port")" start >/dev/null
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    chmod 755 "$dir"
    port=$(free_port)
    echo "$port" > "$dir/port"
    run_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # Loopback only, socket in the temp dir (not /var/run/postgresql), tuned for throwaway use
    # except durability: synchronous_commit and fsync stay on, as in production.
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 128MB
CONF
    start_server
    url="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "$url" > "$dir/url"
    echo "$url"
    ;;
  pause)
    run_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    start_server
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      run_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "pg-throwaway: unknown command '$cmd'" >&2; exit 2 ;;
esac
