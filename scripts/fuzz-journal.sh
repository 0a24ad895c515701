#!/usr/bin/env bash
# Builds the publication journal decoder (Store/Records/JournaledEvent.swift, no I/O) with
# libFuzzer and AddressSanitizer and runs it. FUZZ_RUNS (default 1000000) bounds the run; it also
# stops after 600 s.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
swiftc -sanitize=fuzzer,address -parse-as-library -O \
    -module-name JournalFuzz \
    Sources/Store/Records/JournaledEvent.swift fuzz/journal/main.swift \
    -o "$out/fuzz-journal"
exec "$out/fuzz-journal" -runs="${FUZZ_RUNS:-1000000}" -max_total_time=600 -max_len=4096 "$@"
