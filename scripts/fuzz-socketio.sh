#!/usr/bin/env bash
# Builds the Socket.IO packet decoder, the hub-request mapping and the hub frame transcoder (the
# SocketIO module over JSON, Crypto's base64 and the Hub's pure files) with libFuzzer and
# AddressSanitizer, and runs them. FUZZ_RUNS (default 1000000) and FUZZ_TIME (default 600 s)
# bound the run; extra arguments go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz/socketio
mkdir -p "$out/corpus"
SWIFTC=${SWIFTC:-swiftc}
flags=(-sanitize=fuzzer,address -parse-as-library -O)
"$SWIFTC" "${flags[@]}" -module-name Crypto -emit-module -emit-module-path "$out/Crypto.swiftmodule" \
    -emit-library -static -o "$out/libCrypto.a" Sources/Crypto/Encoding.swift fuzz/socketio/SecureRandomStub.swift
"$SWIFTC" "${flags[@]}" -module-name JSON -emit-module -emit-module-path "$out/JSON.swiftmodule" \
    -emit-library -static -o "$out/libJSON.a" Sources/JSON/*.swift
# The hub's codec needs only these of its files (no locks; OpenSSL's random replaced above).
h=Sources/Hub
"$SWIFTC" "${flags[@]}" -module-name Hub -I "$out" -emit-module -emit-module-path "$out/Hub.swiftmodule" \
    -emit-library -static -o "$out/libHub.a" \
    $h/ProtocolCodec.swift $h/ServerFrames.swift $h/ClientOp.swift $h/TopicName.swift $h/EncodedEvent.swift \
    $h/BatchAccumulator.swift $h/TopicLog.swift $h/EventRing.swift $h/SubscriptionGate.swift $h/AccessToken.swift
s=Sources/SocketIO
"$SWIFTC" "${flags[@]}" -module-name SocketIOFuzz -I "$out" -L "$out" -lJSON -lHub -lCrypto \
    $s/SocketIOPacket.swift $s/SocketIOEventRequest.swift $s/HubFrameTranscoder.swift $s/EventOffset.swift \
    $s/EventNameMap.swift $s/EngineIOPacket.swift fuzz/socketio/main.swift \
    -o "$out/fuzz-socketio"
printf '212["subscribe",{"topics":["inbox"],"since":{"inbox":{"epoch":"e","seq":1}}}]' >"$out/corpus/event"
printf '51-/x,3["upload",{"_placeholder":true,"num":0}]' >"$out/corpus/binary"
printf '{"op":"batch","topic":"t","epoch":"e","events":[{"seq":1,"type":"x","ts":2,"data":{}}]}' >"$out/corpus/frame"
exec "$out/fuzz-socketio" "$out/corpus" -runs="${FUZZ_RUNS:-1000000}" -max_total_time="${FUZZ_TIME:-600}" -max_len=4096 "$@"
