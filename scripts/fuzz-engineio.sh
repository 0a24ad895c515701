#!/usr/bin/env bash
# Builds the Engine.IO codec and session (their source files, over JSON and Crypto's base64 built
# separately) with libFuzzer and AddressSanitizer, and runs them. FUZZ_RUNS (default 1000000) and
# FUZZ_TIME (default 600 s) bound the run; extra arguments go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz/engineio
mkdir -p "$out/corpus"
SWIFTC=${SWIFTC:-swiftc}
flags=(-sanitize=fuzzer,address -parse-as-library -O)
"$SWIFTC" "${flags[@]}" -module-name Crypto -emit-module -emit-module-path "$out/Crypto.swiftmodule" \
    -emit-library -static -o "$out/libCrypto.a" Sources/Crypto/Encoding.swift
s=Sources/SocketIO
"$SWIFTC" "${flags[@]}" -module-name EngineIOFuzz -I "$out" -L "$out" -lCrypto \
    $s/EngineIOPacket.swift $s/EngineIOSession.swift $s/EngineIOSettings.swift fuzz/engineio/main.swift \
    -o "$out/fuzz-engineio"
printf '4hello\x1e2\x1e3' >"$out/corpus/payload"
printf '2probe' >"$out/corpus/probe"
printf 'bAQID\x1e40{"token":"x"}' >"$out/corpus/binary"
exec "$out/fuzz-engineio" "$out/corpus" -runs="${FUZZ_RUNS:-1000000}" -max_total_time="${FUZZ_TIME:-600}" -max_len=4096 "$@"
