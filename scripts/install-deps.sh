#!/usr/bin/env bash
# Installs the Debian packages a target needs, only those missing, so `make run` and `make test`
# work on a fresh machine. usage: install-deps.sh build|test|bench
set -euo pipefail
build=(libssl-dev libcurl4-openssl-dev libsqlite3-dev pkg-config)
build+=(zlib1g-dev)
build+=(libpq-dev)
test=(python3-venv chromium curl)
test+=(postgresql-15)
test+=(nodejs)  # node --test runs the JS client's and the ops console's unit tests
test+=(redis-server)  # throwaway Redis for the cluster tests (started by the tests themselves)
test+=(openssl)  # TLS tests make their CA and certificates with the openssl command
bench=(wrk nginx-light libnginx-mod-nchan)
want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  *) echo "install-deps.sh: unknown set '$1' (build|test|bench)" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# postgresql-15 is only for the tests' throwaway servers: no system cluster on install.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
