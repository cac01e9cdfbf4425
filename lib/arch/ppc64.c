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
 * off; a leaf's real page number is bits 55..page shift.  A root that is
 * not in the dump, or whose PGD has no present entry, gives no walk.
 *
 * (4) The hash MMU (POWER8, or radix off) maps vmemmap in the hashed page
 * table, not in swapper_pg_dir, and the radix candidate fails xlat.c's
 * check of the walk against the linear rule.  What the kernel keeps for
 * it (arch/powerpc/mm/init_64.c) is vmemmap_list: a singly linked list of
 * struct vmemmap_backing { list (next), phys, virt_addr }, one per
 * vmemmap block of 1 << mmu_psize_defs[mmu_vmemmap_psize].shift bytes,
 * all exported in VMCOREINFO (arch/powerpc/kexec/core.c).  The second
 * candidate translates vmemmap through that list (the linear map as the
 * rule does): "walk" mode 0 below, with the list head's physical address
 * as its root and the block shift as its page shift.  The field offsets
 * are 0, 8 and 16 since the struct exists; a VMCOREINFO that says
 * otherwise gives no such candidate.  The list is followed at most
 * PPC64_LIST_MAX nodes (a loop ends there).
 *
 * (5) Candidates, in order: radix walk, vmemmap_list, the rule alone;
 * xlat.c validates them with init_uts_ns.
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
	// (4): struct vmemmap_backing, and the longest list we follow (a
	// 64 TiB machine with 16 MiB blocks of 64-byte struct pages per
	// 64 KiB page has 65536 blocks).
	PPC64_VMB_LIST = 0, PPC64_VMB_PHYS = 8, PPC64_VMB_VIRT = 16,
	PPC64_VMB_SIZE = 24,
	PPC64_LIST_MAX = 1 << 20,
	// MMU_PAGE_COUNT is 16 at most (book3s/64/mmu.h).
	PPC64_MMU_PSIZES = 16,
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

/* (4): @vaddr through vmemmap_list, whose head pointer is at c's root. */
static struct crash_error *ppc64_list_walk(const struct xlat_reader *r,
					   const struct arch_candidate *c,
					   uint64_t vaddr, uint64_t *paddr_ret)
{
	if (vaddr >= PPC64_PAGE_OFFSET && vaddr < PPC64_LINEAR_END) {
		*paddr_ret = vaddr - PPC64_PAGE_OFFSET;
		return NULL;
	}
	uint64_t block = UINT64_C(1) << c->pgtable_page_shift;
	uint8_t b[PPC64_VMB_SIZE];
	struct crash_error *err = r->read_phys(r->arg, c->pgtable_root_phys, b, 8);
	if (err)
		return crash_error_prefix(err, "ppc64: vmemmap_list lookup of 0x%016" PRIx64
					  ": reading the list head", vaddr);
	uint64_t node = rd_u64(r->format, b);
	for (uint64_t n = 0; node != 0; n++) {
		if (n == PPC64_LIST_MAX || node < PPC64_PAGE_OFFSET ||
		    node >= PPC64_LINEAR_END)
			return crash_error_fault(vaddr, "ppc64: vmemmap_list lookup of 0x%016" PRIx64
						 ": node %" PRIu64 " at 0x%016" PRIx64
						 " is not a list node", vaddr, n, node);
		err = r->read_phys(r->arg, node - PPC64_PAGE_OFFSET, b, sizeof(b));
		if (err)
			return crash_error_prefix(err, "ppc64: vmemmap_list lookup of 0x%016" PRIx64
						  ": reading node %" PRIu64, vaddr, n);
		uint64_t virt = rd_u64(r->format, b + PPC64_VMB_VIRT);
		if (vaddr >= virt && vaddr - virt < block) {
			*paddr_ret = rd_u64(r->format, b + PPC64_VMB_PHYS) + (vaddr - virt);
			return NULL;
		}
		node = rd_u64(r->format, b + PPC64_VMB_LIST);
	}
	return crash_error_fault(vaddr, "ppc64: 0x%016" PRIx64 " is in no block of vmemmap_list",
				 vaddr);
}

