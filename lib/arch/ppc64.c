/*
 * ppc64.c - kernel-virtual -> physical for 64-bit PowerPC (EM_PPC64), big
 * or little endian (the reader's format says which).
 *
 * (1) The layout (arch/powerpc/include/asm/page.h): the kernel image and
 * the linear map share KERNELBASE = PAGE_OFFSET = 0xc000000000000000, so
 * pa = va - 0xc000000000000000 for both, on hash and radix MMUs alike.
 * The linear map ends where vmalloc starts: 0xc008000000000000 with radix
 * (4.17+) and with hash since 4.20; 0xd000000000000000 before.  We bound
 * the rule at the lower one, which leaves 2 PiB of linear map.
 *
 * (2) No VMCOREINFO number is needed for the rule (KERNELOFFSET,
 * NUMBER(RADIX_MMU) are exported but do not change it).
 *
 * (3) The page walk (Book3S-64 radix tree, the MMU of POWER9 and later
 * and of QEMU's pseries -cpu power9): vmemmap (0xc00c000000000000 on
 * radix), vmalloc and modules lie outside the linear rule, and struct
 * pages are reached through SYMBOL(swapper_pg_dir), init_mm's PGD, a
 * linear-map address.  Four levels index va bits 51..0 below the page
 * offset: PGD 13 bits, PUD 9, PMD 9 and PTE 9 with 4 KiB pages or 5 with
 * 64 KiB (book3s/64/radix-4k.h, radix-64k.h); the page size is PAGESIZE.
 * Entries are big-endian whatever the kernel's byte order (__be64).  Bit
 * 63 says present; bit 62 (_PAGE_PTE) marks a leaf, which a PUD (1 GiB) or
 * PMD (2 MiB) entry may be too.  A directory entry holds the next table's
 * real address with bits 63..62 and 7..0 (the next level's size) masked
 * off; a leaf's real page number is bits 55..page shift.  A hash-MMU
 * kernel maps vmemmap in the hashed page table instead (not walked here:
 * its vmemmap addresses stay unreadable, and page filtering falls back to
 * zero pages with a warning).  A root that is not in the dump, or whose
 * PGD has no present entry, gives no walk; the rule alone is proposed
 * after the walking candidate in any case.
 *
 * (4) Candidates are validated by xlat.c with init_uts_ns.
 */
#include <elf.h>
#include <inttypes.h>

#include "../rd.h"
#include "arch.h"

/* PAGE_OFFSET = KERNELBASE on ppc64 (all kernels we read). */
static const uint64_t PPC64_PAGE_OFFSET = UINT64_C(0xc000000000000000);
/* Radix VMALLOC_START (4.17+), the lowest non-linear kernel address. */
static const uint64_t PPC64_LINEAR_END = UINT64_C(0xc008000000000000);

enum {
	PPC64_PRESENT_BIT = 63,
	PPC64_LEAF_BIT = 62,
	PPC64_PA_BITS = 56,		/* _PAGE_PA_MAX */
	PPC64_PGD_BITS = 13,
	PPC64_DIR_BITS = 9,		/* PUD and PMD */
	PPC64_LEVELS = 4,
};
/* A directory entry's next-table address: bits 63..62 and 7..0 off. */
static const uint64_t PPC64_DIR_ADDR_MASK = UINT64_C(0x3fffffffffffff00);
static const struct rd_format ppc64_entry_format = { RD_BIG_ENDIAN, 8 };

/* Index bits of level @l (0 = PGD .. 3 = PTE) for @page_shift. */
static unsigned ppc64_level_bits(unsigned l, unsigned page_shift)
{
	if (l == 0)
		return PPC64_PGD_BITS;
	if (l < 3)
		return PPC64_DIR_BITS;
	return page_shift == 16 ? 5 : 9;
}

