#!/usr/bin/env bash
# Builds the JSON module with libFuzzer (plus AddressSanitizer, so out-of-bounds reads in the
# unchecked -O build are caught) and runs it. FUZZ_RUNS (default 1000000) bounds the run; it also
# stops after 600 s. Extra arguments go to libFuzzer (e.g. a corpus directory).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
swiftc -sanitize=fuzzer,address -parse-as-library -O \
    -module-name JSONFuzz \
    Sources/JSON/*.swift fuzz/json/main.swift \
    -o "$out/fuzz-json"
exec "$out/fuzz-json" -runs="${FUZZ_RUNS:-1000000}" -max_total_time=600 -max_len=4096 "$@"
