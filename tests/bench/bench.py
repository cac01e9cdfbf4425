#!/usr/bin/python3
"""tests/bench/bench.py - helpers of tests/bench/run.sh (make bench).

  bench.py sparse IN OUT SIZE
      Write OUT: the ELF64 core IN (copied sparse) plus one more PT_LOAD that
      describes RAM beyond what the guest had (physical 4 GiB up, mapped in
      the direct map) and is a hole in the file, so that OUT is SIZE bytes
      long (e.g. 64G) yet holds the same notes and the same log at the same
      offsets.
  bench.py table RUNS OUTFILE LABEL=CORE... -- NAME=COMMAND...
      Time every COMMAND on every CORE: one warm-up run (page cache), then
      RUNS timed runs; the median wall time counts.  In COMMAND, {core} is
      the core and {out} a fresh output path (removed before each run, and
      outside the timed region: makedumpfile refuses to overwrite).  The
      first NAME is the subject: prints its ratio to each peer per core and
      its ratio between the last and the first core; writes the table to
      OUTFILE too.
  bench.py copy RUNS OUTFILE CORE SPARSE CRASHCOPY MDF_ZSTD CODEC_FLOOR
      crashcopy against makedumpfile on CORE (a real dump): for -d 31 and
      -d 1, lzo (-l, both, against Debian 12's makedumpfile) and zstd (-z,
      both, against MDF_ZSTD: a makedumpfile built with zstd, from
      tests/peers/fetch-makedumpfile-zstd.sh; Debian 12's is built without
      it and writes -z pages raw), each without --num-threads (each tool's
      default: crashcopy a worker per CPU, makedumpfile one thread), with
      crashcopy --num-threads 1 against makedumpfile's default (one
      compressor each), and with --num-threads 2 for both: median wall
      time of RUNS runs after a warm-up, the two tools' runs taking turns
      (makedumpfile also followed by
      `sync OUT`, as front-ends run it: crashcopy fsyncs OUT itself),
      output size, peak RSS, and the ratios crashcopy/makedumpfile.  Then
      MB/s of input against `cat CORE > /dev/null` (the floor), and
      crashcopy -l -d 31 --max-memory 64M on CORE and on SPARSE (the same
      core grown to 64 GiB by `sparse`), whose peak RSS must stay flat.
      Also crashcopy --estimate against the real output size and time,
      and the floor of a per-page codec: CODEC_FLOOR (codec_floor.c) times
      crashcopy's codec alone, in one thread, on the pages each dump
      stores; that CPU time spread over the workers, against
      makedumpfile's wall time, is a ratio no per-page copy on this many
      CPUs can beat (makedumpfile's own CPU time is shown beside it).
"""
import json
import os
import resource
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import time

PT_LOAD = 1
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
KERNEL_TEXT = 0xFFFFFFFF80000000


def parse_size(text):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    if text[-1].lower() in mult:
        return int(text[:-1]) * mult[text[-1].lower()]
    return int(text)


