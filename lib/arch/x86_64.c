/*
 * x86_64.c - kernel-virtual -> physical candidates and the page walk for
 * x86_64 (EM_X86_64).
 *
 * (1) The layout (arch/x86/include/asm/page_64_types.h, Documentation/
 * arch/x86/x86_64/mm.rst).  The kernel image is mapped at
 * __START_KERNEL_map = 0xffffffff80000000 over KERNEL_IMAGE_SIZE bytes
 * (512 MiB, 1 GiB with RANDOMIZE_BASE), at physical phys_base.  The direct
 * map starts at page_offset_base, a constant up to 4.7 and randomised with
 * CONFIG_RANDOMIZE_MEMORY since 4.8 (not exported in VMCOREINFO).
 *
 * (2) What we read.  NUMBER(phys_base) (since 2.6.x; 0 when missing),
 * NUMBER(KERNEL_IMAGE_SIZE) (4.x+; 1 GiB when missing), SYMBOL(init_top_pgt)
 * (4.13+; SYMBOL(init_level4_pgt) before), NUMBER(pgtable_l5_enabled)
 * (4.17+), NUMBER(sme_mask) (4.15+, AMD memory encryption: the C-bit is
 * set in page-table entries and must be masked out).
 *
 * (3) Candidates, most trustworthy first:
 *   a. direct map from PT_LOAD: page_offset = p_vaddr - p_paddr of the
 *      segments with vaddr in [0xff00000000000000, __START_KERNEL_map),
 *      when they all agree (kexec and kexec_file write direct-map vaddrs);
 *   b. direct map found in the page tables: the lowest kernel-half virtual
 *      address that maps physical 0, at 1 GiB granularity (KASLR aligns
 *      page_offset_base to PUD_SIZE, arch/x86/mm/kaslr.c) - the search
 *      libkdumpfile's src/addrxlat/x86_64.c does;
 *   The direct-map rule of a/b/c spans the RAM the PT_LOADs describe,
 *   rounded up to 1 GiB (at most 64 TiB, 32 PiB with 5 levels).
 *   c. the constants below, keyed by kernel version;
 *   d. the image rule plus the page walk only (no direct-map rule).
 * Every candidate carries the page tables (when SYMBOL(init_top_pgt) is
 * exported) so that xlat.c can cross-check its direct map (xlat.c valid
 * (5)) and translate addresses outside both rules (vmalloc).
 *
 * (4) Hostile page tables: the walk is bounded by its level count; the
 * search by X86_64_SEARCH_READS reads, so tables that point at themselves
 * cost a bounded amount of work.  Entries are masked by sme_mask and by the
 * 52-bit physical-address field before use.
 *
 * (5) A walk failure is a FAULT naming the level, index and raw entry.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "arch.h"

#include <elf.h>

/* __START_KERNEL_map, arch/x86/include/asm/page_64_types.h (all kernels). */
static const uint64_t START_KERNEL_map = UINT64_C(0xffffffff80000000);
/* KERNEL_IMAGE_SIZE with RANDOMIZE_BASE (4.x+); 512 MiB without. */
static const uint64_t X86_64_IMAGE_SIZE_DEFAULT = UINT64_C(1) << 30;
/* The image may not reach past the top of the address space: 2 GiB. */
static const uint64_t X86_64_IMAGE_SIZE_MAX = UINT64_C(1) << 31;
/* Lowest kernel-half address we accept as a direct-map PT_LOAD vaddr. */
static const uint64_t X86_64_KERNEL_HALF_MIN = UINT64_C(0xff00000000000000);
/* Maximum direct-map size: 64 TiB (4-level), 32 PiB (5-level) (mm.rst). */
static const unsigned X86_64_DIRECT_MAP_BITS_L4 = 46, X86_64_DIRECT_MAP_BITS_L5 = 52;
/* PUD_SIZE: the direct map's KASLR alignment and our rounding of RAM. */
static const uint64_t X86_64_GIB = UINT64_C(1) << 30;
/* Page-table entry bits (arch/x86/include/asm/pgtable_types.h). */
static const uint64_t X86_64_PRESENT = 1, X86_64_PSE = 1 << 7;
/* PTE_PFN_MASK for 52 physical-address bits. */
static const uint64_t X86_64_ADDR_MASK = UINT64_C(0x000ffffffffff000);
/* Reads the direct-map search may make.  A real kernel needs one read per
 * present top-level kernel entry plus one or two per present pud entry
 * below the direct map: a few thousand at most (the direct map is the
 * lowest kernel mapping since 2.6.27).  Hostile tables stop here. */
