/*
 * riscv64.c - kernel-virtual -> physical candidates for 64-bit RISC-V
 * (EM_RISCV with 8-byte pointers; riscv32 dumps are UNSUPPORTED).
 *
 * (1) The layout (arch/riscv/include/asm/page.h, Documentation/arch/riscv/
 * vm-layout.rst).  The kernel image is linked at KERNEL_LINK_ADDR
 * (0xffffffff80000000 on 64-bit, 5.13+) and mapped at
 * kernel_map.virt_addr: pa = va - va_kernel_pa_offset.  The linear map
 * starts at PAGE_OFFSET (which depends on sv39/48/57):
 * pa = va - PAGE_OFFSET + phys_ram_base.
 *
 * (2) VMCOREINFO (arch/riscv/kernel/vmcore_info.c, crash_core.c before
 * 6.8): NUMBER(PAGE_OFFSET), NUMBER(KERNEL_LINK_ADDR), NUMBER(phys_ram_base)
 * (5.19+), NUMBER(va_kernel_pa_offset) (6.4+, absent on XIP kernels).
 *
 * (3) Candidates: the exported numbers; without va_kernel_pa_offset, the
 * image offset from PT_LOADs with vaddr >= KERNEL_LINK_ADDR; without
 * phys_ram_base, the linear offset from PT_LOADs in [PAGE_OFFSET,
 * KERNEL_LINK_ADDR).  (kexec-tools wrote wrong RISC-V vaddrs until commit
 * 71a9686, so PT_LOAD is the fallback, not the first choice.)
 *
 * (4) The page walk (RISC-V privileged spec, "Sv39/Sv48/Sv57"): vmemmap,
 * vmalloc and modules lie outside both rules, below PAGE_OFFSET.  The
 * root is SYMBOL(swapper_pg_dir), an image symbol.  4 KiB pages, 9 index
 * bits a level, 3, 4 or 5 levels for 39, 48 or 57-bit addresses; the
 * mode follows from PAGE_OFFSET, which the kernel picks per mode and
 * which is canonical only in its own (sign-extended from bit 38, 47 or
 * 56).  A PTE is little-endian: bit 0 valid, any of bits 1-3 (R, W, X)
 * makes a leaf at any level (a superpage there), the PPN is bits 10..53
 * (bits 54 and up hold Svpbmt/Svnapot, masked off).  A root that cannot
 * be read or holds no valid PTE gives no walk.  The walk is bounded by its
 * level count.  Tested on synthetic tables only: Debian has no riscv64
 * kexec-tools (trixie) to crash a real kernel with.
 */
#include <elf.h>
#include <inttypes.h>

#include "../rd.h"
#include "arch.h"

enum {
	RISCV_PTE_VALID = 1,
	RISCV_PTE_LEAF = 0xe,		/* R, W or X */
	RISCV_PPN_SHIFT = 10,
	RISCV_PPN_BITS = 44,
	RISCV_PAGE_SHIFT = 12,
	RISCV_INDEX_BITS = 9,
};

static struct crash_error *riscv64_walk(const struct xlat_reader *r,
					const struct arch_candidate *c,
					uint64_t vaddr, uint64_t *paddr_ret)
{
	unsigned levels = c->pgtable_levels;
	if (levels < 3 || levels > 5)
		return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64
					 ": %u levels", vaddr, levels);
	unsigned va_bits = RISCV_PAGE_SHIFT + RISCV_INDEX_BITS * levels;
	uint64_t top = vaddr >> (va_bits - 1);
	if (top != 0 && top != UINT64_MAX >> (va_bits - 1))
		return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64
					 ": not an Sv%u address", vaddr, va_bits);
	uint64_t table = c->pgtable_root_phys;
	for (unsigned l = levels; l-- > 0;) {
		unsigned shift = RISCV_PAGE_SHIFT + RISCV_INDEX_BITS * l;
		unsigned index = (unsigned)(vaddr >> shift) & ((1u << RISCV_INDEX_BITS) - 1);
		uint64_t at = table + 8 * (uint64_t)index;
		uint8_t b[8];
		struct crash_error *err = r->read_phys(r->arg, at, b, 8);
		if (err)
			return crash_error_prefix(err, "riscv64: page walk of 0x%016" PRIx64
						  ": reading level %u [%u] at 0x%" PRIx64,
						  vaddr, l, index, at);
		uint64_t pte = rd_u64(r->format, b);
		if (!(pte & RISCV_PTE_VALID))
			return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64
						 ": level %u [%u] = 0x%016" PRIx64 " is not valid",
						 vaddr, l, index, pte);
		uint64_t pa = (pte >> RISCV_PPN_SHIFT & ((UINT64_C(1) << RISCV_PPN_BITS) - 1))
			      << RISCV_PAGE_SHIFT;
		if (pte & RISCV_PTE_LEAF) {
			uint64_t mask = (UINT64_C(1) << shift) - 1;
			if (pa & mask)
				return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64
							 ": level %u [%u] = 0x%016" PRIx64
							 " is a misaligned superpage",
							 vaddr, l, index, pte);
			*paddr_ret = pa | (vaddr & mask);
			return NULL;
		}
		if (l == 0)
			return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64
						 ": level 0 [%u] = 0x%016" PRIx64 " is not a leaf",
						 vaddr, index, pte);
		table = pa;
	}
	// Not reached: level 0 returns.
	return crash_error_fault(vaddr, "riscv64: page walk of 0x%016" PRIx64 ": no leaf", vaddr);
}

