#!/usr/bin/python3
"""kdump_oracle.py - read a kdump-compressed file with libkdumpfile and
compare every page with what the writer was given.

Usage: /usr/bin/python3 kdump_oracle.py DUMP EXPECT

EXPECT is a text file written by kdump_writer_test.c:
    page_size N
    arch NAME       (libkdumpfile's arch.name: x86_64, ia32, ...)
    osrelease TEXT
    pfn KIND        (one line per pfn below max_mapnr)
where KIND is "data" (the page reads back as EXPECT.bin's bytes at
pfn * page_size), "hole" or "excluded" (libkdumpfile raises NoDataException),
or "lost" (an incomplete dump's page: descriptor offset 0; libkdumpfile 0.5.1
raises CorruptException "Wrong page size: 0", spec dump-formats.md §1.10).

Prints one line, "kdump_oracle: N pages ok" or the first mismatches, and
exits 0 when everything matches, 1 otherwise.  Debian's python3-libkdumpfile
(0.5.1) is the reader: run it with /usr/bin/python3.
"""
import sys

import kdumpfile
from kdumpfile import exceptions


def main():
    dump, expect = sys.argv[1], sys.argv[2]
    with open(expect) as f:
        lines = f.read().splitlines()
    page_size = int(lines[0].split()[1])
    arch = lines[1].split()[1]
    osrelease = lines[2].split(None, 1)[1]
    with open(expect + ".bin", "rb") as f:
        data = f.read()

    ctx = kdumpfile.kdumpfile(dump)
    errors = []
    got = ctx.attr["linux.uts.release"]
    if got != osrelease:
        errors.append("linux.uts.release %r, expected %r" % (got, osrelease))
    if ctx.attr["arch.name"] != arch:
        errors.append("arch.name %r, expected %r" % (ctx.attr["arch.name"], arch))
    if ctx.attr["arch.page_size"] != page_size:
        errors.append("arch.page_size %r" % ctx.attr["arch.page_size"])

    checked = 0
    for line in lines[3:]:
        pfn_text, kind = line.split()
        pfn = int(pfn_text)
        addr = pfn * page_size
        try:
            # Machine-physical equals kernel-physical outside Xen, and
            # reading it needs no page tables (a KPHYSADDR read makes
            # libkdumpfile 0.5.1 set up x86_64 translation, which fails
            # with "Cannot determine 5-level paging" on a dump without
            # kernel page tables).
            buf = ctx.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, page_size)
            outcome = "data"
        except exceptions.NoDataException:
            outcome = "nodata"
        except exceptions.CorruptException as e:
            outcome = "corrupt: %s" % e
        if kind == "data":
            if outcome != "data":
                errors.append("pfn %d: %s, expected data" % (pfn, outcome))
            elif bytes(buf) != data[addr:addr + page_size]:
                errors.append("pfn %d: contents differ" % pfn)
        elif kind in ("hole", "excluded"):
            if outcome != "nodata":
                errors.append("pfn %d: %s, expected no data" % (pfn, outcome))
        elif kind == "lost":
            if not outcome.startswith("corrupt"):
                errors.append("pfn %d: %s, expected a lost page" % (pfn, outcome))
        checked += 1
    if errors:
        print("kdump_oracle: %d errors: %s" % (len(errors), "; ".join(errors[:5])))
        return 1
    print("kdump_oracle: %d pages ok" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