enum { X86_64_SEARCH_READS = 16384, X86_64_ENTRIES = 512 };

/* page_offset_base constants, newest first (mm.rst of each kernel). */
struct x86_64_direct_map {
	uint64_t page_offset;
	bool five_level;
	const char *method;
};
static const struct x86_64_direct_map x86_64_direct_maps[] = {
	{ UINT64_C(0xff11000000000000), true,
	  "direct map at 0xff11000000000000 (4.20+, 5-level)" },
	{ UINT64_C(0xff10000000000000), true,
	  "direct map at 0xff10000000000000 (4.14-4.19, 5-level)" },
	{ UINT64_C(0xffff888000000000), false,
	  "direct map at 0xffff888000000000 (4.20+)" },
	{ UINT64_C(0xffff880000000000), false,
	  "direct map at 0xffff880000000000 (2.6.27-4.19)" },
	{ UINT64_C(0xffff810000000000), false,
	  "direct map at 0xffff810000000000 (up to 2.6.26)" },
};

static const char *x86_64_level_name(unsigned level, unsigned levels)
{
	switch (level) {
	case 1: return "pte";
	case 2: return "pmd";
	case 3: return "pud";
	case 4: return levels == 5 ? "p4d" : "pgd";
	default: return "pgd";
	}
}

static unsigned x86_64_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* Sign-extend @va from bit 47 (4-level) or 56 (5-level). */
static uint64_t x86_64_canonical(uint64_t va, unsigned levels)
{
	unsigned top = levels == 5 ? 56 : 47;
	if (va & (UINT64_C(1) << top))
		return va | ~((UINT64_C(1) << top) - 1);
	return va & ((UINT64_C(1) << top) - 1);
}

static struct crash_error *x86_64_read_entry(const struct xlat_reader *r,
					     uint64_t table, unsigned index,
					     uint64_t *ret)
{
	uint8_t b[8];
	struct crash_error *err = r->read_phys(r->arg, table + 8 * index, b, 8);
	if (err)
		return err;
	*ret = rd_u64(r->format, b);
	return NULL;
}

static struct crash_error *x86_64_walk(const struct xlat_reader *r,
				       const struct arch_candidate *c,
				       uint64_t vaddr, uint64_t *paddr_ret)
{
	unsigned levels = c->pgtable_levels == 5 ? 5 : 4;
	if (x86_64_canonical(vaddr, levels) != vaddr)
		return crash_error_fault(vaddr,
					 "x86_64: page walk of 0x%016" PRIx64
					 ": not a canonical %u-level address",
					 vaddr, levels);
	uint64_t table = c->pgtable_root_phys;
	for (unsigned level = levels; level >= 1; level--) {
		unsigned index =
			(unsigned)(vaddr >> x86_64_shift(level)) & (X86_64_ENTRIES - 1);
		uint64_t raw;
		struct crash_error *err = x86_64_read_entry(r, table, index, &raw);
		if (err)
			return crash_error_prefix(
				err,
				"x86_64: page walk of 0x%016" PRIx64
				": reading %s[%u] at 0x%" PRIx64,
				vaddr, x86_64_level_name(level, levels), index,
				table + 8 * index);
		uint64_t entry = raw & ~c->pgtable_entry_mask;
		if (!(entry & X86_64_PRESENT))
			return crash_error_fault(
				vaddr,
				"x86_64: page walk of 0x%016" PRIx64
				": %s[%u] = 0x%016" PRIx64 " is not present",
				vaddr, x86_64_level_name(level, levels), index,
				raw);
		if (level == 1 || ((level == 2 || level == 3) &&
				   (entry & X86_64_PSE))) {
			// A 4 KiB page, a 2 MiB page (pmd) or 1 GiB page (pud).
			uint64_t page_mask =
				(UINT64_C(1) << x86_64_shift(level)) - 1;
			*paddr_ret = (entry & X86_64_ADDR_MASK & ~page_mask) |
				     (vaddr & page_mask);
			return NULL;
		}
		if (entry & X86_64_PSE)
			return crash_error_fault(
				vaddr,
				"x86_64: page walk of 0x%016" PRIx64
				": %s[%u] = 0x%016" PRIx64
				" sets the page-size bit, reserved at this level",
				vaddr, x86_64_level_name(level, levels), index,
				raw);
		table = entry & X86_64_ADDR_MASK;
	}
	// Not reached: level 1 always returns.
	return crash_error_fault(vaddr, "x86_64: page walk of 0x%016" PRIx64
				 ": no level", vaddr);
}

