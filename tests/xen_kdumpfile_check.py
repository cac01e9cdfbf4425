#!/usr/bin/python3
"""Check crashdmesg's dom0 log from a Xen dump against python3-libkdumpfile.

usage: xen_kdumpfile_check.py COPY KMSG

COPY is a Xen dump as crashcopy writes it (Xen's notes plus the dom0
VMCOREINFO note crashcopy adds); KMSG is `crashdmesg --kmsg` of the same
dump.  libkdumpfile, an independent reader with its own Xen p2m code
(xen.xlat, addrxlat), translates dom0's addresses: it reads init_uts_ns
(must be "Linux" and OSRELEASE) and the lockless printk ring's text data
(*prb -> text_data_ring.data, 1 << size_bits bytes, offsets from VMCOREINFO)
by dom0 kernel-virtual address.  Every record text of KMSG that is plain
printable ASCII of 8 bytes or more must occur in those bytes.  Prints one
line; exit 0 on pass, 1 on failure, 2 when COPY cannot be read.
"""
import sys

import kdumpfile


def main():
    copy, kmsg = sys.argv[1], sys.argv[2]
    try:
        k = kdumpfile.kdumpfile(copy)
        k.attr['xen.xlat'] = 1
        k.attr['addrxlat.ostype'] = 'linux'
        lines = k.attr['linux.vmcoreinfo.lines']
    except Exception as e:  # noqa: BLE001 - any reader failure is exit 2
        print('xen_kdumpfile_check: %s: %s' % (copy, e))
        return 2

    def num(key):
        return int(lines[key], 16 if key.startswith('SYMBOL') else 10)

    kv = kdumpfile.KDUMP_KVADDR
    uts = num('SYMBOL(init_uts_ns)')
    release = lines['OSRELEASE']
    name = bytes(k.read(kv, uts, 6 + 2 * 65 + len(release)))
    # new_utsname at offset 0 (5.11+) or after a 4-byte kref.
    ok_uts = any(name[o:o + 6] == b'Linux\0' and
                 name[o + 130:o + 130 + len(release)] == release.encode()
                 for o in (0, 4) if len(name) >= o + 130 + len(release))
    # SYMBOL(prb) is the pointer variable prb (-> printk_rb_static or the
    # dynamic ring).
    prb = int.from_bytes(bytes(k.read(kv, num('SYMBOL(prb)'), 8)), 'little')
    ring = prb + num('OFFSET(printk_ringbuffer.text_data_ring)')
    size_bits = int.from_bytes(
        bytes(k.read(kv, ring + num('OFFSET(prb_data_ring.size_bits)'), 4)),
        'little')
    data = int.from_bytes(
        bytes(k.read(kv, ring + num('OFFSET(prb_data_ring.data)'), 8)),
        'little')
    if size_bits > 31:
        print('xen_kdumpfile_check: size_bits %d' % size_bits)
        return 1
    text = bytes(k.read(kv, data, 1 << size_bits))
    checked = missing = 0
    first = None
    with open(kmsg, 'rb') as f:
        for line in f:
            if line.startswith(b' ') or b';' not in line:
                continue
            t = line.split(b';', 1)[1].rstrip(b'\n')
            if len(t) < 8 or b'\\x' in t or any(c < 0x20 or c > 0x7e for c in t):
                continue
            checked += 1
            if t not in text:
                missing += 1
                first = first or t
    ok = ok_uts and checked > 0 and missing == 0
    print('xen_kdumpfile_check: libkdumpfile read init_uts_ns %s, text ring '
          '%d bytes at 0x%x; %d record texts checked, %d missing%s' %
          ('ok' if ok_uts else 'WRONG', len(text), data, checked, missing,
           (' (first: %r)' % first[:60]) if first else ''))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
