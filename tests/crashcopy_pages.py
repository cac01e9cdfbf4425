#!/usr/bin/python3
"""Page-exact check of a crashcopy dump against its source ELF core.

usage: crashcopy_pages.py SOURCE DUMP LEVEL [nokv]

Both files are read through python3-libkdumpfile (an independent reader:
it opens the ELF core and the kdump-compressed or ELF dump).  Every whole
page of every source PT_LOAD is read from both, by machine-physical address,
and classified:
  same       the dump returns the source's bytes
  excluded   the dump says the page is not there (NoDataException)
  lost       the dump says the page was lost (CorruptException, incomplete)
  zeroed     the dump returns zeros for a non-zero source page (only legal
             for an ELF dump, which cannot tell excluded from zero, spec §3)
  different  anything else, or (at a LEVEL without bits 2-16) a non-zero
             page dropped: always a failure
Pass: no different page; no lost page; an ELF dump zeroes only pages the
level allows to drop; at LEVEL 0 or 1 a kdump dump excludes nothing (zero
pages stay dumpable and read as zeros); at a LEVEL with bits 2-16 set,
something is excluded (the filter did work); where libkdumpfile can read
init_uts_ns by kernel-virtual address in the source (page tables, KASLR,
phys_base), it reads the same release from the dump (not with "nokv": a
trimmed core keeps no page tables, and libkdumpfile translates its ELF
source through p_vaddr, which a kdump file does not carry).  Prints one line.
Exit 0 on pass, 1 on failure, 2 when a file cannot be opened.
"""
import struct
import sys

import kdumpfile
from kdumpfile import exceptions as kx


def pt_loads(path):
    """(paddr, memsz) of each PT_LOAD of an ELF core, either class, LE/BE."""
    with open(path, 'rb') as f:
        ident = f.read(64)
        if ident[:4] != b'\x7fELF':
            raise ValueError('%s: not an ELF file' % path)
        end = '<' if ident[5] == 1 else '>'
        if ident[4] == 2:
            phoff, = struct.unpack_from(end + 'Q', ident, 32)
            phentsize, phnum = struct.unpack_from(end + 'HH', ident, 54)
            fmt, fields = end + 'IIQQQQQQ', (0, 4, 5, 6)
        else:
            phoff, = struct.unpack_from(end + 'I', ident, 28)
            phentsize, phnum = struct.unpack_from(end + 'HH', ident, 42)
            fmt, fields = end + 'IIIIIIII', (0, 3, 4, 5)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    loads = []
    for i in range(phnum):
        v = struct.unpack_from(fmt, table, i * phentsize)
        p_type, paddr, _filesz, memsz = (v[j] for j in fields)
        if p_type == 1:
            loads.append((paddr, memsz))
    return loads


def uts_release(k):
    """The release in init_uts_ns read by kernel-virtual address (this uses
    the dump's VMCOREINFO, phys_base and page tables), or None."""
    try:
        k.attr['addrxlat.ostype'] = 'linux'
        lines = k.attr['linux.vmcoreinfo.lines']
        addr = int(lines['SYMBOL(init_uts_ns)'], 16)
        addr += int(lines.get('OFFSET(uts_namespace.name)', '0'))
        uts = bytes(k.read(kdumpfile.KDUMP_KVADDR, addr, 6 * 65))
    except Exception:  # noqa: BLE001 - any failure means "cannot tell"
        return None
    if uts[:6] != b'Linux\0':
        return None
    return uts[2 * 65:3 * 65].split(b'\0')[0].decode('ascii', 'replace')


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[4:] not in ([], ['nokv']):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    source_path, dump_path, level = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        src = kdumpfile.kdumpfile(source_path)
        dump = kdumpfile.kdumpfile(dump_path)
    except Exception as e:  # noqa: BLE001 - report any open failure
        print('cannot open: %s' % e)
        return 2
    fmt = dump.attr['file.format']
    page = 4096
    try:
        page = int(dump.attr['arch.page_size'])
    except Exception:  # noqa: BLE001 - older libkdumpfile attribute names
        pass
    counts = dict(same=0, excluded=0, lost=0, zeroed=0, different=0)
    zero = bytes(page)
    first_bad = []
    seen = set()
    for paddr, memsz in pt_loads(source_path):
        pfn = (paddr + page - 1) // page
        while (pfn + 1) * page <= paddr + memsz:
            addr = pfn * page
            pfn += 1
            if addr in seen:
                continue
            seen.add(addr)
            want = bytes(src.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, page))
            try:
                got = bytes(dump.read(kdumpfile.KDUMP_MACHPHYSADDR, addr, page))
            except kx.NoDataException:
                counts['excluded'] += 1
                if not level & 30 and want != zero:
                    counts['different'] += 1
                    if len(first_bad) < 5:
                        first_bad.append(hex(addr))
                continue
            except kx.CorruptException:
                counts['lost'] += 1
                continue
            if got == want:
                counts['same'] += 1
            elif got == zero and fmt == 'elf' and level & 30:
                counts['zeroed'] += 1
            else:
                counts['different'] += 1
                if len(first_bad) < 5:
                    first_bad.append(hex(addr))
    ok = counts['different'] == 0 and counts['lost'] == 0
    why = []
    if counts['different']:
        why.append('pages differ at %s' % ' '.join(first_bad))
    if counts['lost']:
        why.append('lost pages in a complete dump')
    dropped = counts['excluded'] + counts['zeroed']
    if fmt != 'elf' and level <= 1 and counts['excluded']:
        ok = False
        why.append('level %d excluded pages' % level)
    if fmt == 'elf' and level == 0 and dropped:
        ok = False
        why.append('level 0 dropped pages')
    if level & 30 and not dropped:
        ok = False
        why.append('level %d excluded nothing' % level)
    # Kernel-virtual reads work on the dump wherever they work on the source.
    want_release = uts_release(src) if len(sys.argv) == 4 else None
    got_release = uts_release(dump) if want_release else None
    if want_release and got_release != want_release:
        ok = False
        why.append('init_uts_ns by virtual address: %r, source %r' % (
            got_release, want_release))
    try:
        cpus = dump.attr['cpu.number']
    except Exception:  # noqa: BLE001 - absent when no notes were copied
        cpus = 'none'
    try:
        arch = dump.attr['arch.name']
    except Exception:  # noqa: BLE001 - a header libkdumpfile could not place
        arch = 'unknown'
        ok = False
        why.append('libkdumpfile found no architecture in the dump')
    print('%s %s: format %s, arch %s, max_pfn %s, cpus %s, release %s, %s%s' % (
        'ok' if ok else 'FAIL', dump_path, fmt, arch,
        dump.attr['max_pfn'], cpus, got_release or '-',
        ', '.join('%s %d' % kv for kv in counts.items()),
        ('; ' + '; '.join(why)) if why else ''))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
