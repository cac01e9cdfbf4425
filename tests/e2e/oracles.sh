#!/bin/sh
# tests/e2e/oracles.sh: functions that turn what a real crash left (the first
# kernel's /dev/kmsg snapshot, vmcore-dmesg and makedumpfile output) into
# something crashdmesg's output can be compared with.  Sourced by
# tests/suites/e2e.sh and tests/e2e/make-real-fixtures.sh; sourcing it only
# defines functions.  Every rewrite of a peer's output is listed here, with
# the reason, and nowhere else.
#
# POSIX sh plus `local` (see .shellcheckrc); awk is whatever awk the host has
# (mawk on Debian), so no gawk extensions.

# vmcoreinfo_of CORE: print the VMCOREINFO note of the ELF core CORE, read by
# binutils' readelf (independent of crashkit's own ELF reader). Fails if the
# core has no VMCOREINFO note.
vmcoreinfo_of() {
	local notes
	notes=$(LC_ALL=C readelf -n -W -- "$1" 2>/dev/null) || return 1
	printf '%s\n' "$notes" | awk '
		BEGIN { for (i = 0; i < 16; i++) hex[substr("0123456789abcdef", i + 1, 1)] = i }
		/^ *VMCOREINFO / { want = 1 }
		want && /description data:/ {
			sub(/.*description data: */, "")
			n = split($0, b, " ")
			for (i = 1; i <= n; i++) {
				c = hex[substr(b[i], 1, 1)] * 16 + hex[substr(b[i], 2, 1)]
				if (c == 0) continue
				printf "%c", c
			}
			found = 1
			exit
		}
		END { exit !found }'
}

# vmcoreinfo_value FILE KEY: the value of KEY=value in the VMCOREINFO text FILE.
vmcoreinfo_value() {
	awk -v key="$2" 'index($0, key "=") == 1 { print substr($0, length(key) + 2); found = 1; exit }
		END { exit !found }' "$1"
}

# kmsg_check SNAPSHOT KMSG [wrapped]: every record of the /dev/kmsg snapshot
# SNAPSHOT (record line plus its " KEY=value" lines) appears identical in
# KMSG (crashdmesg --kmsg), whose sequence numbers must strictly increase.
# With "wrapped", snapshot records older than KMSG's first record are allowed
# to be missing (the ring wrapped after the snapshot was taken). Prints one
# line of counts, or the first mismatches; returns 0 when all is well.
kmsg_check() {
	awk -v wrapped="${3:-}" '
		function flush(which) {
			if (cur == "") return
			if (which == "core") {
				if (ncore > 0 && curseq + 0 <= last + 0) {
					printf "kmsg: crashdmesg seq %s follows seq %s\n", curseq, last
					bad++
				}
				last = curseq
				if (ncore == 0) first = curseq
				core[curseq] = cur
				ncore++
			} else {
				nsnap++
				if (!(curseq in core)) {
					if (wrapped != "" && curseq + 0 < first + 0) {
						pushed++
					} else if (bad++ < 5) {
						printf "kmsg: snapshot record seq %s missing from crashdmesg --kmsg\n", curseq
					}
				} else if (core[curseq] != cur) {
					if (bad++ < 5)
						printf "kmsg: record seq %s differs:\n  snapshot:   %s\n  crashdmesg: %s\n",
							curseq, cur, core[curseq]
				} else {
					same++
				}
			}
			cur = ""
		}
		FNR == 1 { flush(prev); prev = (NR == FNR) ? "core" : "snap" }
		/^[0-9]+,[0-9]+,[0-9]+,[^;]*;/ {
			flush(prev)
			split($0, f, ",")
			curseq = f[2]
			cur = $0
			next
		}
		/^ / && cur != "" { cur = cur "\n" $0; next }
		{ if (bad++ < 5) printf "kmsg: %s line %d is not a record: %s\n", FILENAME, FNR, $0 }
		END {
			flush(prev)
			if (nsnap == 0) { print "kmsg: the snapshot holds no record"; bad++ }
			printf "kmsg: %d snapshot records identical, %d pushed out by a wrap, %d crashdmesg records, %d problems\n",
				same, pushed, ncore, bad
			exit bad != 0
		}' "$2" "$1"
}

