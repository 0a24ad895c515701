#!/usr/bin/env bash
# Fuzzes the WebSocket frame parser and session with libFuzzer. Compiles the module's frame files
# (everything but the handshake, the one file that imports Crypto/OpenSSL) with fuzz/websocket/main.swift
# into .build-fuzz/, then runs with fuzz/websocket/seeds as seed corpus (new inputs go to .build-fuzz/).
#   FUZZ_RUNS=1000000 scripts/fuzz-websocket.sh   (default 1,000,000 runs, at most 600 s)
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
OUT=.build-fuzz/websocket
mkdir -p "$OUT/corpus"

sources=()
for f in Sources/WebSocket/*.swift; do
    [[ "$f" == */WebSocketHandshake.swift ]] && continue
    [[ "$f" == */MessageInflater+WebSocket.swift ]] && continue  # zlib: fuzzed by fuzz-deflate.sh
    sources+=("$f")
done

"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 \
    -module-name WebSocketFuzz "${sources[@]}" fuzz/websocket/main.swift -o "$OUT/fuzz-websocket"

exec "$OUT/fuzz-websocket" -runs="${FUZZ_RUNS:-1000000}" -max_total_time=600 -max_len=4096 \
    "$@" "$OUT/corpus" fuzz/websocket/seeds
