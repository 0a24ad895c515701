#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 (scripts/pg-throwaway.sh) and its URL in
# SWITCHBOARD_TEST_DATABASE_URL; the server is stopped and its directory removed afterwards,
# whatever the command's outcome. usage: with-postgres.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/sb-pg.XXXXXX)
trap '"$here/pg-throwaway.sh" stop "$dir"' EXIT
url=$("$here/pg-throwaway.sh" start "$dir")
export SWITCHBOARD_TEST_DATABASE_URL="$url"
export SWITCHBOARD_TEST_PG_DIR="$dir"
export SWITCHBOARD_TEST_REQUIRE_POSTGRES=1
"$@"
