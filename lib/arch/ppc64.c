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
 * (2) No VMCOREINFO number is needed (KERNELOFFSET, NUMBER(RADIX_MMU) are
 * exported but do not change these rules).
 *
 * (3) One candidate; xlat.c validates it with init_uts_ns.
 */
#include <elf.h>

#include "arch.h"

/* PAGE_OFFSET = KERNELBASE on ppc64 (all kernels we read). */
static const uint64_t PPC64_PAGE_OFFSET = UINT64_C(0xc000000000000000);
/* Radix VMALLOC_START (4.17+), the lowest non-linear kernel address. */
static const uint64_t PPC64_LINEAR_END = UINT64_C(0xc008000000000000);

static struct crash_error *ppc64_candidates(const struct xlat_reader *r,
					    arch_candidate_fn *emit, void *arg)
{
	(void)r;
	struct arch_candidate c = {
		.method = "linear map at 0xc000000000000000",
		.has_linear = true,
		.linear_start = PPC64_PAGE_OFFSET,
		.linear_end = PPC64_LINEAR_END,
		.linear_phys = 0,
		.pgtable_root_phys = UINT64_MAX,
	};
	emit(arg, &c);
	return NULL;
}

const struct arch_ops arch_ppc64_ops = {
	.name = "ppc64",
	.machine = EM_PPC64,
	.candidates = ppc64_candidates,
	.walk = NULL,
};