# kmsg_to_dmesg KMSG: render /dev/kmsg record lines as util-linux dmesg
# (2.38-2.40, LC_ALL=C) prints them: "[%5lu.%06lu] " then the unescaped text,
# where a byte that is neither isprint() nor isspace() is written "\xNN", a
# newline inside the text is followed by the prefix width of spaces, and an
# empty record is a bare newline; " KEY=value" lines are not printed.
kmsg_to_dmesg() {
	awk '
		BEGIN { for (i = 0; i < 16; i++) hex[substr("0123456789abcdef", i + 1, 1)] = i }
		!/^[0-9]+,[0-9]+,[0-9]+,[^;]*;/ { next }
		{
			split($0, f, ",")
			usec = f[3]
			text = substr($0, index($0, ";") + 1)
			if (text == "") { print ""; next }
			prefix = sprintf("[%5d.%06d] ", int(usec / 1000000), usec % 1000000)
			indent = sprintf("%" length(prefix) "s", "")
			out = prefix
			while ((i = index(text, "\\x")) > 0) {
				out = out substr(text, 1, i - 1)
				h = substr(text, i + 2, 2)
				c = hex[substr(h, 1, 1)] * 16 + hex[substr(h, 2, 1)]
				text = substr(text, i + 4)
				if (c == 10 && text != "") out = out "\n" indent
				else if (c == 10 || c == 9 || c == 11 || c == 12 || c == 13 || (c >= 32 && c < 127))
					out = out sprintf("%c", c)
				else out = out "\\x" h
			}
			print out text
		}' "$1"
}

# norm_makedumpfile FILE: rewrite `makedumpfile --dump-dmesg` output (1.7.2,
# lockless ring) into vmcore-dmesg's layout. Its quirks, each undone here:
#  1. a byte >= 0x80 goes through a plain (signed) char into "\\x%02x", so é
#     comes out "\xffffffc3\xffffffa9": rewritten "\xc3\xa9";
#  2. a newline inside a record is followed by the prefix width of spaces
#     (dmesg's indent; vmcore-dmesg does not indent): those spaces removed.
# Its third quirk, dropping every data-less record (5.10 stores an empty
# record data-less), is handled by drop_empty_records on the other side.
norm_makedumpfile() {
	awk '
		/^\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\] / {
			p = $0; sub(/\] .*/, "] ", p)
			indent = sprintf("%" length(p) "s", "")
			print; next
		}
		indent != "" && substr($0, 1, length(indent)) == indent { print substr($0, length(indent) + 1); next }
		{ print }' "$1" | sed 's/\\xffffff\([0-9a-f][0-9a-f]\)/\\x\1/g'
}

# drop_empty_records FILE: FILE (vmcore-dmesg layout) without the lines of
# empty records ("[ts] " and nothing else). Used only to compare with
# makedumpfile on a 5.10 core: makedumpfile skips data-less records and 5.10
# stores an empty record data-less (later kernels give it a data block).
drop_empty_records() {
	grep -v -x -E '\[ *[0-9]+\.[0-9]{6}\] ' "$1" || true
}

# json_check SNAPSHOT JSON [wrapped]: every record of the /dev/kmsg snapshot
# is in crashdmesg --json (one object per line) with the same seq,
# ts_nsec / 1000 == usec, facility << 3 | level == prio, text (code points
# U+0000-U+00FF are bytes; the snapshot's \xNN escapes undone) and dev_info
# (SUBSYSTEM= / DEVICE= lines). Every line must parse as JSON. With
# "wrapped", records older than the first JSON record may be missing.
json_check() {
	/usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import json, re, sys
snap, js, wrapped = sys.argv[1], sys.argv[2], sys.argv[3]
unesc = lambda t: re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), t)
core, problems = {}, []
with open(js, "rb") as f:
    for n, line in enumerate(f, 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            problems.append("json line %d does not parse: %s" % (n, e))
            continue
        core[o["seq"]] = o
recs = []
with open(snap, "rb") as f:
    for line in f.read().split(b"\n"):
        if line.startswith(b" ") and recs:
            k, _, v = line[1:].partition(b"=")
            recs[-1][4][k.decode().lower()] = unesc(v).decode("latin-1")
        elif line:
            head, _, text = line.partition(b";")
            prio, seq, usec = (int(x) for x in head.split(b",")[:3])
            recs.append((prio, seq, usec, unesc(text).decode("latin-1"), {}))
first = min(core) if core else 0
same = pushed = 0
for prio, seq, usec, text, dev in recs:
    o = core.get(seq)
    if o is None:
        if wrapped and seq < first:
            pushed += 1
        else:
            problems.append("seq %d missing from --json" % seq)
        continue
    got = ((o["facility"] << 3) | o["level"], o["ts_nsec"] // 1000, o["text"], o["dev_info"] or {})
    if got != (prio, usec, text, dev):
        problems.append("seq %d: snapshot %r, json %r" % (seq, (prio, usec, text, dev), got))
    else:
        same += 1
for p in problems[:5]:
    print("json: " + p)
print("json: %d snapshot records identical, %d pushed out by a wrap, %d json records, %d problems"
      % (same, pushed, len(core), len(problems)))
sys.exit(1 if problems or not recs else 0)
PY
}
