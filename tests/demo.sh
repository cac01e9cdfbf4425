#!/bin/sh
# make demo: read the log of a bundled real crash (a Debian 6.1 kernel
# crashed with sysrq-c under QEMU, trimmed by crashdmesg --save-minimal).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
core=$top/fixtures/real/bookworm-6.1.vmcore
bin=$top/crashdmesg/crashdmesg
echo "\$ crashdmesg --summary ${core#"$top"/}"
"$bin" --summary "$core"
echo
echo "\$ crashdmesg ${core#"$top"/} | tail -n 25"
"$bin" -q "$core" | tail -n 25
