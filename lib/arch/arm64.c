/*
 * arm64.c - kernel-virtual -> physical candidates for AArch64 (EM_AARCH64).
 *
 * (1) The layout, by era (arch/arm64/include/asm/memory.h):
 *   - before 4.6: the image is inside the linear map, which is the top
 *     half of the kernel space: PAGE_OFFSET = ~0 << (VA_BITS - 1),
 *     pa = (va & ~PAGE_OFFSET) + PHYS_OFFSET;
 *   - 4.6-5.3: the image moved to the vmalloc area, the bottom half of
 *     the kernel space [-(1 << VA_BITS), PAGE_OFFSET); pa = va -
 *     kimage_voffset (commit f9040773b7bb "arm64: move kernel image to
 *     base of vmalloc area");
 *   - 5.4+: the halves swapped (commit 14c127c957c1 "arm64: mm: Flip
 *     kernel VA space"): linear map [PAGE_OFFSET, PAGE_END) with
 *     PAGE_OFFSET = -(1 << VA_BITS) and PAGE_END = -(1 << (VA_BITS_MIN -
 *     1)); image, modules and vmalloc above PAGE_END.  pa = va -
 *     PAGE_OFFSET + PHYS_OFFSET.
 * A kernel built for 52-bit VAs may run with 48 (47 with 16 KiB pages, 6.9+).
 * Since 5.11 (commit 7bc1a0f9e176 "arm64: mm: use single quantity to
 * represent the PA to VA translation") memstart_addr (PHYS_OFFSET) is then
 * lowered by _PAGE_OFFSET(48) - _PAGE_OFFSET(52) so that the formula keeps
 * PAGE_OFFSET(VA_BITS) while the linear map starts at -(1 << 48): PHYS_OFFSET
 * is then "negative" (kexec-tools commit 67ea2d9 treats it as signed).
 *
 * (2) VMCOREINFO (arch/arm64/kernel/vmcore_info.c, crash_core.c before
 * 6.8): NUMBER(VA_BITS) (4.12+, decimal), NUMBER(kimage_voffset) and
 * NUMBER(PHYS_OFFSET) (4.12+, 0x-hex: a two's-complement 64-bit value),
 * NUMBER(TCR_EL1_T1SZ) (5.9+; runtime VA size = 64 - T1SZ), KERNELOFFSET.
 *
 * (3) Candidates, for each runtime VA size b (64 - T1SZ, VA_BITS, then 48
 * and 47 when VA_BITS is 52; 48, 39, 42, 47, 36, 52 when VA_BITS is not
 * exported): the 5.4+ layout with PAGE_OFFSET from VA_BITS and from b, the
 * 4.6-5.3 layout, the pre-4.6 layout.  init_uts_ns (an image symbol)
 * checks the era; xlat.c valid (4) rejects a linear map that reaches no
 * RAM, which tells the 52/48-bit pairings apart.  Without PHYS_OFFSET the
 * lowest PT_LOAD paddr stands in for memstart_addr.
 *
 * (4) The page walk (ARM ARM D8, "VMSAv8-64 translation"): vmemmap,
 * vmalloc and module addresses lie outside both rules.  From 4.6 on every
 * candidate carries SYMBOL(swapper_pg_dir) (an image symbol, so physical =
 * va - kimage_voffset) as the TTBR1 root, the candidate's runtime VA size b
 * and the granule from PAGESIZE (4, 16 or 64 KiB: g = 12, 14, 16 bits).
 * Each level resolves g - 3 bits; the top level the rest of b - g, so 4 KiB
 * pages give 3 levels at 39 bits, 4 at 48 and 5 at 52 (FEAT_LPA2).  A
 * descriptor is invalid when bit 0 is clear; bit 1 set is a table (a page
 * at the last level), clear a block.  The output address is bits [47:g],
 * plus [51:48] from bits [15:12] with 64 KiB pages (FEAT_LPA), or bits
 * [49:g] plus [51:50] from bits [9:8] with 4/16 KiB pages at 52 bits (LPA2,
 * TCR_EL1.DS = 1: those bits are no longer the shareability field).  xlat.c
 * valid (5) checks the candidate's linear map against the walk, which also
 * tells a 52-bit from a 48-bit layout apart.  A root page that cannot be
 * read, or holds no valid descriptor (a dump trimmed without its tables, a
 * synthetic one), gives no tables: the rules alone, as before the walk
 * existed.  The walk is bounded by its
 * level count (at most 5).  Failures are FAULTs naming the ARM level (3 is
 * the last), index and raw descriptor.
 *
 * (5) The image rule covers, by era, everything above the linear map
 * (5.4+) or below it (4.6-5.3), which also holds vmalloc, modules and
 * vmemmap: with page tables to walk, the rule would send those through
 * kimage_voffset to nonsense.  When a PT_LOAD holds SYMBOL(_stext) with
 * p_vaddr - p_paddr == kimage_voffset (kexec-tools' and kexec_file's
 * "kernel text" segment, _text to _end), the image rule is cut to that
 * PT_LOAD and the walk does the rest.
 */
