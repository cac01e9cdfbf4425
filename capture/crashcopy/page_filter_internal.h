/*
 * page_filter_internal.h - the classification core of page_filter.c, for
 * unit tests and the real-core check (tests/e2e/filter_count.c).
 *
 * page_filter_classify() decides one struct page from its bytes (and the
 * next struct page's, for a compound head) and a layout built once from
 * VMCOREINFO by page_filter_layout_init().  It reads no memory and keeps
 * no state, so each kernel era can be tested with a few bytes.
 *
 * Not a public interface: crashcopy's other files use page_filter.h.
 */
#ifndef CRASHKIT_PAGE_FILTER_INTERNAL_H
#define CRASHKIT_PAGE_FILTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "page_filter.h"

/** Dump-level bits (spec dump-formats.md §4.1). */
enum {
	PAGE_FILTER_DL_ZERO = 1,
	PAGE_FILTER_DL_CACHE = 2,
	PAGE_FILTER_DL_CACHE_PRI = 4,
	PAGE_FILTER_DL_USER = 8,
	PAGE_FILTER_DL_FREE = 16,
};

/** Where a compound page's order is stored (in page[1]). */
enum page_filter_order_src {
	PF_ORDER_NONE,		/* unknown: every compound page counts as order 0 */
	PF_ORDER_FLAGS1,	/* 6.6+: low byte of page[1].flags (folio _flags_1) */
	PF_ORDER_U8,		/* 4.16-6.5: u8 page[1].compound_order */
	PF_ORDER_U16,		/* before 4.16: u16 page[1].compound_order */
};

/** How a compound head is recognised as hugetlb. */
enum page_filter_hugetlb_src {
	PF_HUGETLB_NONE,
	PF_HUGETLB_TYPE,	/* 6.9+: page type of the head (_mapcount) */
	PF_HUGETLB_FLAG1,	/* 6.6-6.8: PG_hugetlb in page[1].flags */
	PF_HUGETLB_DTOR_U8,	/* 4.16-6.5: u8 page[1].compound_dtor */
	PF_HUGETLB_DTOR_U16,	/* 4.4-4.15: u16 page[1].compound_dtor */
	PF_HUGETLB_DTOR_PTR,	/* before 4.4: page[1].compound_dtor == free_huge_page */
};

/** A page-type value from VMCOREINFO (NUMBER(PAGE_*_MAPCOUNT_VALUE)). */
struct page_filter_type {
	bool present;
	uint32_t value;
};

/** Everything the classifier needs, all from VMCOREINFO. */
struct page_filter_layout {
	struct rd_format format;
	uint64_t page_struct_size;	/* SIZE(page) */
	uint64_t off_flags, off_mapping, off_mapcount, off_private;
	uint64_t off_compound_head;
	bool has_mapcount, has_private, has_compound_head;
	/* PG_* bit numbers, -1 when not exported. */
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab;
	int pg_hwpoison, pg_hugetlb;
	uint64_t head_mask;		/* NUMBER(PG_head_mask); 0 if unknown */
	struct page_filter_type buddy, offline, slab, hugetlb, unaccepted;
	enum page_filter_order_src order_src;
	uint64_t off_compound_order;
	enum page_filter_hugetlb_src hugetlb_src;
	uint64_t off_compound_dtor;
	uint64_t hugetlb_dtor;		/* NUMBER(HUGETLB_PAGE_DTOR) or the symbol */
	/* LENGTH(zone.free_area) (MAX_ORDER + 1), or a documented default. */
	unsigned int free_area_length;
	bool free_area_length_known;
};

/** What page_filter_classify() decided for one pfn. */
enum page_filter_class {
	PF_KEEP,		/* nothing to drop */
	PF_TAIL,		/* compound tail: decided with its head (§4.2 step 1) */
	PF_FREE,
	PF_UNACCEPTED,
	PF_CACHE,
	PF_CACHE_PRIVATE,
	PF_USER,
	PF_HWPOISON,
	PF_OFFLINE,
	PF_BAD,			/* a dump value out of range: kept, warned about */
};

struct page_filter_decision {
	enum page_filter_class cls;
	unsigned int order;	/* the decision covers 1 << order pfns */
	const char *why;	/* for PF_BAD: a static reason */
};

/**
 * page_filter_layout_init() - fill @ret from @vi for a dump of @format.
 * Returns NULL on success, or a static string saying which key is missing
 * or out of range (the fallback reason).
 */
const char *page_filter_layout_init(const struct vmcoreinfo *vi,
				    const struct rd_format *format,
				    struct page_filter_layout *ret);

/**
 * page_filter_classify() - decide the pfn @pfn whose struct page is @page
 * (SIZE(page) bytes) at @dump_level.  @next is page[1] (pfn + 1) or NULL
 * when it could not be read; a compound head without it counts as order 0.
 * Never fails: impossible values give PF_BAD.
 */
void page_filter_classify(const struct page_filter_layout *l,
			  unsigned int dump_level, uint64_t pfn,
			  const uint8_t *page, const uint8_t *next,
			  struct page_filter_decision *ret);

/** The physical pfn range treated as kernel image ([start, end)). */
void page_filter_image_range(const struct page_filter *f,
			     uint64_t *start_pfn_ret, uint64_t *end_pfn_ret);

/** Turn kernel-image protection off (for comparisons with makedumpfile). */
void page_filter_set_protect_image(struct page_filter *f, bool on);

/** Struct pages that could not be read, and dump values out of range. */
void page_filter_warnings(const struct page_filter *f,
			  uint64_t *unreadable_ret, uint64_t *bad_ret);

#endif
