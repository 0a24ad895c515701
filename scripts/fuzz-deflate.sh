#!/usr/bin/env bash
# Fuzzes the inflating path of permessage-deflate with libFuzzer: frames with RSV1 through the
# parser and the session into zlib (MessageInflater), with small message limits, so deflate bombs,
# corrupt streams, fragmented compressed messages and context takeover are all explored. The
# Deflate module is compiled first (it imports the CZlib shim), then the WebSocket frame files
# with fuzz/deflate/main.swift, into .build-fuzz/deflate/.
#   FUZZ_RUNS=1000000 scripts/fuzz-deflate.sh   (default 1,000,000 runs, at most 600 s)
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
OUT=.build-fuzz/deflate
mkdir -p "$OUT/corpus"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6)

"$SWIFTC" "${FLAGS[@]}" -wmo -module-name Deflate -I Sources/CZlib -emit-module -emit-module-path "$OUT/Deflate.swiftmodule" \
    -emit-object Sources/Deflate/*.swift -o "$OUT/Deflate.o"

sources=()
for f in Sources/WebSocket/*.swift; do
    [[ "$f" == */WebSocketHandshake.swift ]] && continue
    sources+=("$f")
done
"$SWIFTC" "${FLAGS[@]}" -module-name WebSocketDeflateFuzz -I "$OUT" -I Sources/CZlib \
    "${sources[@]}" fuzz/deflate/main.swift "$OUT/Deflate.o" -lz -o "$OUT/fuzz-deflate"

exec "$OUT/fuzz-deflate" -runs="${FUZZ_RUNS:-1000000}" -max_total_time=600 -max_len=4096 \
    "$@" "$OUT/corpus" fuzz/deflate/seeds
