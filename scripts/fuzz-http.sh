#!/usr/bin/env bash
# Builds the HTTP request-parser fuzzer (libFuzzer + AddressSanitizer, with the toolchain's own
# fuzzer runtime) and runs it on a corpus seeded from fuzz/http/seeds/.
#   FUZZ_RUNS   executions (default 1000000)
#   FUZZ_TIME   wall-clock cap in seconds (default 600)
# Extra arguments are passed to libFuzzer (e.g. a crash file to reproduce it).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
OUT=.build-fuzz
CORPUS="$OUT/corpus-http"
mkdir -p "$OUT" "$CORPUS"
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -module-name HTTPFuzz \
    Sources/HTTP/*.swift fuzz/http/main.swift -o "$OUT/http-fuzz"
# libFuzzer reports crashes itself; Swift's backtracer would hold the output open for minutes.
export SWIFT_BACKTRACE=enable=no
cp -n fuzz/http/seeds/* "$CORPUS/" 2>/dev/null || true
exec "$OUT/http-fuzz" "$CORPUS" -runs="${FUZZ_RUNS:-1000000}" -max_total_time="${FUZZ_TIME:-600}" \
    -artifact_prefix="$OUT/" -print_final_stats=1 "$@"
