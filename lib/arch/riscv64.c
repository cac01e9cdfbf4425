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
 */
#include <elf.h>

#include "arch.h"

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
	if (c.has_image || c.has_linear)
		emit(arg, &c);
	return NULL;
}

const struct arch_ops arch_riscv64_ops = {
	.name = "riscv64",
	.machine = EM_RISCV,
	.candidates = riscv64_candidates,
	.walk = NULL,
};
