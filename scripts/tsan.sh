#!/usr/bin/env bash
# `make tsan`: builds the server with ThreadSanitizer (its own build directory, debug mode so the
# reports name lines) and runs the integration tests against that binary. Every report TSan
# writes goes to a file under $TSAN_DIR; the run fails when there is any.
# usage: scripts/tsan.sh [pytest args...]   (default: Tests/integration)
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}"
BUILD=.build-tsan
TSAN_DIR="$(mktemp -d /tmp/switchboard-tsan.XXXXXX)"
"$SWIFT" build --build-path "$BUILD" -c debug --product switchboard -Xswiftc -sanitize=thread
BIN="$PWD/$BUILD/debug/switchboard"
# halt_on_error=0: keep serving so one race does not hide the next; reports go to files named
# by pid, which outlive the throwaway data dirs the tests use.
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 log_path=$TSAN_DIR/report"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(Tests/integration)
status=0
SWITCHBOARD_BIN="$BIN" .venv/bin/python -m pytest -q -p no:cacheprovider "${args[@]}" || status=$?
reports=$(find "$TSAN_DIR" -type f -name 'report*' | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "tsan: $reports report file(s) in $TSAN_DIR:" >&2
  grep -h "SUMMARY: ThreadSanitizer" "$TSAN_DIR"/report* | sort | uniq -c | sort -rn >&2
  exit 1
fi
echo "tsan: 0 reports"
rm -rf "$TSAN_DIR"
exit $status