def sparse(src, dst, size):
    """Copy src to dst sparsely and describe a hole up to size as RAM."""
    tmp = dst + ".incomplete"
    subprocess.run(["cp", "--sparse=always", "--", src, tmp], check=True)
    with open(tmp, "r+b") as f:
        eh = list(EHDR.unpack(f.read(EHDR.size)))
        ident, phoff, phentsize, phnum = eh[0], eh[5], eh[9], eh[10]
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            sys.exit("bench.py sparse: %s is not a little-endian ELF64 core" % src)
        if phentsize != PHDR.size:
            sys.exit("bench.py sparse: %s: e_phentsize %d" % (src, phentsize))
        f.seek(phoff)
        phdrs = [PHDR.unpack(f.read(PHDR.size)) for _ in range(phnum)]
        first_data = min(p[2] for p in phdrs if p[5])
        if phoff + (phnum + 1) * PHDR.size > first_data:
            sys.exit("bench.py sparse: no room for one more program header in %s" % src)
        loads = [p for p in phdrs if p[0] == PT_LOAD]
        direct = [p for p in loads if p[3] < KERNEL_TEXT]
        if not direct:
            sys.exit("bench.py sparse: %s has no direct-map PT_LOAD" % src)
        page_offset = direct[0][3] - direct[0][4]
        paddr = max(1 << 32, max(p[4] + p[6] for p in loads))
        paddr = (paddr + (1 << 30) - 1) & ~((1 << 30) - 1)
        end = os.fstat(f.fileno()).st_size
        offset = (end + 4095) & ~4095
        if offset >= size:
            sys.exit("bench.py sparse: %s is already %d bytes" % (src, end))
        filesz = size - offset
        f.seek(phoff + phnum * PHDR.size)
        f.write(PHDR.pack(PT_LOAD, 7, offset, page_offset + paddr, paddr, filesz, filesz, 0))
        eh[10] = phnum + 1
        f.seek(0)
        f.write(EHDR.pack(*eh))
        f.truncate(size)
    os.rename(tmp, dst)


# Runs of a peer that died of a signal and were repeated (makedumpfile
# 1.7.2's and 1.7.6's --num-threads abort now and then: "libgcc_s.so.1 must
# be installed for pthread_exit to work"): "command" -> count.
crashed = {}


def run_once(argv, retry, out=None):
    """Run argv; with retry, a failed run (makedumpfile --num-threads aborts
    now and then) is counted and run again, at most 5 times, after removing
    the output it left (makedumpfile refuses to overwrite one: exit 1).
    Each run starts after a sync (untimed).
    Returns the wall time of the run that succeeded."""
    for _ in range(5):
        if out and os.path.exists(out):
            os.unlink(out)
        # Untimed: let the previous run's writeback, and the discards of
        # the output just removed (the root file system here is mounted
        # with discard), finish before this run starts, not during it.
        os.sync()
        t = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        if r.returncode == 0:
            return dt
        if not retry:
            break
        key = shlex.join(argv)
        crashed[key] = crashed.get(key, 0) + 1
    sys.exit("bench.py: %s exited %d" % (shlex.join(argv), r.returncode))


def median_times_in_turns(argvs, out, runs, retry):
    """One warm-up of each command, then runs runs of them taking turns: the
    medians, in argvs' order (retry[i]: as run_once's, for argvs[i]).  The
    machine's speed drifts (other guests on the host, writeback of earlier
    outputs); timed in turns, every tool meets the same drift, so their
    ratios hold better than blocks of runs one tool after the other would."""
    times = [[] for _ in argvs]
    for i in range(runs + 1):
        for j, argv in enumerate(argvs):
            t = run_once(argv, retry[j], out)
            if i:
                times[j].append(t)
    if out and os.path.exists(out):
        os.unlink(out)
    return [statistics.median(t) for t in times]


def median_time(argv, out, runs, retry=False):
    """One warm-up, then the median wall time of runs runs of argv."""
    return median_times_in_turns([argv], out, runs, [retry])[0]


def peak_rss_kib(argv, out, retry=False):
    """Peak RSS of one run of argv, measured by GNU time (a small C parent,
    so the figure is the tool's, not a forked Python's)."""
    report = (out or "/tmp/bench") + ".rss"
    for _ in range(5):
        if out and os.path.exists(out):
            os.unlink(out)
        r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # GNU time exits 128 + signal for a child killed by one.
        if r.returncode == 0 or not retry:
            break
        crashed[shlex.join(argv)] = crashed.get(shlex.join(argv), 0) + 1
    if r.returncode != 0:
        sys.exit("bench.py: %s exited %d" % (shlex.join(argv), r.returncode))
    with open(report) as f:
        kib = int(f.read().split()[-1])
    os.unlink(report)
    if out and os.path.exists(out):
        os.unlink(out)
    return kib


