#!/usr/bin/python3
"""Prove frame by frame that a Xen "dom0 + Xen" dump holds no domU page and
no free frame, with oracles that share no code with crashcopy.

usage: xen_frames_check.py [--marker TEXT] [--min-marked N]
                           [--free-mib LO,HI] CORE XENSYMS DUMP...

CORE is the full machine core of the crashed Xen host (/proc/vmcore of the
capture kernel, ELF); XENSYMS holds /proc/xen/xensyms lines taken in dom0
before the crash (it must name common/page_alloc.c#_heap and
#total_avail_pages); each DUMP is a filtered dump of that core (crashcopy
-X: ELF, or a kdump-compressed file).

Oracles, read from CORE by this script alone (its own ELF and page-table
code, Xen 4.17 struct facts from xen/arch/x86/include/asm/mm.h and
xen/common/page_alloc.c):

  domU  every 4 KiB block of the paused domU's ramdisk begins with TEXT
        followed by an 8-digit block number (the e2e harness makes the
        ramdisk; dom0 only ever holds it gzip-compressed, and the PV domain
        builder inflates it straight into domU frames). The frames of CORE
        that begin so are domU frames; at least N distinct block numbers
        must be found (this proves the oracle can fail).
  free  Xen's buddy allocator: the free lists heap(0, zone, order) in
        *_heap[0] (NR_ZONES 41 x (MAX_ORDER 18 + 1) struct page_list_head
        {page_info *next, *tail}; a page links to the next by the pdx in
        page_info.list.next; a chunk of 2^order frames per list entry). Every
        head of a chunk must say PGC_state_free (count_info bits 58-59 == 3)
        and carry its list's order in v.free.order and its list's zone
        (the bit length of its pdx; pdx = mfn on this machine); the sum must
        equal Xen's total_avail_pages and lie in the LO..HI MiB of `xl info`,
        and the frames whose count_info says free must be exactly these.
  owner for the counts: frames whose page_info says PGC_allocated and whose
        owner (v.inuse._domain, a pdx of the struct domain) is a domain on
        domain_list other than 0 (domain_id at offset 0); every marked frame
        must be one of them.

Each DUMP is read through python3-libkdumpfile (machine-address reads, page
by page over 0 .. max_page). A kdump-compressed DUMP holds the frames it can
read; an ELF DUMP holds the frames p_filesz covers (found by this script's
own ELF code), except those that read all zeros: an ELF core cannot tell an
excluded page from a zero page (crashcopy writes an excluded page inside a
PT_LOAD as zeros), so those hold no data and are counted apart. A DUMP must
hold no marked frame, no page containing TEXT anywhere (an ELF DUMP: nowhere
in the file either), no frame on the free lists and no frame the owner walk
gives to a domU; what lies past an ELF p_filesz must read as zeros. Prints
the counts; exit 0 on pass, 1 on a failed check, 2 when an input cannot be
read.
"""
import argparse
import bisect
import mmap
import struct
import sys

import kdumpfile

PAGE = 4096
XEN_VIRT_START = 0xffff82d040000000
DIRECTMAP_VIRT_START = 0xffff830000000000
FRAMETABLE_VIRT_START = 0xffff82e000000000
# struct page_info (x86, !CONFIG_BIGMEM): list.next (u32 pdx) at 0,
# count_info at 8, v.inuse._domain / v.free.order (u32) at 24; 32 bytes.
PI_SIZE, PI_NEXT, PI_COUNT, PI_V = 32, 0, 8, 24
PGC_ALLOCATED = 1 << 63
PGC_STATE_SHIFT = 58
PGC_STATE_FREE = 3
NR_ZONES, MAX_ORDER = 41, 18
PAGE_LIST_NULL = 0xffffffff
DOMID_FIRST_RESERVED = 0x7ff0


class Unreadable(Exception):
    pass