/* The direct-map search (candidate b). */
struct x86_64_search {
	const struct xlat_reader *r;
	uint64_t mask;
	unsigned levels;
	unsigned reads_left;
	bool found;
	uint64_t page_offset;
};

/* Physical address of the first byte mapped through pud entry @entry. */
static bool x86_64_pud_first_pa(struct x86_64_search *s, uint64_t entry,
				uint64_t *ret)
{
	if (entry & X86_64_PSE) {
		*ret = entry & X86_64_ADDR_MASK & ~((UINT64_C(1) << 30) - 1);
		return true;
	}
	uint64_t pmd;
	if (s->reads_left == 0)
		return false;
	s->reads_left--;
	struct crash_error *err =
		x86_64_read_entry(s->r, entry & X86_64_ADDR_MASK, 0, &pmd);
	if (err) {
		crash_error_destroy(err);
		return false;
	}
	pmd &= ~s->mask;
	if (!(pmd & X86_64_PRESENT))
		return false;
	if (pmd & X86_64_PSE) {
		*ret = pmd & X86_64_ADDR_MASK & ~((UINT64_C(1) << 21) - 1);
		return true;
	}
	uint64_t pte;
	if (s->reads_left == 0)
		return false;
	s->reads_left--;
	err = x86_64_read_entry(s->r, pmd & X86_64_ADDR_MASK, 0, &pte);
	if (err) {
		crash_error_destroy(err);
		return false;
	}
	pte &= ~s->mask;
	if (!(pte & X86_64_PRESENT))
		return false;
	*ret = pte & X86_64_ADDR_MASK;
	return true;
}

/* Scan the table at @table (level @level) for the lowest virtual address
 * that maps physical 0; @prefix holds the index bits of the levels above. */
static void x86_64_search_table(struct x86_64_search *s, uint64_t table,
				unsigned level, uint64_t prefix)
{
	uint8_t buf[8 * X86_64_ENTRIES];
	if (s->reads_left == 0)
		return;
	s->reads_left--;
	struct crash_error *err = s->r->read_phys(s->r->arg, table, buf,
						  sizeof(buf));
	if (err) {
		crash_error_destroy(err);
		return;
	}
	// At the top, only the kernel half (indices 256-511).
	unsigned first = level == s->levels ? X86_64_ENTRIES / 2 : 0;
	for (unsigned i = first; i < X86_64_ENTRIES && !s->found; i++) {
		uint64_t entry = rd_u64(s->r->format, buf + 8 * i) & ~s->mask;
		if (!(entry & X86_64_PRESENT))
			continue;
		uint64_t va = x86_64_canonical(
			prefix | (uint64_t)i << x86_64_shift(level), s->levels);
		if (va >= START_KERNEL_map)
			return;
		if (level == 3) {
			uint64_t pa;
			if (x86_64_pud_first_pa(s, entry, &pa) && pa == 0) {
				s->found = true;
				s->page_offset = va;
			}
		} else if (!(entry & X86_64_PSE)) {
			x86_64_search_table(s, entry & X86_64_ADDR_MASK,
					    level - 1, va);
		}
		if (s->reads_left == 0)
			return;
	}
}

struct x86_64_emitter {
	const struct arch_candidate *base;
	uint64_t linear_size;
	arch_candidate_fn *emit;
	void *arg;
	/* page_offset values already proposed: (a), (b) and the constants. */
	uint64_t done[2 + sizeof(x86_64_direct_maps) /
		      sizeof(x86_64_direct_maps[0])];
	size_t done_count;
};

/* Propose base + a direct map at @page_offset (once per value); false when
 * the receiver wants no more candidates. */
static bool x86_64_emit_linear(struct x86_64_emitter *e, uint64_t page_offset,
			       const char *method)
{
	if (page_offset < X86_64_KERNEL_HALF_MIN ||
	    page_offset >= START_KERNEL_map)
		return true;
	for (size_t i = 0; i < e->done_count; i++)
		if (e->done[i] == page_offset)
			return true;
	if (e->done_count < sizeof(e->done) / sizeof(e->done[0]))
		e->done[e->done_count++] = page_offset;
	struct arch_candidate c = *e->base;
	c.method = method;
	c.has_linear = true;
	c.linear_start = page_offset;
	c.linear_end = START_KERNEL_map - page_offset < e->linear_size
			       ? START_KERNEL_map
			       : page_offset + e->linear_size;
	c.linear_phys = 0;
	return e->emit(e->arg, &c);
}