#include <elf.h>
#include <inttypes.h>

#include "arch.h"

/* VA_BITS values arm64 has had (36 with 16K/2-level, up to 52, LVA/LPA2). */
static const unsigned ARM64_VA_BITS_MIN = 36, ARM64_VA_BITS_MAX = 52;
/* When VA_BITS is not exported: the configs seen in distributions first. */
static const unsigned arm64_guess_bits[] = { 48, 39, 42, 47, 36, 52 };
enum { ARM64_MAX_BITS = 8 };

static uint64_t arm64_neg_pow2(unsigned bits)
{
	return (uint64_t)0 - (UINT64_C(1) << bits);
}

struct arm64_params {
	bool have_voffset;
	uint64_t pgd_phys;	/* swapper_pg_dir, or UINT64_MAX */
	unsigned page_shift;
	bool have_image_load;	/* (5) */
	uint64_t image_load_start, image_load_end;
	uint64_t kimage_voffset;
	uint64_t phys_offset;
	unsigned va_bits;	/* 0 if not exported */
	arch_candidate_fn *emit;
	void *arg;
};

static bool arm64_emit(const struct arm64_params *p, unsigned b,
		       struct arch_candidate *c)
{
	// (5): cut the image rule to the kernel-text PT_LOAD.
	if (c->has_image && p->have_image_load &&
	    p->image_load_start >= c->image_start &&
	    p->image_load_end - 1 <= c->image_end - 1) {
		c->image_start = p->image_load_start;
		c->image_end = p->image_load_end;
		c->image_phys = c->image_start - p->kimage_voffset;
	}
	c->pgtable_root_phys = p->pgd_phys;
	c->pgtable_va_bits = b;
	c->pgtable_page_shift = p->page_shift;
	return p->emit(p->arg, c);
}

/* Levels of a walk: ceil((b - g) / (g - 3)). */
static unsigned arm64_levels(unsigned b, unsigned g)
{
	return (b - g + (g - 3) - 1) / (g - 3);
}

/* The output address of descriptor @raw (see (4)). */
static uint64_t arm64_oa(uint64_t raw, unsigned g, bool lpa2)
{
	uint64_t low = ~((UINT64_C(1) << g) - 1);
	if (g == 16)
		return (raw & UINT64_C(0x0000ffffffff0000)) |
		       ((raw >> 12 & 0xf) << 48);
	if (lpa2)
		return (raw & UINT64_C(0x0003fffffffff000) & low) |
		       ((raw >> 8 & 3) << 50);
	return raw & UINT64_C(0x0000fffffffff000) & low;
}

