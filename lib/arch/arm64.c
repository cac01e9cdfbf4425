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
 */
#include <elf.h>

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
	uint64_t kimage_voffset;
	uint64_t phys_offset;
	unsigned va_bits;	/* 0 if not exported */
	arch_candidate_fn *emit;
	void *arg;
};

static bool arm64_emit(const struct arm64_params *p, struct arch_candidate *c)
{
	c->pgtable_root_phys = UINT64_MAX;
	return p->emit(p->arg, c);
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
	return arm64_emit(p, &c);
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
	return arm64_emit(p, &c);
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
	struct arm64_params p = { .emit = emit, .arg = arg };
	p.have_voffset = arch_number(r, "kimage_voffset", &p.kimage_voffset);
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
	.walk = NULL,
};