def time_rss(argv, out):
    """Wall time and peak RSS (KiB) of one run of argv (for slow ones)."""
    report = out + ".rss"
    if os.path.exists(out):
        os.unlink(out)
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench.py: %s exited %d" % (shlex.join(argv), r.returncode))
    with open(report) as f:
        kib = int(f.read().split()[-1])
    os.unlink(report)
    os.unlink(out)
    return dt, kib


def human(nbytes):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= div:
            return "%.0f %s" % (nbytes / div, unit)
    return "%d B" % nbytes


def table(runs, outfile, cores, commands):
    res = {}
    rss = {}
    outdir = os.path.dirname(os.path.abspath(outfile))
    for label, core in cores:
        for name, cmd in commands:
            out = os.path.join(outdir, "out.%s.%s" % (name, label))
            argv = [a.replace("{core}", core).replace("{out}", out) for a in shlex.split(cmd)]
            res[label, name] = median_time(argv, out, runs)
            rss[label, name] = peak_rss_kib(argv, out)
    subject = commands[0][0]
    lines = ["median wall time of %d runs after one warm-up, in ms" % runs]
    head = "%-22s" % "tool" + "".join("%16s" % ("%s (%s)" % (l, human(os.stat(c).st_size))) for l, c in cores)
    if len(cores) > 1:
        head += "%14s" % ("%s/%s" % (cores[-1][0], cores[0][0]))
    lines.append(head)
    for name, _ in commands:
        row = "%-22s" % name + "".join("%16.2f" % (res[l, name] * 1000) for l, _ in cores)
        if len(cores) > 1:
            row += "%14.2f" % (res[cores[-1][0], name] / res[cores[0][0], name])
        lines.append(row)
    lines.append("")
    lines.append("peak RSS in MiB")
    for name, _ in commands:
        lines.append("%-22s" % name + "".join("%16.1f" % (rss[l, name] / 1024) for l, _ in cores))
    lines.append("")
    lines.append("ratios %s/peer (< 1: %s is faster)" % (subject, subject))
    for label, _ in cores:
        for name, _ in commands[1:]:
            if name == "start-up":
                continue
            lines.append("  %-8s %s/%-22s %6.2f" % (label, subject, name, res[label, subject] / res[label, name]))
    base = [n for n, _ in commands if n == "start-up"]
    if base:
        lines.append("")
        lines.append("ratios net of process start-up (each time minus start-up's)")
        for label, _ in cores:
            ours = res[label, subject] - res[label, "start-up"]
            for name, _ in commands[1:]:
                if name == "start-up":
                    continue
                theirs = res[label, name] - res[label, "start-up"]
                if theirs > 0:
                    lines.append("  %-8s %s/%-22s %6.2f" % (label, subject, name, max(ours, 0) / theirs))
    lines.append("")
    lines.append("commands: " + "; ".join("%s = %s" % tuple(nc) for nc in commands))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(outfile + ".incomplete", "w") as f:
        f.write(text)
    os.rename(outfile + ".incomplete", outfile)


def run_size(argv, out, retry=False):
    """Run argv once; the size of out (removed after)."""
    if os.path.exists(out):
        os.unlink(out)
    run_once(argv, retry, out)
    size = os.stat(out).st_size
    os.unlink(out)
    return size


def mdf_version(exe):
    """makedumpfile's own version ("1.7.2") and whether -v says zstd enabled."""
    text = subprocess.run([exe, "-v"], capture_output=True, text=True).stdout
    words = text.split("\n")[0].split()
    version = words[words.index("version") + 1] if "version" in words[:-1] else "?"
    return version, any(l.split() == ["zstd", "enabled"] for l in text.split("\n"))


