#!/bin/sh
# A short run of every libFuzzer harness (make fuzz runs them longer).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
exec sh "$top/tests/fuzz/run.sh" "${FUZZ_SMOKE_SECONDS:-12}"
