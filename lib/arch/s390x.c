/*
 * s390x.c - kernel-virtual -> physical candidates for s390x (EM_S390).
 *
 * (1) The layout.  Up to 6.9 kernel virtual addresses equal physical ones.
 * Linux 6.10 uncoupled them (commits c98d2ecae08f "s390/mm: Uncouple
 * physical vs virtual address spaces" and 378e32aa8197 "s390/vmcoreinfo:
 * Store virtual memory layout"): the identity map moved to __identity_base
 * (pa = va - __identity_base) and the kernel image to __kaslr_offset
 * (virtual), loaded at __kaslr_offset_phys.  The image is the top of the
 * kernel's layout, above vmalloc and modules (Documentation/arch/s390/
 * mm.rst), so [KERNELOFFSET, top) is image and [IDENTITYBASE, KERNELOFFSET)
 * holds the identity map.
 *
 * (2) VMCOREINFO (arch/s390/kernel/vmcore_info.c, 6.10+): IDENTITYBASE=hex
 * (__identity_base), KERNELOFFSET=hex (kaslr_offset() = __kaslr_offset,
 * the image's virtual start), KERNELOFFPHYS=hex (__kaslr_offset_phys).
 * drgn's libdrgn/arch_s390x.c translates swapper_pg_dir the same way:
 * va - kaslr_offset + kaslr_offset_phys.
 *
 * (3) Candidates: with KERNELOFFPHYS, the 6.10 split; always, the identity
 * (older kernels, or keys that do not validate).
 *
 * (4) The page walk (z/Architecture DAT, 4 KiB pages): vmemmap, vmalloc
 * and modules lie outside the identity map, so struct pages are reached
 * through swapper_pg_dir.  Index bits of a 64-bit address: region-first
 * 63..53, region-second 52..42, region-third 41..31, segment 30..20 (11
 * bits each), page 19..12 (8 bits).  A region or segment entry: bit 0x20
 * invalid, bits 0x0c the type of the table holding it (3 region-first, 2
 * region-second, 1 region-third, 0 segment), 0x400 a 2 GiB (region-third)
 * or 1 MiB (segment) frame; the next region or segment table's origin is
 * entry & ~0xfff, a page table's (256 entries, 2 KiB) entry & ~0x7ff.  A
 * page-table entry: bit 0x400 invalid, frame entry & ~0xfff.  The kernel's
 * ASCE, which says the root's type, is not in VMCOREINFO; Linux writes the
 * type into every entry of a table, empty ones too, so the root's first
 * entry says it.  Up to 6.9 swapper_pg_dir's symbol is its physical
 * address; the identity rule is then cut to the PT_LOADs' end so that
 * addresses above it (vmemmap) take the walk.  A root page that is not in
 * the dump (trimmed cores) or whose first entry's type bits disagree with
 * another entry's (or holds a zero entry) gives no tables; a walking
 * candidate that does not validate is followed by the identity rule alone,
 * as before the walk existed.
 *
 * (5) The kdump swap of the crashkernel region with low memory is
 * already undone by /proc/vmcore's PT_LOADs; nothing to do here.
 */
#include <elf.h>
#include <inttypes.h>

#include "../rd.h"
#include "arch.h"

enum {
	S390X_INVALID = 0x20,		/* region/segment entry */
	S390X_TYPE_MASK = 0x0c,
	S390X_LARGE = 0x400,		/* region-third/segment: frame */
	S390X_PTE_INVALID = 0x400,
};

/* The root's table type (0 segment .. 3 region-first), or -1 if the page at
 * @phys is not in the dump or its entries disagree about their type. */
static int s390x_root_type(const struct xlat_reader *r, uint64_t phys)
{
	uint8_t buf[8 * 64];
	struct crash_error *err = r->read_phys(r->arg, phys, buf, sizeof(buf));
	if (err) {
		crash_error_destroy(err);
		return -1;
	}
	uint64_t type = rd_u64(r->format, buf) & S390X_TYPE_MASK;
	bool valid = false;
	for (size_t i = 0; i < sizeof(buf); i += 8) {
		uint64_t e = rd_u64(r->format, buf + i);
		// An all-zero entry is no Linux table's: empty ones are
		// type | invalid, and no table or frame sits at 0 (lowcore).
		if (e == 0 || (e & S390X_TYPE_MASK) != type)
			return -1;
		valid = valid || !(e & S390X_INVALID);
	}
	return valid ? (int)(type >> 2) : -1;
}