def child_cpu_ms(argv, out):
    """makedumpfile's user + system CPU time of one run of argv."""
    if out and os.path.exists(out):
        os.unlink(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out and os.path.exists(out):
        os.unlink(out)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def codec_floor_lines(core, crashcopy, codec_floor, workers, peer, out):
    """The floor of a per-page codec (see copy above): one line per row."""
    raw = out + ".raw"
    lines = ["the floor of a per-page codec: crashcopy's codec alone, one thread, on the pages each dump"
             " stores (tests/bench/codec_floor.c), spread over %d worker(s), against makedumpfile's wall"
             " time: no per-page copy here can go below it" % workers,
             "%-20s %7s %9s %9s %7s %7s  %s" % ("options", "pages", "codec ms", "/workers", "mdf ms", "floor",
                                                 "mdf CPU ms")]
    zstd = None
    for level in (31, 1):
        subprocess.run([crashcopy, "-d", str(level), "-f", core, raw], check=True,
                       stdout=subprocess.DEVNULL)
        for codec, (t_mdf, mdf_argv) in peer[level]:
            r = json.loads(subprocess.run([codec_floor, raw, codec], check=True, capture_output=True,
                                          text=True).stdout)
            zstd = r["zstd"]
            lines.append("%-20s %7d %9.0f %9.0f %7.0f %7.2f  %.0f" % (
                "-d %d %s" % (level, codec), r["pages"], r["cpu_ms"], r["cpu_ms"] / workers,
                t_mdf * 1000, r["cpu_ms"] / workers / (t_mdf * 1000), child_cpu_ms(mdf_argv, out)))
        os.unlink(raw)
    lines.append("(crashcopy links libzstd %s; makedumpfile-zstd loads Debian 13's)" % zstd)
    return lines


def copy_table(runs, outfile, core, sparse_core, crashcopy, mdf_zstd, codec_floor):
    outdir = os.path.dirname(os.path.abspath(outfile))
    out = os.path.join(outdir, "out.copy")
    core_size = os.stat(core).st_size
    deb_version, _ = mdf_version("makedumpfile")
    zstd_version, zstd_ok = mdf_version(mdf_zstd)
    if not zstd_ok:
        sys.exit("bench.py: %s -v does not say zstd enabled" % mdf_zstd)
    # (codec, crashcopy option, peer binary, peer option, peer label)
    codecs = (("lzo", "-l", "makedumpfile", "-l", "%s -l" % deb_version),
              ("zstd", "-z", mdf_zstd, "-z", "%s-zstd -z" % zstd_version))
    # Thread modes: "" both tools without --num-threads (crashcopy then
    # starts a worker per CPU, makedumpfile compresses in its one thread),
    # "-t1" crashcopy --num-threads 1 against makedumpfile without (one
    # compressor each), "-t2" --num-threads 2 for both.
    cases = []
    for level in (31, 1):
        for codec in codecs:
            for mode in ("", "-t1", "-t2"):
                cases.append((level, codec, mode))
    auto = json.loads(subprocess.run([crashcopy, "--json", "-l", "-d", "31", "-f", core, out],
                                     check=True, capture_output=True, text=True).stdout)["threads"]
    os.unlink(out)
    lines = ["crashcopy against makedumpfile on %s (%s, %d bytes)" % (core, human(core_size), core_size),
             "median wall time of %d runs after one warm-up, crashcopy's and makedumpfile's runs taking turns;"
             " size of the output; peak RSS (GNU time)" % runs,
             "lzo rows: crashcopy -l against Debian 12's makedumpfile %s -l" % deb_version,
             "zstd rows: crashcopy -z against makedumpfile-zstd %s -z (Debian 13's binary, tests/peers;"
             " Debian 12's has no zstd)" % zstd_version,
             "no -t: no --num-threads for either tool (crashcopy's default here: %d compress worker(s),"
             " one per CPU; makedumpfile: one thread)" % auto,
             "-t1: crashcopy --num-threads 1 against makedumpfile without (one compressor each);"
             " -t2: --num-threads 2 for both",
             "sync ms: makedumpfile, then coreutils `sync OUT` (fsync), as kdump front-ends run it"
             " (collector, sync, rename); crashcopy's own time always includes its fsync of OUT,"
             " so `dur` is crashcopy / (makedumpfile + sync)",
             "last column: the makedumpfile of the row and its options",
             "%-20s %7s %7s %5s %7s %5s %9s %9s %6s %7s %7s %5s %7s  %s" % (
                 "options", "cc ms", "mdf ms", "time", "sync ms", "dur", "cc MB", "mdf MB", "size",
                 "cc MiB", "mdf MiB", "RSS", "cc MB/s", "makedumpfile")]
    worst = {"time": 0, "size": 0, "rss": 0}
    worst_t1 = 0
    worst_dur = {"": 0, "-t1": 0}
    peer = {}  # makedumpfile's size and RSS per (level, codec, its options): -t1 reuses ""
    floor_peer = {31: [], 1: []}  # level -> [(codec, (makedumpfile's wall time, argv))]
    for level, (codec, cc_opt, mdf_bin, mdf_opt, mdf_label), mode in cases:
        cc_t = {"": [], "-t1": ["--num-threads", "1"], "-t2": ["--num-threads", "2"]}[mode]
        mdf_t = ["--num-threads", "2"] if mode == "-t2" else []
        cc = [crashcopy, cc_opt, "-d", str(level)] + cc_t + ["-f", core, out]
        mdf = [mdf_bin, mdf_opt, "-d", str(level)] + mdf_t + [core, out]
        # Each row times its makedumpfile (alone, then with sync) in turns
        # with its crashcopy.
        durable = ["sh", "-c", '"$@" && exec sync "$0"', out] + mdf
        t_cc, t_mdf, t_sync = median_times_in_turns([cc, mdf, durable], out, runs,
                                                    [False, True, True])
        s_cc, r_cc = run_size(cc, out), peak_rss_kib(cc, out)
        key = (level, codec, tuple(mdf_t))
        if key not in peer:
            peer[key] = (run_size(mdf, out, retry=True), peak_rss_kib(mdf, out, retry=True))
        s_mdf, r_mdf = peer[key]
        if mode == "":
            floor_peer[level].append((codec, (t_mdf, mdf)))
        name = "-d %d %s%s" % (level, codec, " " + mode if mode else "")
        ratios = (t_cc / t_mdf, s_cc / s_mdf, r_cc / r_mdf)
        if mode == "-t1":
            worst_t1 = max(worst_t1, ratios[0])
        else:
            worst["time"] = max(worst["time"], ratios[0])
        if mode in worst_dur:
            worst_dur[mode] = max(worst_dur[mode], t_cc / t_sync)
        worst["size"] = max(worst["size"], ratios[1])
        worst["rss"] = max(worst["rss"], ratios[2])
        lines.append("%-20s %7.0f %7.0f %5.2f %7.0f %5.2f %9.1f %9.1f %6.3f %7.1f %7.1f %5.2f %7.0f  %s%s" % (
            name, t_cc * 1000, t_mdf * 1000, ratios[0], t_sync * 1000, t_cc / t_sync,
            s_cc / 1e6, s_mdf / 1e6, ratios[1],
            r_cc / 1024, r_mdf / 1024, ratios[2], core_size / 1e6 / t_cc, mdf_label,
            " -t2" if mode == "-t2" else ""))
    lines.append("goals: time <= 0.50, size <= 1.000, RSS <= 0.50; worst here: time %.2f (rows without -t1),"
                 " size %.3f, RSS %.2f" % (worst["time"], worst["size"], worst["rss"]))
    lines.append("one compressor each (-t1 rows): worst time %.2f" % worst_t1)
    lines.append("against makedumpfile + sync (dur): worst %.2f without -t, %.2f with -t1" % (
        worst_dur[""], worst_dur["-t1"]))
    for cmd, n in sorted(crashed.items()):
        lines.append("peer run failed or died %d time(s), repeated: %s" % (n, cmd))
    lines.append("")
    lines += codec_floor_lines(core, crashcopy, codec_floor, auto, floor_peer, out)
    lines.append("")
    lines.append("crashcopy --estimate against the real output (goal: size within 25%, a fraction of the time)")
    lines.append("%-20s %12s %12s %6s %9s %9s %6s" % ("options", "estimate", "real", "size", "est ms", "copy ms", "time"))
    for level in (31, 1):
        for codec, cc_opt in (("lzo", "-l"), ("zstd", "-z")):
            est = [crashcopy, "--estimate", cc_opt, "-d", str(level), core]
            r = subprocess.run(est, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("bench.py: %s exited %d" % (shlex.join(est), r.returncode))
            guess = json.loads(r.stdout)["bytes_estimate"]
            cc = [crashcopy, cc_opt, "-d", str(level), "-f", core, out]
            real = run_size(cc, out)
            t_est, t_cc = median_time(est, None, runs), median_time(cc, out, runs)
            ratio = guess / real
            worst["estimate"] = max(worst.get("estimate", 0), abs(ratio - 1))
            lines.append("%-20s %12d %12d %6.3f %9.0f %9.0f %6.2f" % (
                "-d %d %s" % (level, codec), guess, real, ratio, t_est * 1000, t_cc * 1000, t_est / t_cc))
    lines.append("worst estimate error: %.1f%%%s" % (worst["estimate"] * 100,
                 "" if worst["estimate"] <= 0.25 else "  OVER THE 25% GOAL"))
    t_cat = median_time(["sh", "-c", 'exec cat "$0" >/dev/null', core], None, runs)
    lines.append("floor: cat CORE > /dev/null %.0f ms = %.0f MB/s (MB/s above: input bytes / wall time)" % (
        t_cat * 1000, core_size / 1e6 / t_cat))
    lines.append("")
    lines.append("memory against RAM size: crashcopy -l -d 31 --max-memory 64M, makedumpfile -l -d 31")
    lines.append("%-36s %16s %10s %10s" % ("core", "size", "ms", "RSS MiB"))
    for label, path in (("full", core), ("64G sparse", sparse_core)):
        for tool in ("crashcopy", "makedumpfile"):
            if tool == "crashcopy":
                argv = [crashcopy, "-l", "-d", "31", "--max-memory", "64M", "-f", path, out]
            else:
                argv = ["makedumpfile", "-l", "-d", "31", path, out]
            t, r = time_rss(argv, out)
            lines.append("%-36s %16d %10.0f %10.1f" % ("%s, %s" % (label, tool), os.stat(path).st_size,
                                                      t * 1000, r / 1024))
    lines.append("")
    lines.append("crashcopy = %s; makedumpfile = %s, %s (lzo rows, memory); makedumpfile-zstd = %s, %s (zstd rows)" % (
        crashcopy, shutil.which("makedumpfile") or "makedumpfile", deb_version, mdf_zstd, zstd_version))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(outfile + ".incomplete", "w") as f:
        f.write(text)
    os.rename(outfile + ".incomplete", outfile)


def main(argv):
    if len(argv) == 5 and argv[1] == "sparse":
        sparse(argv[2], argv[3], parse_size(argv[4]))
    elif len(argv) > 4 and argv[1] == "table" and "--" in argv:
        sep = argv.index("--")
        cores = [a.split("=", 1) for a in argv[4:sep]]
        commands = [a.split("=", 1) for a in argv[sep + 1:]]
        table(int(argv[2]), argv[3], cores, commands)
    elif len(argv) == 9 and argv[1] == "copy":
        copy_table(int(argv[2]), argv[3], argv[4], argv[5], argv[6], argv[7], argv[8])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
