#!/usr/bin/python3
"""Count the buddy-free pages of a full kernel core on its own, from the
struct pages, and hold a filtered dump of it to that count.

usage: free_pages_check.py CORE [DUMP]

CORE is a full ELF core (/proc/vmcore of a capture kernel) of any
architecture python3-libkdumpfile translates (x86_64, aarch64, ...).  This
script shares no code with crashcopy: libkdumpfile opens CORE and
translates kernel-virtual addresses with its own page-table walk; the rest
is done here from VMCOREINFO alone:

  mem_map  SPARSEMEM: SYMBOL(mem_section) is the root array (4.15+, a
           pointer to it is what VMCOREINFO gives) of LENGTH(mem_section)
           pointers, each to PAGESIZE / SIZE(mem_section) struct
           mem_section; OFFSET(mem_section.section_mem_map) holds the
           section's mem_map address minus its first pfn * SIZE(page), with
           flag bits below bit 6 (bit 0 present, bit 1 has a mem_map;
           mm/sparse.c sparse_encode_mem_map()).  If the root pointers do
           not translate, mem_section is read as the static two-level array
           in place.  FLATMEM: SYMBOL(mem_map), pfns from 0.
  free     a struct page whose _mapcount (OFFSET(page._mapcount), the
           page_type word) says PageBuddy heads a free block of
           2^page.private pages (OFFSET(page.private)), the order below
           LENGTH(zone.free_area) and the pfn aligned to it.  PageBuddy from
           NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) B: 6.12+ (B's low 24 bits zero)
           the top byte equals B's (PGTY_buddy << 24); 4.18-6.11 (B is
           ~PG_buddy under PAGE_TYPE_BASE 0xf0000000) the base bits set and
           B's cleared bit clear; older kernels _mapcount == B.  A page with
           NUMBER(PG_slab) set in page.flags is never free (its _mapcount
           word belongs to the slab allocator before 6.12).

Prints "free F (H blocks)".  With DUMP (a kdump-compressed or ELF file
crashcopy made from CORE at a level with bit 16 set), every pfn of CORE's
PT_LOADs is looked up in DUMP through libkdumpfile: a page the dump does
not hold (NoDataException; for an ELF dump, zeros where CORE has data) must
be a free page, and the line adds "excluded E, kept K" with E + K = F (the
free pages the dump excluded and those it still holds), so that the caller
can hold crashcopy's own counts (--json excluded.free and
kept_kernel_image) to them.  Exit 0 on pass, 1 on a failed check (no free
page found, a bad order, overlapping blocks, an unreadable present
section, a dropped page that is not free), 2 when a file cannot be read.
"""
import os
import struct
import sys

import kdumpfile
from kdumpfile import exceptions as kx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crashcopy_pages import pt_loads  # noqa: E402 (after the path)

KV = kdumpfile.KDUMP_KVADDR
PHYS = kdumpfile.KDUMP_MACHPHYSADDR
SECTION_PRESENT = 1
SECTION_HAS_MEM_MAP = 2
SECTION_FLAGS = 0x3f
PAGE_TYPE_BASE = 0xf0000000


class CheckError(Exception):
    """A failed check: exit 1."""