class Core:
    """A Xen machine core (ELF64 little-endian), read by machine address."""

    def __init__(self, path):
        f = open(path, 'rb')
        self.m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self.m
        if m[:4] != b'\x7fELF' or m[4] != 2 or m[5] != 1:
            raise Unreadable('%s: not an ELF64 little-endian file' % path)
        phoff, = struct.unpack_from('<Q', m, 0x20)
        phentsize, phnum = struct.unpack_from('<HH', m, 0x36)
        self.loads = []
        self.notes = []
        for i in range(phnum):
            p_type, _, off, _, paddr, filesz = struct.unpack_from(
                '<IIQQQQ', m, phoff + i * phentsize)
            if p_type == 1:
                self.loads.append((paddr, paddr + filesz, off))
            elif p_type == 4:
                self.notes.append((off, filesz))
        self.loads.sort()
        self.starts = [a for a, _, _ in self.loads]

    def note_descs(self):
        for off, size in self.notes:
            p, end = off, off + size
            while p + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from('<III', self.m, p)
                name = self.m[p + 12:p + 12 + namesz].rstrip(b'\0')
                d = p + 12 + (namesz + 3) // 4 * 4
                yield name, ntype, self.m[d:d + descsz]
                p = d + (descsz + 3) // 4 * 4

    def offset(self, ma):
        i = bisect.bisect_right(self.starts, ma) - 1
        if i < 0:
            return None
        start, end, off = self.loads[i]
        return off + ma - start if ma < end else None

    def maddr(self, off):
        """The machine address at file offset OFF, or None."""
        for start, end, o in self.loads:
            if o <= off < o + end - start:
                return start + off - o
        return None

    def read(self, ma, n):
        o = self.offset(ma)
        if o is None or self.offset(ma + n - 1) != o + n - 1:
            raise Unreadable('machine address 0x%x (+%d) not in the core' %
                             (ma, n))
        return self.m[o:o + n]

    def u64(self, ma):
        return struct.unpack('<Q', self.read(ma, 8))[0]


class Xen:
    """Xen virtual addresses of a Core."""

    def __init__(self, core):
        self.core = core
        self.info = {}
        self.phys_start = None
        for name, ntype, desc in core.note_descs():
            if name == b'VMCOREINFO_XEN':
                for line in bytes(desc).rstrip(b'\0').decode().splitlines():
                    k, _, v = line.partition('=')
                    self.info[k] = v
            elif name == b'Xen' and ntype == 0x1000001 and len(desc) >= 80:
                # crash_xen_info_t: 8 unsigned longs, then xen_phys_start.
                self.phys_start, = struct.unpack_from('<Q', desc, 64)
        if self.phys_start is None or 'SYMBOL(pgd_l4)' not in self.info:
            raise Unreadable('no Xen CRASH_INFO note or no SYMBOL(pgd_l4)')
        self.pgd = self.v2m(int(self.info['SYMBOL(pgd_l4)'], 16))

    def sym(self, name):
        return int(self.info['SYMBOL(%s)' % name], 16)

    def v2m(self, va):
        if XEN_VIRT_START <= va < XEN_VIRT_START + (1 << 30):
            return va - XEN_VIRT_START + self.phys_start
        if DIRECTMAP_VIRT_START <= va < DIRECTMAP_VIRT_START + (1 << 44):
            return va - DIRECTMAP_VIRT_START
        # A 4-level walk of Xen's idle page table (frame_table's mappings).
        table = self.pgd
        for level, shift in ((4, 39), (3, 30), (2, 21), (1, 12)):
            e = self.core.u64(table + ((va >> shift) & 511) * 8)
            if not e & 1:
                raise Unreadable('0x%x not mapped (level %d)' % (va, level))
            base = e & 0x000ffffffffff000
            if level in (3, 2) and e & 0x80:
                return (base & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))
            table = base
        return table | (va & 0xfff)

    def read(self, va, n):
        out = b''
        while n:
            chunk = min(n, PAGE - (va & 0xfff))
            out += self.core.read(self.v2m(va), chunk)
            va += chunk
            n -= chunk
        return out

    def u64(self, va):
        return struct.unpack('<Q', self.read(va, 8))[0]


