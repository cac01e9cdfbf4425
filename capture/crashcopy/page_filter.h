/*
 * page_filter.h - which pages a dump level lets us drop, from struct page.
 *
 * Dump level bits as makedumpfile's (spec dump-formats.md §4): 1 zero pages
 * (decided from content while copying, not here), 2 cache pages without
 * PG_private, 4 all cache pages, 8 user data (anonymous, hugetlbfs), 16 free
 * pages.  Always dropped, whatever the level: hwpoison, logically offline
 * and unaccepted pages (reading them can machine-check the capture kernel).
 * Never dropped, whatever the level: pages inside the kernel image.
 *
 * The decision is made from the kernel's mem_map (SPARSEMEM / VMEMMAP /
 * FLATMEM), read through the translation layer, with every flag number,
 * page-type value and struct page offset taken from VMCOREINFO, in
 * makedumpfile's decision order (§4.2) and with the kernel-version changes
 * of §4.6 (page types in the top byte from 6.12, slab as a page type from
 * 6.10, hugetlb from 6.9, folio order from 6.6).
 *
 * When the kernel's layout is not understood (missing keys, mem_map not
 * mappable) the filter falls back to excluding nothing (zero pages are
 * still handled by the writer) and says why: never silently wrong.
 *
 * Memory is bounded: pfns are classified in caller-sized windows, and the
 * struct pages of a window are read in bulk.
 */
#ifndef CRASHKIT_PAGE_FILTER_H
#define CRASHKIT_PAGE_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../lib/error.h"
#include "../../lib/vmcore.h"
#include "../../lib/vmcoreinfo.h"
#include "../../lib/xlat.h"

/** Why pages were dropped, in pages. */
struct page_filter_counts {
	uint64_t cache;		/* bit 2 */
	uint64_t cache_private;	/* bit 4 */
	uint64_t user;		/* bit 8 */
	uint64_t free;		/* bit 16 */
	uint64_t hwpoison;	/* always */
	uint64_t offline;	/* always */
	uint64_t unaccepted;	/* always */
	uint64_t kept_image;	/* would have been dropped: kernel image */
};

struct page_filter;

/**
 * page_filter_create() - prepare to classify pages of @vm for
 * @dump_level (0-31).  Never fails for an unknown layout: it falls back
 * (page_filter_fallback() says why).  Errors: NOMEM, UNSUPPORTED (a level
 * outside 0-31).
 */
struct crash_error *page_filter_create(struct vmcore *vm,
				       const struct vmcoreinfo *vi,
				       const struct xlat *x,
				       unsigned int dump_level,
				       struct page_filter **ret);

/**
 * page_filter_window() - for pfns [@start_pfn, @start_pfn + @count), clear
 * bit (pfn - start_pfn) of @keep (LSB first) for every page the level drops.
 * The caller sets @keep to the RAM bitmap first (pfns outside PT_LOADs are
 * never kept).  A struct page that cannot be read keeps its page (and is
 * counted as a warning once).  Errors: NOMEM.
 */
struct crash_error *page_filter_window(struct page_filter *f,
				       uint64_t start_pfn, uint64_t count,
				       uint8_t *keep);

/** NULL when filtering from struct page works; else why it fell back. */
const char *page_filter_fallback(const struct page_filter *f);

/** Counts of dropped pages so far. */
void page_filter_counts(const struct page_filter *f,
			struct page_filter_counts *ret);

void page_filter_destroy(struct page_filter *f);

#endif