static struct crash_error *arm64_walk(const struct xlat_reader *r,
				      const struct arch_candidate *c,
				      uint64_t vaddr, uint64_t *paddr_ret)
{
	unsigned g = c->pgtable_page_shift, b = c->pgtable_va_bits;
	if ((g != 12 && g != 14 && g != 16) || b < ARM64_VA_BITS_MIN ||
	    b > ARM64_VA_BITS_MAX)
		return crash_error_fault(vaddr,
					 "arm64: page walk of 0x%016" PRIx64
					 ": no layout for %u-bit VAs with "
					 "%u-bit pages",
					 vaddr, b, g);
	if (vaddr >> b != UINT64_MAX >> b)
		return crash_error_fault(vaddr,
					 "arm64: page walk of 0x%016" PRIx64
					 ": not a %u-bit kernel (TTBR1) address",
					 vaddr, b);
	unsigned levels = arm64_levels(b, g), s = g - 3;
	bool lpa2 = g != 16 && b == 52;
	uint64_t table = c->pgtable_root_phys;
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = g + s * (level - 1);
		unsigned width = level == levels ? b - shift : s;
		unsigned index = (unsigned)(vaddr >> shift) &
				 ((1u << width) - 1);
		int arm_level = 4 - (int)level;
		uint8_t e[8];
		struct crash_error *err =
			r->read_phys(r->arg, table + 8 * (uint64_t)index, e, 8);
		if (err)
			return crash_error_prefix(
				err,
				"arm64: page walk of 0x%016" PRIx64
				": reading level %d[%u] at 0x%" PRIx64,
				vaddr, arm_level, index,
				table + 8 * (uint64_t)index);
		uint64_t raw = rd_u64(r->format, e);
		if (!(raw & 1))
			return crash_error_fault(
				vaddr,
				"arm64: page walk of 0x%016" PRIx64
				": level %d[%u] = 0x%016" PRIx64 " is not valid",
				vaddr, arm_level, index, raw);
		bool is_table = raw & 2;
		if (!is_table && (level == 1 || level == levels))
			return crash_error_fault(
				vaddr,
				"arm64: page walk of 0x%016" PRIx64
				": level %d[%u] = 0x%016" PRIx64
				" is a block, reserved at this level",
				vaddr, arm_level, index, raw);
		uint64_t oa = arm64_oa(raw, g, lpa2);
		if (level == 1 || !is_table) {
			uint64_t mask = (UINT64_C(1) << shift) - 1;
			*paddr_ret = (oa & ~mask) | (vaddr & mask);
			return NULL;
		}
		table = oa;
	}
	// Not reached: level 1 always returns.
	return crash_error_fault(vaddr, "arm64: page walk of 0x%016" PRIx64
				 ": no level", vaddr);
}

/* 5.4+: linear map [-(1 << b), -(1 << (b - 1))), pa = va - PAGE_OFFSET(f)
 * + PHYS_OFFSET; the image above. */
static bool arm64_emit_flipped(const struct arm64_params *p, unsigned b,
			       unsigned f, const char *method)
{
	uint64_t page_offset = arm64_neg_pow2(f);
	struct arch_candidate c = {
		.method = method,
		.has_linear = true,
		.linear_start = arm64_neg_pow2(b),
		.linear_end = arm64_neg_pow2(b - 1),
	};
	c.linear_phys = c.linear_start - page_offset + p->phys_offset;
	if (p->have_voffset) {
		c.has_image = true;
		c.image_start = c.linear_end;
		c.image_end = UINT64_MAX;
		c.image_phys = c.image_start - p->kimage_voffset;
	}
	return arm64_emit(p, b, &c);
}

/* Before 5.4: linear map [~0 << (b - 1), top); the image (4.6+) below. */
static bool arm64_emit_unflipped(const struct arm64_params *p, unsigned b)
{
	struct arch_candidate c = {
		.method = p->have_voffset
				  ? "linear map above the image (4.6-5.3)"
				  : "linear map holding the image (before 4.6)",
		.has_linear = true,
		.linear_start = arm64_neg_pow2(b - 1),
		.linear_end = UINT64_MAX,
		.linear_phys = p->phys_offset,
	};
	if (p->have_voffset) {
		c.has_image = true;
		c.image_start = arm64_neg_pow2(b);
		c.image_end = c.linear_start;
		c.image_phys = c.image_start - p->kimage_voffset;
	}
	return arm64_emit(p, b, &c);
}

static void arm64_add_bits(unsigned *list, size_t *count, unsigned bits)
{
	if (bits < ARM64_VA_BITS_MIN || bits > ARM64_VA_BITS_MAX ||
	    *count >= ARM64_MAX_BITS)
		return;
	for (size_t i = 0; i < *count; i++)
		if (list[i] == bits)
			return;
	list[(*count)++] = bits;
}

