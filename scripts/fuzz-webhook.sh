#!/usr/bin/env bash
# Builds the webhook decoder (its source files, over the JSON module built separately) with
# libFuzzer and AddressSanitizer, and runs it on a corpus seeded with the WhatsApp test fixtures.
# FUZZ_RUNS (default 1000000) and FUZZ_TIME (default 600 s) bound the run; extra arguments go to
# libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz/webhook
mkdir -p "$out/corpus"
SWIFTC=${SWIFTC:-swiftc}
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -module-name JSON \
    -emit-module -emit-module-path "$out/JSON.swiftmodule" -emit-library -static -o "$out/libJSON.a" \
    Sources/JSON/*.swift
w=Sources/WhatsApp
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -module-name WebhookFuzz -I "$out" -L "$out" -lJSON \
    $w/WebhookDecoder.swift $w/InboundMessageDecoder.swift $w/JSONFields.swift $w/IntegralLiteral.swift \
    $w/KeyBytes.swift $w/StorageJSON.swift $w/WebhookPayload.swift $w/InboundMessage.swift \
    $w/MessageContent.swift $w/StatusUpdate.swift fuzz/webhook/main.swift \
    -o "$out/fuzz-webhook"
cp -n Tests/WhatsAppTests/Fixtures/*.json "$out/corpus/" 2>/dev/null || true
exec "$out/fuzz-webhook" "$out/corpus" -runs="${FUZZ_RUNS:-1000000}" -max_total_time="${FUZZ_TIME:-600}" -max_len=16384 "$@"