/* 3, 4 or 5: the mode whose canonical addresses include @page_offset. */
static unsigned riscv64_levels(uint64_t page_offset)
{
	for (unsigned levels = 3; levels <= 5; levels++) {
		unsigned va_bits = RISCV_PAGE_SHIFT + RISCV_INDEX_BITS * levels;
		if (page_offset >> (va_bits - 1) == UINT64_MAX >> (va_bits - 1))
			return levels;
	}
	return 0;
}

static struct crash_error *riscv64_candidates(const struct xlat_reader *r,
					      arch_candidate_fn *emit,
					      void *arg)
{
	if (r->format->ptr_size != 8)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "riscv64: a dump with %u-byte "
					  "pointers is riscv32, not supported",
					  r->format->ptr_size);
	uint64_t page_offset, link_addr, phys_ram_base, va_pa_offset;
	bool have_po = arch_number(r, "PAGE_OFFSET", &page_offset);
	bool have_link = arch_number(r, "KERNEL_LINK_ADDR", &link_addr);
	if (!have_link)
		link_addr = UINT64_MAX;
	struct arch_candidate c = {
		.method = "kernel image and linear map from VMCOREINFO",
		.pgtable_root_phys = UINT64_MAX,
	};
	if (have_link && arch_number(r, "va_kernel_pa_offset", &va_pa_offset)) {
		c.has_image = true;
		c.image_start = link_addr;
		c.image_end = UINT64_MAX;
		c.image_phys = link_addr - va_pa_offset;
	} else if (have_link && arch_ptload_offset(r, link_addr, UINT64_MAX,
						   &va_pa_offset)) {
		c.method = "kernel image from PT_LOAD, linear map from "
			   "VMCOREINFO";
		c.has_image = true;
		c.image_start = link_addr;
		c.image_end = UINT64_MAX;
		c.image_phys = link_addr - va_pa_offset;
	}
	if (have_po && page_offset < link_addr) {
		uint64_t linear_offset;
		if (arch_number(r, "phys_ram_base", &phys_ram_base)) {
			c.has_linear = true;
			c.linear_phys = phys_ram_base;
		} else if (arch_ptload_offset(r, page_offset, link_addr,
					      &linear_offset)) {
			c.has_linear = true;
			c.linear_phys = page_offset - linear_offset;
		}
		c.linear_start = page_offset;
		c.linear_end = link_addr;
	}
	if (!c.has_image && !c.has_linear)
		return NULL;
	uint64_t root;
	unsigned levels = have_po ? riscv64_levels(page_offset) : 0;
	if (c.has_image && levels && arch_symbol(r, "swapper_pg_dir", &root) &&
	    root >= c.image_start &&
	    arch_table_has_entry(r, root - c.image_start + c.image_phys,
				 8 << RISCV_INDEX_BITS, r->format, RISCV_PTE_VALID)) {
		static const char *const methods[] = {
			[3] = "kernel image and linear map from VMCOREINFO, "
			      "Sv39 page tables at swapper_pg_dir",
			[4] = "kernel image and linear map from VMCOREINFO, "
			      "Sv48 page tables at swapper_pg_dir",
			[5] = "kernel image and linear map from VMCOREINFO, "
			      "Sv57 page tables at swapper_pg_dir",
		};
		struct arch_candidate walked = c;
		walked.method = methods[levels];
		walked.pgtable_root_phys = root - c.image_start + c.image_phys;
		walked.pgtable_levels = levels;
		if (!emit(arg, &walked))
			return NULL;
	}
	emit(arg, &c);
	return NULL;
}

const struct arch_ops arch_riscv64_ops = {
	.name = "riscv64",
	.machine = EM_RISCV,
	.candidates = riscv64_candidates,
	.walk = riscv64_walk,
};
