#!/usr/bin/python3
"""Report the compression a kdump-compressed file (LP64, little-endian)
says it uses, read from its own bytes (no dump library).

usage: kdump_codec.py DUMP [WANT]

Prints one line: the header's status word and, per flags value, how many
page descriptors carry it, e.g. "status 0x20, descriptors: 0x20 8123,
0x0 411".  Flags: 0x1 zlib, 0x2 lzo, 0x4 snappy, 0x20 zstd, 0 raw (a page
that did not shrink).  With WANT (zlib, lzo, snappy, zstd): exit 0 when
the status has that bit and every descriptor is raw or has that bit and
only it, at least one has it, and the whole file is smaller than its
distinct data blocks would be uncompressed (descriptors may share a block:
makedumpfile points zero pages found while writing at one zero block);
else exit 1 with the reason.

Layout (makedumpfile's diskdump_mod.h): disk_dump_header with status at
424 and block_size, sub_hdr_size, bitmap_blocks at 428/432/436; the page
descriptors {u64 offset, u32 size, u32 flags, u64 page_flags} start at
block (1 + sub_hdr_size + bitmap_blocks); their count is the number of
bits set in the second half of the bitmap.
"""
import os
import struct
import sys

CODECS = {"zlib": 0x1, "lzo": 0x2, "snappy": 0x4, "zstd": 0x20}
DESC = struct.Struct("<QIIQ")


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] not in CODECS):
        sys.exit(__doc__)
    path = argv[1]
    with open(path, "rb") as f:
        head = f.read(448)
        if len(head) < 448 or head[:8] != b"KDUMP   ":
            print("%s: not a kdump-compressed file" % path)
            return 1
        status, block, sub_blocks, bitmap_blocks = struct.unpack_from("<IiII", head, 424)
        if block <= 0 or block % 512 or bitmap_blocks % 2:
            print("%s: implausible block_size %d or bitmap_blocks %d" % (path, block, bitmap_blocks))
            return 1
        half = bitmap_blocks // 2 * block
        f.seek((1 + sub_blocks) * block + half)
        bitmap2 = f.read(half)
        if len(bitmap2) != half:
            print("%s: bitmap cut short" % path)
            return 1
        count = sum(bin(b).count("1") for b in bitmap2)
        f.seek((1 + sub_blocks + bitmap_blocks) * block)
        table = f.read(count * DESC.size)
        if len(table) != count * DESC.size:
            print("%s: descriptor table cut short" % path)
            return 1
    flags = {}
    blocks = set()
    for i in range(count):
        off, _size, fl, _pf = DESC.unpack_from(table, i * DESC.size)
        flags[fl] = flags.get(fl, 0) + 1
        blocks.add(off)
    size = os.stat(path).st_size
    raw = len(blocks) * block
    print("%s: status 0x%x, %d descriptors (%d data blocks): %s; %d bytes, %.3f of the blocks raw" % (
        path, status, count, len(blocks), ", ".join("0x%x %d" % kv for kv in sorted(flags.items())),
        size, size / raw if raw else 0))
    if len(argv) == 2:
        return 0
    bit = CODECS[argv[2]]
    if not status & bit:
        print("  status lacks the %s bit 0x%x" % (argv[2], bit))
        return 1
    other = [fl for fl in flags if fl not in (0, bit)]
    if other:
        print("  descriptors with other flags: %s" % ", ".join("0x%x" % fl for fl in other))
        return 1
    if not flags.get(bit):
        print("  no descriptor has the %s bit" % argv[2])
        return 1
    if size >= raw:
        print("  not smaller than its data blocks uncompressed (%d bytes)" % raw)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
