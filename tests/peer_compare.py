#!/usr/bin/python3
"""Compare crashdmesg output with a peer's (or a generator's) output,
allowing only the differences named on the command line.

usage: peer_compare.py OURS THEIRS [ALLOW...]

Each ALLOW names one known, intended difference:
  stamped-empty   THEIRS has extra "[ sec.usec] " lines with no text:
                  vmcore-dmesg prints one for a data-lost record (FAILED_LPOS)
                  and one for each zero-length wrap marker of a 3.5-5.9 log;
                  crashdmesg prints neither (neither is a record).
  escape          THEIRS is a legacy buffer written raw: escape its bytes as
                  crashdmesg does (control bytes other than tab and newline,
                  and bytes >= 0x7f, as \\xNN; NUL bytes dropped) first.
  escape-dmesg    as escape, but with the dmesg rule: only tab and newline
                  pass raw (the default and --raw modes).
  mdf-escape      makedumpfile prints a byte >= 0x80 through a signed char:
                  "\\xffffffc3" is "\\xc3".
  mdf-indent      makedumpfile indents the continuation lines of a
                  multi-line record by the prefix width (dmesg's layout);
                  vmcore-dmesg does not: remove those spaces.
  empty-records   THEIRS drops empty records: drop OURS' "[ts] " lines too.
Exit 0 when equal after the allowed rewrites, else 1 with a short diff.
"""
import difflib
import re
import sys

STAMP_ONLY = re.compile(rb"^\[ *\d+\.\d{6}\] $")
STAMP = re.compile(rb"^\[ *\d+\.\d{6}\] ")


def escape_legacy(data, spaces=(0x09, 0x0A, 0x0B, 0x0C, 0x0D)):
    out = bytearray()
    for c in data:
        if c == 0:
            continue
        if (0x20 <= c < 0x7F) or c in spaces:
            out.append(c)
        else:
            out += b"\\x%02x" % c
    return bytes(out)


def unindent(lines):
    """Strip the continuation indent makedumpfile adds after an embedded newline."""
    out = []
    for line in lines:
        if out and line.startswith(b" " * 15) and not STAMP.match(line):
            line = line[15:]
        out.append(line)
    return out


def main():
    ours_path, theirs_path, allow = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    ours = open(ours_path, "rb").read()
    theirs = open(theirs_path, "rb").read()
    if "escape" in allow:
        theirs = escape_legacy(theirs)
    if "escape-dmesg" in allow:
        theirs = escape_legacy(theirs, (0x09, 0x0A))
    if "mdf-escape" in allow:
        theirs = re.sub(rb"\\xffffff([0-9a-f]{2})", rb"\\x\1", theirs)
    a = ours.split(b"\n")
    b = theirs.split(b"\n")
    if "mdf-indent" in allow:
        b = unindent(b)
    if "empty-records" in allow:
        a = [l for l in a if not STAMP_ONLY.match(l)]
        b = [l for l in b if not STAMP_ONLY.match(l)]
    if "stamped-empty" in allow:
        # Drop THEIRS' stamped-empty lines that OURS does not have.
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        kept = []
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "insert" and all(STAMP_ONLY.match(l) for l in b[j1:j2]):
                continue
            kept.extend(b[j1:j2])
        b = kept
    if a == b:
        return 0
    diff = difflib.unified_diff([l.decode("latin-1") for l in a],
                                [l.decode("latin-1") for l in b],
                                "crashdmesg", "peer", lineterm="", n=1)
    for i, line in enumerate(diff):
        if i >= 12:
            print("...")
            break
        print(line)
    return 1


if __name__ == "__main__":
    sys.exit(main())