static struct crash_error *ppc64_walk(const struct xlat_reader *r,
				      const struct arch_candidate *c,
				      uint64_t vaddr, uint64_t *paddr_ret)
{
	static const char *const names[] = { "PGD", "PUD", "PMD", "PTE" };
	if (c->pgtable_levels == 0)
		return ppc64_list_walk(r, c, vaddr, paddr_ret);
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

/* An exported OFFSET/SIZE that is absent or equals @want. */
static bool ppc64_layout_is(const struct xlat_reader *r, const char *key, uint64_t want)
{
	uint64_t v;
	return !arch_decimal(r, key, &v) || v == want;
}

/*
 * (4): the vmemmap_list candidate's root (the head pointer's physical
 * address) and block shift, false when VMCOREINFO lacks them or they do
 * not read.
 */
static bool ppc64_vmemmap_list(const struct xlat_reader *r, uint64_t *head_ret,
			       unsigned *shift_ret)
{
	uint64_t head, psize_sym, defs, def_size, shift_off;
	if (!arch_symbol(r, "vmemmap_list", &head) ||
	    !arch_symbol(r, "mmu_vmemmap_psize", &psize_sym) ||
	    !arch_symbol(r, "mmu_psize_defs", &defs) ||
	    !arch_decimal(r, "SIZE(mmu_psize_def)", &def_size) ||
	    !arch_decimal(r, "OFFSET(mmu_psize_def.shift)", &shift_off) ||
	    !ppc64_layout_is(r, "OFFSET(vmemmap_backing.list)", PPC64_VMB_LIST) ||
	    !ppc64_layout_is(r, "OFFSET(vmemmap_backing.phys)", PPC64_VMB_PHYS) ||
	    !ppc64_layout_is(r, "OFFSET(vmemmap_backing.virt_addr)", PPC64_VMB_VIRT))
		return false;
	uint64_t syms[] = { head, psize_sym, defs };
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (syms[i] < PPC64_PAGE_OFFSET || syms[i] >= PPC64_LINEAR_END)
			return false;
	if (def_size == 0 || def_size > 4096 || shift_off + 4 > def_size)
		return false;
	uint8_t b[4];
	struct crash_error *err = r->read_phys(r->arg, psize_sym - PPC64_PAGE_OFFSET, b, 4);
	uint32_t psize = err ? UINT32_MAX : rd_u32(r->format, b);
	crash_error_destroy(err);
	if (psize >= PPC64_MMU_PSIZES)
		return false;
	err = r->read_phys(r->arg, defs - PPC64_PAGE_OFFSET + psize * def_size + shift_off, b, 4);
	uint32_t shift = err ? 0 : rd_u32(r->format, b);
	crash_error_destroy(err);
	// 4 KiB to 16 GiB pages (book3s/64/mmu.h's page sizes).
	if (shift < 12 || shift > 34)
		return false;
	*head_ret = head - PPC64_PAGE_OFFSET;
	*shift_ret = shift;
	return true;
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
	    arch_table_has_entry(r, root - PPC64_PAGE_OFFSET,
				 8 << PPC64_PGD_BITS, &ppc64_entry_format,
				 UINT64_C(1) << PPC64_PRESENT_BIT)) {
		struct arch_candidate walked = linear;
		walked.method = "linear map at 0xc000000000000000, radix page "
				"tables at swapper_pg_dir";
		walked.pgtable_root_phys = root - PPC64_PAGE_OFFSET;
		walked.pgtable_levels = PPC64_LEVELS;
		walked.pgtable_page_shift = page_size == 4096 ? 12 : 16;
		if (!emit(arg, &walked))
			return NULL;
	}
	uint64_t head;
	unsigned shift;
	if (ppc64_vmemmap_list(r, &head, &shift)) {
		struct arch_candidate listed = linear;
		listed.method = "linear map at 0xc000000000000000, vmemmap "
				"through vmemmap_list (hash MMU)";
		listed.pgtable_root_phys = head;
		listed.pgtable_levels = 0;
		listed.pgtable_page_shift = shift;
		if (!emit(arg, &listed))
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
