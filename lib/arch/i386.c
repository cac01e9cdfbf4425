/*
 * i386.c - kernel-virtual -> physical candidates for i386 (EM_386).
 *
 * (1) The layout: the kernel image lives inside the linear map ("lowmem"),
 * so one rule serves both: pa = va - PAGE_OFFSET for va in
 * [PAGE_OFFSET, 4 GiB).  PAGE_OFFSET is CONFIG_PAGE_OFFSET, chosen by the
 * VMSPLIT options (arch/x86/Kconfig): 0xC0000000 (VMSPLIT_3G, the default),
 * 0xB0000000 (VMSPLIT_3G_OPT), 0x80000000 (VMSPLIT_2G, 2G_OPT is
 * 0x78000000), 0x40000000 (VMSPLIT_1G).  It is not exported in VMCOREINFO;
 * only CONFIG_X86_PAE is.  PAE dumps are ELF64 with EM_386: the pointer
 * width comes from the reader's format, not from here.
 *
 * (2) We read no VMCOREINFO number; PT_LOAD vaddr - paddr is used when all
 * segments with a vaddr at or above 0x40000000 agree.
 *
 * (3) Candidates: the PT_LOAD offset, then the constants above, default
 * first.  xlat.c's init_uts_ns check tells them apart: with a wrong
 * PAGE_OFFSET the symbol translates to bytes that are not "Linux".
 *
 * (4)-(5) Highmem is never mapped by these rules (the log buffers are
 * lowmem, spec §3.2); addresses below PAGE_OFFSET are FAULTs.
 */
#include <elf.h>

#include "arch.h"

/* The end of the 32-bit address space: the linear range's bound. */
static const uint64_t I386_VA_END = UINT64_C(1) << 32;
/* Lowest CONFIG_PAGE_OFFSET (VMSPLIT_1G). */
static const uint64_t I386_PAGE_OFFSET_MIN = UINT64_C(0x40000000);

struct i386_page_offset {
	uint64_t page_offset;
	const char *method;
};
static const struct i386_page_offset i386_page_offsets[] = {
	{ UINT64_C(0xC0000000), "linear map at 0xc0000000 (VMSPLIT_3G)" },
	{ UINT64_C(0x80000000), "linear map at 0x80000000 (VMSPLIT_2G)" },
	{ UINT64_C(0x40000000), "linear map at 0x40000000 (VMSPLIT_1G)" },
	{ UINT64_C(0xB0000000), "linear map at 0xb0000000 (VMSPLIT_3G_OPT)" },
	{ UINT64_C(0x78000000), "linear map at 0x78000000 (VMSPLIT_2G_OPT)" },
};

static bool i386_emit(arch_candidate_fn *emit, void *arg, uint64_t page_offset,
		      const char *method)
{
	struct arch_candidate c = {
		.method = method,
		.has_linear = true,
		.linear_start = page_offset,
		.linear_end = I386_VA_END,
		.linear_phys = 0,
		.pgtable_root_phys = UINT64_MAX,
	};
	return emit(arg, &c);
}

static struct crash_error *i386_candidates(const struct xlat_reader *r,
					   arch_candidate_fn *emit, void *arg)
{
	uint64_t from_ptload = 0;
	bool have = arch_ptload_offset(r, I386_PAGE_OFFSET_MIN, I386_VA_END,
				       &from_ptload) &&
		    from_ptload >= I386_PAGE_OFFSET_MIN &&
		    from_ptload < I386_VA_END;
	if (have &&
	    !i386_emit(emit, arg, from_ptload, "linear map from PT_LOAD"))
		return NULL;
	for (size_t i = 0;
	     i < sizeof(i386_page_offsets) / sizeof(i386_page_offsets[0]); i++) {
		const struct i386_page_offset *p = &i386_page_offsets[i];
		if (have && p->page_offset == from_ptload)
			continue;
		if (!i386_emit(emit, arg, p->page_offset, p->method))
			return NULL;
	}
	return NULL;
}

const struct arch_ops arch_i386_ops = {
	.name = "i386",
	.machine = EM_386,
	.candidates = i386_candidates,
	.walk = NULL,
};