def xensyms(path):
    syms = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) >= 3:
                syms[w[2]] = int(w[0], 16)
    return syms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--marker', default='CRASHKIT-DOMU-MARKER-')
    ap.add_argument('--min-marked', type=int, default=1)
    ap.add_argument('--free-mib', default='0,1048576')
    ap.add_argument('core')
    ap.add_argument('xensyms')
    ap.add_argument('dumps', nargs='+')
    a = ap.parse_args()
    marker = a.marker.encode()
    lo_mib, hi_mib = (int(x) for x in a.free_mib.split(','))
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    try:
        core = Core(a.core)
        xen = Xen(core)
        syms = xensyms(a.xensyms)
        for name in ('_heap', 'total_avail_pages'):
            if 'common/page_alloc.c#' + name not in syms:
                raise Unreadable('%s names no common/page_alloc.c#%s' %
                                 (a.xensyms, name))
        heap_sym = syms['common/page_alloc.c#_heap']
        avail_sym = syms['common/page_alloc.c#total_avail_pages']
        max_page = xen.u64(xen.sym('max_page'))
        check(xen.u64(xen.sym('frame_table')) == FRAMETABLE_VIRT_START,
              'frame_table is not at FRAMETABLE_VIRT_START')
        check(int(xen.info.get('SIZE(page_info)', 0)) == PI_SIZE and
              int(xen.info.get('OFFSET(page_info.count_info)', 0)) == PI_COUNT
              and int(xen.info.get('OFFSET(page_info._domain)', 0)) == PI_V,
              'VMCOREINFO_XEN page_info layout differs from Xen 4.17 x86')
        # page_info of every frame, read from the frame table.
        ft = bytearray()
        for s in range(0, max_page * PI_SIZE, PAGE):
            try:
                ft += xen.read(FRAMETABLE_VIRT_START + s,
                               min(PAGE, max_page * PI_SIZE - s))
            except Unreadable:
                ft += bytes(min(PAGE, max_page * PI_SIZE - s))
    except (OSError, KeyError, ValueError, Unreadable) as e:
        print('xen_frames_check: %s: %s' % (a.core, e))
        return 2

    def count_info(pdx):
        return struct.unpack_from('<Q', ft, pdx * PI_SIZE + PI_COUNT)[0]

    def v_field(pdx):
        return struct.unpack_from('<I', ft, pdx * PI_SIZE + PI_V)[0]

    # --- the domU oracle: marked frames of the full core.
    marked = {}
    pos = core.m.find(marker)
    while pos >= 0:
        ma = core.maddr(pos)
        tail = core.m[pos + len(marker):pos + len(marker) + 8]
        if ma is not None and ma % PAGE == 0 and tail.isdigit():
            marked[ma // PAGE] = int(tail)
        pos = core.m.find(marker, pos + 1)
    blocks = len(set(marked.values()))
    check(blocks >= a.min_marked,
          'only %d distinct ramdisk blocks in the full core (want >= %d): '
          'the domU oracle found nothing to test' % (blocks, a.min_marked))

    # --- the free oracle: Xen's heap free lists of node 0.
    free = set()
    bad_links = 0
    try:
        heap = xen.u64(heap_sym)
        total_avail = xen.u64(avail_sym)
        for zone in range(NR_ZONES):
            for order in range(MAX_ORDER + 1):
                head = heap + (zone * (MAX_ORDER + 1) + order) * 16
                nxt, tail = struct.unpack('<QQ', xen.read(head, 16))
                pg, steps = nxt, 0
                while pg:
                    pdx, r = divmod(pg - FRAMETABLE_VIRT_START, PI_SIZE)
                    steps += 1
                    if r or pdx >= max_page or steps > max_page:
                        bad_links += 1
                        break
                    if ((count_info(pdx) >> PGC_STATE_SHIFT) & 3 !=
                            PGC_STATE_FREE or v_field(pdx) != order or
                            max(pdx.bit_length(), 1) != zone):
                        bad_links += 1
                    free.update(range(pdx, pdx + (1 << order)))
                    if pg == tail:
                        break
                    n = struct.unpack_from('<I', ft, pdx * PI_SIZE + PI_NEXT)[0]
                    pg = (0 if n == PAGE_LIST_NULL else
                          FRAMETABLE_VIRT_START + n * PI_SIZE)
    except Unreadable as e:
        print('xen_frames_check: heap walk: %s' % e)
        return 2
    check(bad_links == 0, '%d free-list entries are not free chunk heads of '
          'their list (layout or walk wrong)' % bad_links)
    check(len(free) == total_avail, 'free lists hold %d frames, '
          'total_avail_pages says %d' % (len(free), total_avail))
    check(lo_mib * 256 <= len(free) <= hi_mib * 256,
          'free lists hold %d MiB, xl info allows %d..%d' %
          (len(free) // 256, lo_mib, hi_mib))
    # The same frames by count_info, as a cross-check of the walk.
    state_free = {p for p in range(max_page)
                  if (count_info(p) >> PGC_STATE_SHIFT) & 3 == PGC_STATE_FREE}
    check(state_free == free, 'count_info says %d frames are free, the free '
          'lists %d (%d differ)' % (len(state_free), len(free),
                                    len(state_free ^ free)))

    # --- owners by page_info, for the counts and as a cross-check.
    ids = {}
    d = xen.u64(xen.sym('domain_list'))
    while d and len(ids) < 1024:
        ids[(d - DIRECTMAP_VIRT_START) // PAGE] = struct.unpack(
            '<H', xen.read(d, 2))[0]
        d = xen.u64(d + int(xen.info['OFFSET(domain.next_in_list)']))
    domu_owned, dom0_owned = set(), set()
    for p in range(max_page):
        ci = count_info(p)
        if ci & PGC_ALLOCATED and (ci >> PGC_STATE_SHIFT) & 3 != PGC_STATE_FREE:
            dom = ids.get(v_field(p))
            if dom == 0:
                dom0_owned.add(p)
            elif dom is not None and dom < DOMID_FIRST_RESERVED:
                domu_owned.add(p)
    check(set(marked) <= domu_owned, '%d marked frames are not owned by a '
          'domU' % len(set(marked) - domu_owned))
    in_core = {p for p in range(max_page) if core.offset(p * PAGE) is not None}
    print('xen_frames_check: full core: %d frames (max_page %d); %d domUs; '
          'domU frames: %d marked (%d ramdisk blocks), %d by owner; free '
          'frames: %d on the heap free lists (total_avail_pages %d), %d by '
          'count_info; dom0 frames %d' %
          (len(in_core), max_page, len(ids) - (0 in ids.values()), len(marked),
           blocks, len(domu_owned), len(free), total_avail, len(state_free),
           len(dom0_owned)))

    M = kdumpfile.KDUMP_MACHPHYSADDR
    for path in a.dumps:
        try:
            k = kdumpfile.kdumpfile(path)
        except Exception as e:  # noqa: BLE001 - any reader failure is exit 2
            print('xen_frames_check: %s: %s' % (path, e))
            return 2
        # An ELF dump stores a frame when p_filesz covers it; the rest of
        # p_memsz reads as zeros (libkdumpfile returns them): not kept.
        fmt = k.attr['file.format']
        stored = None
        raw_markers = 0
        if fmt == 'elf':
            try:
                dc = Core(path)
            except (OSError, Unreadable) as e:
                print('xen_frames_check: %s: %s' % (path, e))
                return 2
            stored = {p for p in range(max_page)
                      if dc.offset(p * PAGE) is not None}
            pos = dc.m.find(marker)
            while pos >= 0:
                raw_markers += 1
                pos = dc.m.find(marker, pos + 1)
        kept, with_marker, zeros, nonzero, lost = set(), 0, 0, 0, 0
        blank = set()
        for p in range(max_page):
            try:
                page = k.read(M, p * PAGE, PAGE)
            except kdumpfile.exceptions.NoDataException:
                lost += stored is not None and p in stored
                continue
            with_marker += marker in page
            if stored is not None and p not in stored:
                zeros += 1
                nonzero += any(page)
            elif stored is not None and not any(page):
                # An ELF core cannot tell an all-zero page from one it
                # excluded (crashcopy writes an excluded page inside a
                # PT_LOAD as zeros): it holds no data of that frame.
                blank.add(p)
            else:
                kept.add(p)
        name = path.rsplit('/', 1)[-1]
        km, kf, ko = kept & set(marked), kept & free, kept & domu_owned
        held = kept | blank
        print('xen_frames_check: %s (%s): %d frames kept, %d dropped of the '
              'full core (%d domU + %d free); kept: %d marked domU, %d free '
              '(heap), %d domU (by owner), %d of %d dom0 (with data or not); %d pages contain the '
              'marker%s' %
              (name, fmt, len(held), len(in_core - held),
               len((in_core - held) & domu_owned),
               len((in_core - held) & free), len(km), len(kf), len(ko),
               len(held & dom0_owned), len(dom0_owned & in_core), with_marker,
               '' if stored is None else
               ' (%d in the file); %d kept frames read all zeros, %d of them '
               'free or domU frames (blanked: an ELF core cannot tell them '
               'from excluded ones), %d beyond p_filesz read as zeros' %
               (raw_markers, len(blank), len(blank & (free | domu_owned)),
                zeros)))
        check(not km, '%s keeps %d marked domU frames' % (name, len(km)))
        check(not kf, '%s keeps %d free frames' % (name, len(kf)))
        check(not ko, '%s keeps %d domU-owned frames' % (name, len(ko)))
        check(not with_marker, '%s has %d pages containing the marker' %
              (name, with_marker))
        check(not raw_markers, '%s holds the marker %d times' %
              (name, raw_markers))
        check(not nonzero, '%s: %d frames beyond p_filesz do not read as '
              'zeros' % (name, nonzero))
        check(not lost, '%s: libkdumpfile cannot read %d stored frames' %
              (name, lost))
        check(kept <= in_core, '%s has %d frames the full core lacks' %
              (name, len(kept - in_core)))
    for f in fails:
        print('xen_frames_check: FAIL: %s' % f)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
