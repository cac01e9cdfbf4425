#!/usr/bin/python3
"""Hold a capture's manifest.json to the files beside it (doc/capture.md §5).

usage: manifest_check.py DIR RELEASE VMCORE_STATUS[,STATUS...] [CAPTURE_STATUS[,...]]

DIR is one crash directory (<host>-<UTC YYYYmmddTHHMMSSZ>).  Checks: the
manifest parses; format 1, tool crashkit; kernel_release is RELEASE;
crash_time and capture.started/finished are UTC ISO times, started <=
finished; the directory's name carries the host and a timestamp of the same
form; panic names the sysrq crash; dmesg.txt is listed "ok"; every artifact
listed "ok" or "truncated" exists (under its "file" name when it has one)
with the listed size and sha256; an
artifact "skipped" or "failed" has a reason; the status of vmcore (or
vmcore.flat, a stream target's flattened dump) is one of
VMCORE_STATUS (its dump_level and codec listed when a dump was written);
capture.status is one of CAPTURE_STATUS (default: ok when vmcore is ok,
partial otherwise); a file in DIR that the manifest does not list is an
error (except NAME.incomplete of a listed non-ok artifact).  Prints the
problems, or one summary line; exit 0 when there are none.
"""
import hashlib
import json
import os
import re
import sys

ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
DIRNAME = re.compile(r'^(.+)-(\d{8}T\d{6}Z)$')


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    d, release = sys.argv[1], sys.argv[2]
    want_vmcore = sys.argv[3].split(',')
    problems = []
    p = problems.append
    try:
        with open(os.path.join(d, 'manifest.json'), encoding='utf-8') as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        print('manifest: cannot read %s/manifest.json: %s' % (d, e))
        return 1
    if m.get('format') != 1:
        p('format is %r, not 1' % m.get('format'))
    if m.get('tool') != 'crashkit':
        p('tool is %r' % m.get('tool'))
    if m.get('kernel_release') != release:
        p('kernel_release %r, the crashed kernel was %r' % (m.get('kernel_release'), release))
    for key in ('crash_time',):
        if not ISO.match(str(m.get(key))):
            p('%s %r is not a UTC ISO time' % (key, m.get(key)))
    cap = m.get('capture') or {}
    for key in ('started', 'finished'):
        if not ISO.match(str(cap.get(key))):
            p('capture.%s %r is not a UTC ISO time' % (key, cap.get(key)))
    if str(cap.get('started')) > str(cap.get('finished')):
        p('capture started %s after it finished %s' % (cap.get('started'), cap.get('finished')))
    name = DIRNAME.match(os.path.basename(os.path.normpath(d)))
    if not name:
        p('directory name %r is not <host>-<YYYYmmddTHHMMSSZ>' % os.path.basename(d))
    elif m.get('host') and name.group(1) != m.get('host'):
        p('directory host %r, manifest host %r' % (name.group(1), m.get('host')))
    if 'sysrq' not in str(m.get('panic', '')).lower():
        p('panic %r does not name the sysrq crash' % m.get('panic'))
    arts = {}
    for a in m.get('artifacts') or []:
        arts[a.get('name')] = a
    listed = set(arts)
    dm = arts.get('dmesg.txt')
    if not dm or dm.get('status') != 'ok':
        p('dmesg.txt is not listed "ok": %r' % dm)
    for n, a in arts.items():
        st = a.get('status')
        # the stored file may have another name: "file" (doc/capture.md §5)
        fname = a.get('file') or n
        listed.add(fname)
        path = os.path.join(d, fname)
        if st in ('ok', 'truncated'):
            if not os.path.isfile(path):
                # a truncated artifact may be left as NAME.incomplete
                if st == 'truncated' and os.path.isfile(path + '.incomplete'):
                    path += '.incomplete'
                    listed.add(fname + '.incomplete')
                else:
                    p('%s listed %s but %s is not in the directory' % (n, st, fname))
                    continue
            size = os.path.getsize(path)
            if a.get('size') != size:
                p('%s: listed size %r, file has %d bytes' % (n, a.get('size'), size))
            if a.get('sha256') != sha256(path):
                p('%s: listed sha256 %r does not match the file' % (n, a.get('sha256')))
        elif st in ('skipped', 'failed'):
            if not a.get('reason'):
                p('%s is %s without a reason' % (n, st))
            if os.path.exists(path + '.incomplete'):
                listed.add(fname + '.incomplete')
        else:
            p('%s has status %r' % (n, st))
    # a stream target keeps the flattened stream as vmcore.flat (§3)
    vm = arts.get('vmcore') or arts.get('vmcore.flat')
    vst = vm.get('status') if vm else None
    if vst not in want_vmcore:
        p('vmcore status %r (reason %r), expected %s' % (vst, vm and vm.get('reason'), '/'.join(want_vmcore)))
    if vm and vst in ('ok', 'truncated'):
        if 'dump_level' not in vm or 'codec' not in vm:
            p('vmcore lacks dump_level or codec: %r' % vm)
    if len(sys.argv) == 5:
        want_cap = sys.argv[4].split(',')
    else:
        want_cap = ['ok'] if vst == 'ok' else ['partial']
    if cap.get('status') not in want_cap:
        p('capture.status %r, expected %s' % (cap.get('status'), '/'.join(want_cap)))
    for f in sorted(os.listdir(d)):
        if f != 'manifest.json' and f not in listed:
            p('%s is in the directory but not in the manifest' % f)
    for q in problems[:8]:
        print('manifest: ' + q)
    print('manifest: %s: vmcore %s, capture %s, %d artifacts, %d problems' % (
        os.path.basename(os.path.normpath(d)), vst, cap.get('status'), len(arts), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