static struct crash_error *arm64_candidates(const struct xlat_reader *r,
					    arch_candidate_fn *emit, void *arg)
{
	struct arm64_params p = { .emit = emit, .arg = arg,
				  .pgd_phys = UINT64_MAX };
	p.have_voffset = arch_number(r, "kimage_voffset", &p.kimage_voffset);
	// The page tables (4): 4.6+ only, where swapper_pg_dir is in the image.
	uint64_t pgd, page_size = 0;
	if (arch_decimal(r, "PAGESIZE", &page_size) &&
	    (page_size == 4096 || page_size == 16384 || page_size == 65536)) {
		p.page_shift = page_size == 4096 ? 12 : page_size == 16384 ? 14 : 16;
		if (p.have_voffset && !r->pgtables_hold_machine_frames &&
		    arch_symbol(r, "swapper_pg_dir", &pgd) &&
		    arch_table_has_entry(r, pgd - p.kimage_voffset,
				 UINT64_C(1) << p.page_shift, r->format, 1))
			p.pgd_phys = pgd - p.kimage_voffset;
	}
	uint64_t stext;
	if (p.have_voffset && p.pgd_phys != UINT64_MAX &&
	    arch_symbol(r, "_stext", &stext)) {
		for (size_t i = 0; i < r->range_count; i++) {
			const struct xlat_range *l = &r->ranges[i];
			if (l->vaddr && l->size && stext >= l->vaddr &&
			    stext - l->vaddr < l->size &&
			    l->vaddr - l->paddr == p.kimage_voffset &&
			    l->size <= UINT64_MAX - l->vaddr) {
				p.have_image_load = true;
				p.image_load_start = l->vaddr;
				p.image_load_end = l->vaddr + l->size;
				break;
			}
		}
	}
	if (!arch_number(r, "PHYS_OFFSET", &p.phys_offset)) {
		uint64_t lowest = UINT64_MAX;
		for (size_t i = 0; i < r->range_count; i++)
			if (r->ranges[i].size && r->ranges[i].paddr < lowest)
				lowest = r->ranges[i].paddr;
		p.phys_offset = lowest == UINT64_MAX ? 0 : lowest;
	}
	uint64_t va_bits = 0, t1sz;
	if (arch_number(r, "VA_BITS", &va_bits) &&
	    va_bits >= ARM64_VA_BITS_MIN && va_bits <= ARM64_VA_BITS_MAX)
		p.va_bits = (unsigned)va_bits;

	// The runtime VA sizes to try, most likely first.
	unsigned bits[ARM64_MAX_BITS];
	size_t bits_count = 0;
	if (arch_number(r, "TCR_EL1_T1SZ", &t1sz) && t1sz < 64)
		arm64_add_bits(bits, &bits_count, 64 - (unsigned)t1sz);
	if (p.va_bits) {
		arm64_add_bits(bits, &bits_count, p.va_bits);
		if (p.va_bits == 52) {
			arm64_add_bits(bits, &bits_count, 48);
			arm64_add_bits(bits, &bits_count, 47);
		}
	} else {
		for (size_t i = 0;
		     i < sizeof(arm64_guess_bits) / sizeof(arm64_guess_bits[0]);
		     i++)
			arm64_add_bits(bits, &bits_count, arm64_guess_bits[i]);
	}

	for (size_t i = 0; i < bits_count; i++) {
		unsigned b = bits[i];
		if (p.va_bits && p.va_bits != b &&
		    !arm64_emit_flipped(&p, b, p.va_bits,
					"linear map below the image (5.11+), "
					"PAGE_OFFSET from VA_BITS, smaller "
					"runtime VA size"))
			return NULL;
		if (!arm64_emit_flipped(&p, b, b,
					"linear map below the image (5.4+)"))
			return NULL;
	}
	for (size_t i = 0; i < bits_count; i++)
		if (!arm64_emit_unflipped(&p, bits[i]))
			return NULL;
	return NULL;
}

const struct arch_ops arch_arm64_ops = {
	.name = "arm64",
	.machine = EM_AARCH64,
	.candidates = arm64_candidates,
	.walk = arm64_walk,
};