static struct crash_error *s390x_walk(const struct xlat_reader *r,
				      const struct arch_candidate *c,
				      uint64_t vaddr, uint64_t *paddr_ret)
{
	static const char *const names[] = { "segment", "region-third",
					     "region-second", "region-first" };
	unsigned type = c->pgtable_levels - 2;	// levels = type + 2
	if (type > 3)
		return crash_error_fault(vaddr, "s390x: page walk of 0x%016" PRIx64
					 ": no root table type", vaddr);
	if (type < 3 && vaddr >> (31 + 11 * type) != 0)
		return crash_error_fault(vaddr, "s390x: page walk of 0x%016" PRIx64
					 ": beyond a %s-table root", vaddr,
					 names[type]);
	uint64_t table = c->pgtable_root_phys;
	for (int t = (int)type; t >= 0; t--) {
		unsigned shift = 20 + 11 * (unsigned)t;
		unsigned index = (unsigned)(vaddr >> shift) & 0x7ff;
		uint8_t b[8];
		struct crash_error *err =
			r->read_phys(r->arg, table + 8 * (uint64_t)index, b, 8);
		if (err)
			return crash_error_prefix(err, "s390x: page walk of 0x%016" PRIx64
						  ": reading %s[%u] at 0x%" PRIx64,
						  vaddr, names[t], index,
						  table + 8 * (uint64_t)index);
		uint64_t e = rd_u64(r->format, b);
		if ((e & S390X_INVALID) ||
		    (e & S390X_TYPE_MASK) >> 2 != (uint64_t)t)
			return crash_error_fault(vaddr, "s390x: page walk of 0x%016" PRIx64
						 ": %s[%u] = 0x%016" PRIx64
						 " is not valid",
						 vaddr, names[t], index, e);
		if (t <= 1 && (e & S390X_LARGE)) {
			uint64_t mask = (UINT64_C(1) << shift) - 1;
			*paddr_ret = (e & ~mask) | (vaddr & mask);
			return NULL;
		}
		table = t == 0 ? e & ~UINT64_C(0x7ff) : e & ~UINT64_C(0xfff);
	}
	unsigned index = (unsigned)(vaddr >> 12) & 0xff;
	uint8_t b[8];
	struct crash_error *err =
		r->read_phys(r->arg, table + 8 * (uint64_t)index, b, 8);
	if (err)
		return crash_error_prefix(err, "s390x: page walk of 0x%016" PRIx64
					  ": reading page[%u] at 0x%" PRIx64,
					  vaddr, index, table + 8 * (uint64_t)index);
	uint64_t e = rd_u64(r->format, b);
	if (e & S390X_PTE_INVALID)
		return crash_error_fault(vaddr, "s390x: page walk of 0x%016" PRIx64
					 ": page[%u] = 0x%016" PRIx64
					 " is not valid", vaddr, index, e);
	*paddr_ret = (e & ~UINT64_C(0xfff)) | (vaddr & 0xfff);
	return NULL;
}

static struct crash_error *s390x_candidates(const struct xlat_reader *r,
					    arch_candidate_fn *emit, void *arg)
{
	uint64_t kerneloffset, kerneloffphys, identitybase = 0;
	if (arch_hex(r, "KERNELOFFPHYS", &kerneloffphys) &&
	    arch_hex(r, "KERNELOFFSET", &kerneloffset)) {
		// IDENTITYBASE is exported by the same commit; 0 (the
		// non-randomised default) if a producer dropped it.
		arch_hex(r, "IDENTITYBASE", &identitybase);
		struct arch_candidate c = {
			.method = "kernel image at KERNELOFFSET, identity map "
				  "at IDENTITYBASE (6.10+)",
			.has_image = true,
			.image_start = kerneloffset,
			.image_end = UINT64_MAX,
			.image_phys = kerneloffphys,
			.has_linear = identitybase < kerneloffset,
			.linear_start = identitybase,
			.linear_end = kerneloffset,
			.linear_phys = 0,
			.pgtable_root_phys = UINT64_MAX,
		};
		if (!emit(arg, &c))
			return NULL;
	}
	struct arch_candidate identity = {
		.method = "identity mapping (up to 6.9)",
		.has_linear = true,
		.linear_start = 0,
		.linear_end = UINT64_MAX,
		.linear_phys = 0,
		.pgtable_root_phys = UINT64_MAX,
	};
	uint64_t root, end = 0;
	int type;
	for (size_t i = 0; i < r->range_count; i++)
		if (r->ranges[i].paddr + r->ranges[i].size > end)
			end = r->ranges[i].paddr + r->ranges[i].size;
	if (arch_symbol(r, "swapper_pg_dir", &root) && end > 0 &&
	    (type = s390x_root_type(r, root)) >= 0) {
		struct arch_candidate walked = identity;
		walked.method = "identity mapping (up to 6.9), page tables "
				"at swapper_pg_dir";
		walked.linear_end = end;
		walked.pgtable_root_phys = root;
		walked.pgtable_levels = (unsigned)type + 2;
		if (!emit(arg, &walked))
			return NULL;
	}
	emit(arg, &identity);
	return NULL;
}

const struct arch_ops arch_s390x_ops = {
	.name = "s390x",
	.machine = EM_S390,
	.candidates = s390x_candidates,
	.walk = s390x_walk,
};