class Core:
    """CORE through libkdumpfile, with its VMCOREINFO as numbers."""

    def __init__(self, path):
        self.k = kdumpfile.kdumpfile(path)
        self.k.attr['addrxlat.ostype'] = 'linux'
        # The raw text: the attribute tree splits keys at their dots.
        self.info = {}
        raw = bytes(self.k.attr['linux.vmcoreinfo.raw']).decode('ascii', 'replace')
        for line in raw.splitlines():
            key, eq, value = line.partition('=')
            if eq:
                self.info[key] = value
        self.ptr = int(self.k.attr['arch.ptr_size'])
        self.end = '<' if int(self.k.attr['arch.byte_order']) == 1 else '>'
        self.page = int(self.info['PAGESIZE'])
        self.loads = pt_loads(path)
        self.sections = 0

    def num(self, key, default=None):
        """A VMCOREINFO value: SYMBOL() in hex, NUMBER() in decimal or 0x,
        the rest decimal."""
        v = self.info.get(key)
        if v is None:
            if default is None:
                raise CheckError('VMCOREINFO lacks %s' % key)
            return default
        if key.startswith('SYMBOL('):
            return int(v, 16)
        return int(v, 0)

    def read(self, addr, size):
        return bytes(self.k.read(KV, addr, size))

    def words(self, data):
        c = 'Q' if self.ptr == 8 else 'I'
        return struct.unpack('%s%d%s' % (self.end, len(data) // self.ptr, c), data)


def mem_maps(core):
    """[(first pfn, pfn count, mem_map address of the first pfn)]."""
    if 'SYMBOL(mem_section)' not in core.info:
        base = core.num('SYMBOL(mem_map)')
        n = max(p + m for p, m in core.loads) // core.page
        return [(0, n, base)]
    sym = core.num('SYMBOL(mem_section)')
    roots = core.num('LENGTH(mem_section)')
    ms_size = core.num('SIZE(mem_section)')
    off_map = core.num('OFFSET(mem_section.section_mem_map)', 0)
    per_root = core.page // ms_size
    pfns_per_section = 1 << (core.num('NUMBER(SECTION_SIZE_BITS)')
                             - (core.page.bit_length() - 1))
    page_size = core.num('SIZE(page)')

    def sections(tables):
        out = []
        for root, data in tables:
            for i in range(per_root):
                enc, = struct.unpack_from(core.end + ('Q' if core.ptr == 8 else 'I'),
                                          data, i * ms_size + off_map)
                if (enc & (SECTION_PRESENT | SECTION_HAS_MEM_MAP)) != \
                        (SECTION_PRESENT | SECTION_HAS_MEM_MAP):
                    continue
                nr = root * per_root + i
                first = nr * pfns_per_section
                base = (enc & ~SECTION_FLAGS) + first * page_size
                base &= (1 << (8 * core.ptr)) - 1
                out.append((first, pfns_per_section, base))
        return out

    # SPARSEMEM_EXTREME: a root array of pointers.
    tables = []
    try:
        for root, p in enumerate(core.words(core.read(sym, roots * core.ptr))):
            if p:
                tables.append((root, core.read(p, per_root * ms_size)))
    except kx.KDumpBaseException:
        tables = []
    found = sections(tables)
    if found:
        return found
    # Static SPARSEMEM: the two-level array in place.
    data = core.read(sym, roots * per_root * ms_size)
    found = sections([(r, data[r * per_root * ms_size:(r + 1) * per_root * ms_size])
                      for r in range(roots)])
    if not found:
        raise CheckError('no present section with a mem_map in mem_section')
    return found


def is_buddy_fn(core):
    """The PageBuddy test on a _mapcount word, for this kernel."""
    b = core.num('NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)') & 0xffffffff
    if b & 0xffffff == 0:
        top = b >> 24
        return lambda m: m >> 24 == top
    bit = ~b & 0xffffffff
    if b & PAGE_TYPE_BASE == PAGE_TYPE_BASE and bit and bit & (bit - 1) == 0:
        mask = PAGE_TYPE_BASE | bit
        return lambda m: m & mask == PAGE_TYPE_BASE
    return lambda m: m == b


def free_blocks(core):
    """{head pfn: order} of every buddy-free block, from the struct pages."""
    size = core.num('SIZE(page)')
    off_map = core.num('OFFSET(page._mapcount)')
    off_priv = core.num('OFFSET(page.private)')
    off_flags = core.num('OFFSET(page.flags)')
    orders = core.num('LENGTH(zone.free_area)')
    pg_slab = core.num('NUMBER(PG_slab)', -1)
    buddy = is_buddy_fn(core)
    w = 'Q' if core.ptr == 8 else 'I'
    u32 = struct.Struct(core.end + 'I')
    word = struct.Struct(core.end + w)
    # Only pfns the core holds memory for.
    ram = sorted((p // core.page, (p + m) // core.page) for p, m in core.loads)
    blocks = {}
    for first, count, base in mem_maps(core):
        lo_hi = [(max(first, a), min(first + count, b)) for a, b in ram
                 if a < first + count and b > first]
        if not lo_hi:
            continue
        core.sections += 1
        for lo, hi in lo_hi:
            try:
                data = core.read(base + (lo - first) * size, (hi - lo) * size)
            except kx.KDumpBaseException as e:
                raise CheckError('struct pages of pfns %#x-%#x unreadable at %#x: %s'
                                 % (lo, hi, base + (lo - first) * size, e))
            for i in range(hi - lo):
                o = i * size
                if not buddy(u32.unpack_from(data, o + off_map)[0]):
                    continue
                if pg_slab >= 0 and word.unpack_from(data, o + off_flags)[0] >> pg_slab & 1:
                    continue
                pfn = lo + i
                order = word.unpack_from(data, o + off_priv)[0]
                if order >= orders or pfn & ((1 << order) - 1):
                    raise CheckError('pfn %#x: buddy order %d bad (LENGTH(zone.free_area) %d)'
                                     % (pfn, order, orders))
                blocks[pfn] = order
    return blocks


def free_set(blocks):
    """The free pfns as a sorted list of [start, end) ranges, no overlap."""
    ranges = sorted((p, p + (1 << o)) for p, o in blocks.items())
    for (a, b), (c, _d) in zip(ranges, ranges[1:]):
        if c < b:
            raise CheckError('free blocks overlap: %#x-%#x and %#x' % (a, b, c))
    return ranges


def against_dump(core, ranges, dump_path):
    """(excluded, kept) free pages of DUMP; a dropped page must be free."""
    dump = kdumpfile.kdumpfile(dump_path)
    elf = dump.attr['file.format'] == 'elf'
    free = set()
    for a, b in ranges:
        free.update(range(a, b))
    page = core.page
    zero = bytes(page)
    excluded = kept = 0
    bad = []
    seen = set()
    for paddr, memsz in core.loads:
        for pfn in range((paddr + page - 1) // page, (paddr + memsz) // page):
            if pfn in seen:
                continue
            seen.add(pfn)
            try:
                got = bytes(dump.read(PHYS, pfn * page, page))
                dropped = elf and got == zero and \
                    bytes(core.k.read(PHYS, pfn * page, page)) != zero
            except kx.NoDataException:
                dropped = True
            if pfn in free:
                if dropped:
                    excluded += 1
                else:
                    kept += 1
            elif dropped:
                bad.append(pfn)
    if bad:
        raise CheckError('%d dropped pages are not free, first pfns %s' % (
            len(bad), ' '.join(hex(p) for p in bad[:5])))
    return excluded, kept


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.splitlines()[3], file=sys.stderr)
        return 2
    try:
        core = Core(sys.argv[1])
    except (OSError, ValueError, KeyError, kx.KDumpBaseException) as e:
        print('FAIL cannot read %s: %s' % (sys.argv[1], e))
        return 2
    try:
        blocks = free_blocks(core)
        ranges = free_set(blocks)
        total = sum(b - a for a, b in ranges)
        if not total:
            raise CheckError('no free page found')
        line = 'free %d (%d blocks, %d sections, arch %s, release %s)' % (
            total, len(blocks), core.sections, core.k.attr['arch.name'],
            core.info.get('OSRELEASE', '?'))
        if len(sys.argv) == 3:
            excluded, kept = against_dump(core, ranges, sys.argv[2])
            line += ', excluded %d, kept %d' % (excluded, kept)
    except CheckError as e:
        print('FAIL %s' % e)
        return 1
    except (OSError, kx.KDumpBaseException) as e:
        print('FAIL cannot read: %s' % e)
        return 2
    print('ok   ' + line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