static struct crash_error *x86_64_candidates(const struct xlat_reader *r,
					     arch_candidate_fn *emit, void *arg)
{
	struct arch_candidate base = {
		.has_image = true,
		.image_start = START_KERNEL_map,
		.pgtable_root_phys = UINT64_MAX,
		.pgtable_levels = 4,
	};

	// The image rule: phys_base from VMCOREINFO, else from a kernel-text
	// PT_LOAD (kexec_file_load writes one with vaddr = _text), else 0.
	uint64_t phys_base = 0, text_offset;
	if (!arch_number(r, "phys_base", &phys_base) &&
	    arch_ptload_offset(r, START_KERNEL_map, UINT64_MAX, &text_offset))
		phys_base = START_KERNEL_map - text_offset;
	uint64_t image_size;
	if (!arch_number(r, "KERNEL_IMAGE_SIZE", &image_size) ||
	    image_size == 0 || image_size > X86_64_IMAGE_SIZE_MAX)
		image_size = X86_64_IMAGE_SIZE_DEFAULT;
	base.image_end = START_KERNEL_map + (image_size - 1) + 1;
	if (base.image_end == 0)
		base.image_end = UINT64_MAX;
	base.image_phys = phys_base;

	uint64_t l5 = 0, sme_mask = 0, pgt;
	if (arch_number(r, "pgtable_l5_enabled", &l5) && l5 == 1)
		base.pgtable_levels = 5;
	if (arch_number(r, "sme_mask", &sme_mask))
		base.pgtable_entry_mask = sme_mask;
	if (!r->pgtables_hold_machine_frames &&
	    (arch_symbol(r, "init_top_pgt", &pgt) ||
	     arch_symbol(r, "init_level4_pgt", &pgt)) &&
	    pgt >= base.image_start && pgt < base.image_end)
		base.pgtable_root_phys = pgt - START_KERNEL_map + phys_base;

	// The direct map covers [0, end of RAM) (KASLR places vmalloc right
	// after it, arch/x86/mm/kaslr.c), rounded up to 1 GiB; bounding it
	// leaves vmalloc addresses to the page walk.
	uint64_t linear_size = UINT64_C(1) << (base.pgtable_levels == 5
						       ? X86_64_DIRECT_MAP_BITS_L5
						       : X86_64_DIRECT_MAP_BITS_L4);
	uint64_t ram_end = 0;
	for (size_t i = 0; i < r->range_count; i++) {
		uint64_t end;
		if (!__builtin_add_overflow(r->ranges[i].paddr,
					    r->ranges[i].size, &end) &&
		    end > ram_end)
			ram_end = end;
	}
	if (ram_end > 0 && ram_end < linear_size) {
		ram_end = (ram_end + X86_64_GIB - 1) & ~(X86_64_GIB - 1);
		linear_size = ram_end;
	}
	struct x86_64_emitter e = {
		.base = &base,
		.linear_size = linear_size,
		.emit = emit,
		.arg = arg,
	};

	// (a) from PT_LOAD
	uint64_t po;
	if (arch_ptload_offset(r, X86_64_KERNEL_HALF_MIN, START_KERNEL_map,
			       &po) &&
	    !x86_64_emit_linear(&e, po, "direct map from PT_LOAD"))
		return NULL;

	// (b) from the page tables
	if (base.pgtable_root_phys != UINT64_MAX) {
		struct x86_64_search s = {
			.r = r,
			.mask = sme_mask,
			.levels = base.pgtable_levels,
			.reads_left = X86_64_SEARCH_READS,
		};
		x86_64_search_table(&s, base.pgtable_root_phys, s.levels, 0);
		if (s.found &&
		    !x86_64_emit_linear(&e, s.page_offset,
					"direct map found in the page tables"))
			return NULL;
		if (!s.found && s.reads_left == 0)
			arch_warn(r, "x86_64: direct-map search stopped after "
				  "%d page-table reads", X86_64_SEARCH_READS);
	}

	// (c) constants: the 5-level ones only with pgtable_l5_enabled=1.
	for (size_t i = 0;
	     i < sizeof(x86_64_direct_maps) / sizeof(x86_64_direct_maps[0]);
	     i++) {
		const struct x86_64_direct_map *d = &x86_64_direct_maps[i];
		if (d->five_level == (base.pgtable_levels == 5) &&
		    !x86_64_emit_linear(&e, d->page_offset, d->method))
			return NULL;
	}

	// (d) the walk alone
	if (base.pgtable_root_phys != UINT64_MAX) {
		struct arch_candidate c = base;
		c.method = "kernel image rule and page tables";
		emit(arg, &c);
	}
	return NULL;
}

const struct arch_ops arch_x86_64_ops = {
	.name = "x86_64",
	.machine = EM_X86_64,
	.candidates = x86_64_candidates,
	.walk = x86_64_walk,
};
