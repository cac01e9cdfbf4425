/*
 * arch.h - the per-architecture hooks of the translation layer.
 *
 * One file per architecture (lib/arch/<arch>.c), each ending in one
 * `const struct arch_ops` table.  No `if (arch == ...)` outside lib/arch/,
 * and no #ifdef on the host: the host is not the dump's architecture.
 *
 * A candidate mapping is two linear rules, tried in order:
 *   image:  [image_start, image_end)   -> va - image_start + image_phys
 *   linear: [linear_start, linear_end) -> va - linear_start + linear_phys
 * plus an optional page-table walk for addresses neither rule covers.
 */
#ifndef CRASHKIT_ARCH_H
#define CRASHKIT_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../error.h"
#include "../xlat.h"

struct arch_candidate {
	const char *method;	/* static string: how it was derived */
	bool has_image;
	uint64_t image_start, image_end, image_phys;
	bool has_linear;
	uint64_t linear_start, linear_end, linear_phys;
	/* Page-table root (physical) for arch_ops.walk, or UINT64_MAX. */
	uint64_t pgtable_root_phys;
	/* For arch_ops.walk: paging levels, and bits cleared from every
	 * entry before use (x86_64: NUMBER(sme_mask)). */
	unsigned int pgtable_levels;
	uint64_t pgtable_entry_mask;
	/* For arm64's walk: the runtime VA size (64 - T1SZ) and page shift. */
	unsigned int pgtable_va_bits, pgtable_page_shift;
};

/** Receives a candidate; returns false to stop proposing. */
typedef bool arch_candidate_fn(void *arg, const struct arch_candidate *c);

struct arch_ops {
	const char *name;
	uint16_t machine;	/* EM_* this table handles */
	/*
	 * Propose candidate mappings, most trustworthy first.  Reads memory
	 * only through @reader.  Returns an error only for a failure that
	 * makes every candidate impossible (NOMEM).
	 */
	struct crash_error *(*candidates)(const struct xlat_reader *reader,
					  arch_candidate_fn *emit, void *arg);
	/*
	 * Walk the page tables rooted at c->pgtable_root_phys; NULL if the
	 * architecture has no walker.  Errors: FAULT (not mapped; the message
	 * names the level, index and raw entry).
	 */
	struct crash_error *(*walk)(const struct xlat_reader *reader,
				    const struct arch_candidate *c,
				    uint64_t vaddr, uint64_t *paddr_ret);
};

/*
 * Helpers for the arch files, implemented in xlat.c.  Each returns false
 * when the item is absent; a malformed value is reported through
 * reader->warn and also yields false (a candidate is not built on it).
 */
bool arch_number(const struct xlat_reader *r, const char *name, uint64_t *ret);
bool arch_hex(const struct xlat_reader *r, const char *key, uint64_t *ret);
bool arch_decimal(const struct xlat_reader *r, const char *key, uint64_t *ret);
bool arch_symbol(const struct xlat_reader *r, const char *name, uint64_t *ret);
/** Warn through reader->warn (if any), printf-style. */
void arch_warn(const struct xlat_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**
 * arch_table_has_entry() - whether the page table of @bytes bytes at
 * physical @phys is in the dump and one of its 8-byte entries, read in
 * @format, has a bit of @valid_mask set: a root a walk can start from
 * (a dump trimmed without its tables, or a synthetic one, has none).
 */
bool arch_table_has_entry(const struct xlat_reader *r, uint64_t phys,
			  uint64_t bytes, const struct rd_format *format,
			  uint64_t valid_mask);
/**
 * arch_ptload_offset() - vaddr - paddr of the PT_LOADs whose non-zero vaddr
 * lies in [@lo, @hi); true only if there is one and all of them agree.
 */
bool arch_ptload_offset(const struct xlat_reader *r, uint64_t lo, uint64_t hi,
			uint64_t *offset_ret);

extern const struct arch_ops arch_x86_64_ops;
extern const struct arch_ops arch_i386_ops;
extern const struct arch_ops arch_arm64_ops;
extern const struct arch_ops arch_ppc64_ops;
extern const struct arch_ops arch_s390x_ops;
extern const struct arch_ops arch_riscv64_ops;

#endif