static struct crash_error *ppc64_walk(const struct xlat_reader *r,
				      const struct arch_candidate *c,
				      uint64_t vaddr, uint64_t *paddr_ret)
{
	static const char *const names[] = { "PGD", "PUD", "PMD", "PTE" };
	unsigned page_shift = c->pgtable_page_shift;
	if (page_shift != 12 && page_shift != 16)
		return crash_error_fault(vaddr, "ppc64: page walk of 0x%016" PRIx64
					 ": page size 2^%u is not 4 or 64 KiB",
					 vaddr, page_shift);
	// The quadrant (bits 63..62) selects the tree; bits 61..52 must be 0.
	uint64_t ea = vaddr & ((UINT64_C(1) << 52) - 1);
	if ((vaddr & ~(UINT64_C(3) << 62)) >> 52)
		return crash_error_fault(vaddr, "ppc64: page walk of 0x%016" PRIx64
					 ": outside the 52-bit radix tree", vaddr);
	unsigned shift = 52;
	uint64_t table = c->pgtable_root_phys;
	for (unsigned l = 0; l < PPC64_LEVELS; l++) {
		unsigned bits = ppc64_level_bits(l, page_shift);
		shift -= bits;
		unsigned index = (unsigned)(ea >> shift) & ((1u << bits) - 1);
		uint64_t at = table + 8 * (uint64_t)index;
		uint8_t b[8];
		struct crash_error *err = r->read_phys(r->arg, at, b, 8);
		if (err)
			return crash_error_prefix(err, "ppc64: page walk of 0x%016" PRIx64
						  ": reading %s[%u] at 0x%" PRIx64,
						  vaddr, names[l], index, at);
		uint64_t e = rd_u64(&ppc64_entry_format, b);
		if (!(e >> PPC64_PRESENT_BIT & 1))
			return crash_error_fault(vaddr, "ppc64: page walk of 0x%016" PRIx64
						 ": %s[%u] = 0x%016" PRIx64 " is not present",
						 vaddr, names[l], index, e);
		bool leaf = e >> PPC64_LEAF_BIT & 1;
		if (leaf || l == PPC64_LEVELS - 1) {
			if (!leaf || l == 0)
				return crash_error_fault(vaddr, "ppc64: page walk of 0x%016" PRIx64
							 ": %s[%u] = 0x%016" PRIx64 " is not a leaf",
							 vaddr, names[l], index, e);
			uint64_t offset_mask = (UINT64_C(1) << shift) - 1;
			uint64_t pa = e & ((UINT64_C(1) << PPC64_PA_BITS) - 1) & ~offset_mask;
			*paddr_ret = pa | (ea & offset_mask);
			return NULL;
		}
		table = e & PPC64_DIR_ADDR_MASK;
	}
	// Not reached: the last level returns.
	return crash_error_fault(vaddr, "ppc64: page walk of 0x%016" PRIx64 ": no leaf", vaddr);
}

/* Whether the PGD at @phys is in the dump and has a present entry. */
static bool ppc64_root_usable(const struct xlat_reader *r, uint64_t phys)
{
	uint8_t buf[8 * 64];
	size_t entries = (size_t)1 << PPC64_PGD_BITS;
	for (size_t i = 0; i < entries; i += 64) {
		struct crash_error *err = r->read_phys(r->arg, phys + 8 * i, buf, sizeof(buf));
		if (err) {
			crash_error_destroy(err);
			return false;
		}
		for (size_t j = 0; j < sizeof(buf); j += 8)
			if (rd_u64(&ppc64_entry_format, buf + j) >> PPC64_PRESENT_BIT & 1)
				return true;
	}
	return false;
}

static struct crash_error *ppc64_candidates(const struct xlat_reader *r,
					    arch_candidate_fn *emit, void *arg)
{
	struct arch_candidate linear = {
		.method = "linear map at 0xc000000000000000",
		.has_linear = true,
		.linear_start = PPC64_PAGE_OFFSET,
		.linear_end = PPC64_LINEAR_END,
		.linear_phys = 0,
		.pgtable_root_phys = UINT64_MAX,
	};
	uint64_t root, page_size;
	if (arch_symbol(r, "swapper_pg_dir", &root) &&
	    root >= PPC64_PAGE_OFFSET && root < PPC64_LINEAR_END &&
	    arch_decimal(r, "PAGESIZE", &page_size) &&
	    (page_size == 4096 || page_size == 65536) &&
	    ppc64_root_usable(r, root - PPC64_PAGE_OFFSET)) {
		struct arch_candidate walked = linear;
		walked.method = "linear map at 0xc000000000000000, radix page "
				"tables at swapper_pg_dir";
		walked.pgtable_root_phys = root - PPC64_PAGE_OFFSET;
		walked.pgtable_levels = PPC64_LEVELS;
		walked.pgtable_page_shift = page_size == 4096 ? 12 : 16;
		if (!emit(arg, &walked))
			return NULL;
	}
	emit(arg, &linear);
	return NULL;
}

const struct arch_ops arch_ppc64_ops = {
	.name = "ppc64",
	.machine = EM_PPC64,
	.candidates = ppc64_candidates,
	.walk = ppc64_walk,
};
