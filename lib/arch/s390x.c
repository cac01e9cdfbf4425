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
 * (4)-(5) The kdump swap of the crashkernel region with low memory is
 * already undone by /proc/vmcore's PT_LOADs; nothing to do here.
 */
#include <elf.h>

#include "arch.h"

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
	emit(arg, &identity);
	return NULL;
}

const struct arch_ops arch_s390x_ops = {
	.name = "s390x",
	.machine = EM_S390,
	.candidates = s390x_candidates,
	.walk = NULL,
};
