/*
 * page_filter_test.c - the classification core of capture/crashcopy/
 * page_filter.c, era by era, on synthetic struct pages.
 *
 * Each case parses a VMCOREINFO text shaped like a real kernel's (the 6.1
 * and 6.12 values are those of the Debian cores in /work/cores; the 6.6,
 * 6.9/6.10 and 4.9 texts follow spec dump-formats.md §4.6), builds the
 * layout with page_filter_layout_init(), writes a struct page (and its
 * page[1]) with rd_put_uint() and checks page_filter_classify()'s class
 * and order.  The mem_map walk over a real core is checked by
 * tests/e2e/filter-check.sh against makedumpfile.
 */
#include "../../capture/crashcopy/page_filter.h"
#include "../../capture/crashcopy/page_filter_internal.h"
#include "../../lib/vmcoreinfo.h"
#include "test.h"

enum { PAGE_SIZE_STRUCT = 64 };

/* Debian 6.1.0-50-amd64 (bookworm core). */
static const char VI_6_1[] =
	"OSRELEASE=6.1.0-50-amd64\nPAGESIZE=4096\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\n"
	"NUMBER(PG_head_mask)=65536\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

/* Debian 6.12.107+deb13-amd64 (trixie core), plus 6.16's unaccepted type
 * (PGTY_unaccepted 0xf7 << 24, include/linux/page-flags.h). */
static const char VI_6_12[] =
	"OSRELEASE=6.12.107+deb13-amd64\nPAGESIZE=4096\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=5\nNUMBER(PG_private)=14\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=17\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"
	"NUMBER(PG_hwpoison)=20\nNUMBER(PG_head_mask)=64\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"
	"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n";

/* 6.6-6.8: PG_hugetlb (PG_active, bit 8) in page[1].flags, the order in
 * its low byte (the page[1] flags used there all lie above bit 7). */
static const char VI_6_6[] =
	"OSRELEASE=6.6.15\nPAGESIZE=4096\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=5\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hugetlb)=8\n"
	"NUMBER(PG_head_mask)=64\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

/* 6.10-6.11: slab and hugetlb are page types with one bit cleared. */
static const char VI_6_10[] =
	"OSRELEASE=6.10.3\nPAGESIZE=4096\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-4097\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

/* 4.9: u16 compound_order and compound_dtor, no PG_swapbacked guard
 * needed yet (exported anyway from 4.10; absent here). */
static const char VI_4_9[] =
	"OSRELEASE=4.9.0-13-amd64\nPAGESIZE=4096\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=8\n"
	"OFFSET(page._mapcount)=24\nOFFSET(page.private)=48\n"
	"OFFSET(page.compound_head)=32\nOFFSET(page.compound_dtor)=40\n"
	"OFFSET(page.compound_order)=44\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=5\nNUMBER(PG_private)=11\nNUMBER(PG_swapcache)=15\n"
	"NUMBER(PG_slab)=7\nNUMBER(PG_head_mask)=16384\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-128\nNUMBER(HUGETLB_PAGE_DTOR)=2\n";

static const struct rd_format LE64 = { RD_LITTLE_ENDIAN, 8 };
static const struct rd_format BE64 = { RD_BIG_ENDIAN, 8 };

struct era {
	struct vmcoreinfo *vi;
	struct page_filter_layout l;
	uint8_t page[PAGE_SIZE_STRUCT], next[PAGE_SIZE_STRUCT];
};

static void era_init(struct era *e, const char *text, const struct rd_format *f)
{
	memset(e, 0, sizeof(*e));
	CHECK_OK(vmcoreinfo_parse(text, strlen(text), &e->vi));
	const char *why = page_filter_layout_init(e->vi, f, &e->l);
	CHECK(why == NULL);
}

/* A fresh untyped, unmapped struct page (_mapcount -1) and page[1]. */
static void era_clear(struct era *e)
{
	memset(e->page, 0, sizeof(e->page));
	memset(e->next, 0, sizeof(e->next));
	const struct page_filter_layout *l = &e->l;
	rd_put_uint(&l->format, e->page + l->off_mapcount, 4, UINT32_MAX);
	rd_put_uint(&l->format, e->next + l->off_mapcount, 4, UINT32_MAX);
}

static void put_flags(struct era *e, uint64_t flags)
{
	rd_put_uint(&e->l.format, e->page + e->l.off_flags, 8, flags);
}

static void put_mapcount(struct era *e, uint32_t v)
{
	rd_put_uint(&e->l.format, e->page + e->l.off_mapcount, 4, v);
}

static void put_mapping(struct era *e, uint64_t v)
{
	rd_put_uint(&e->l.format, e->page + e->l.off_mapping, 8, v);
}

static void put_private(struct era *e, uint64_t v)
{
	rd_put_uint(&e->l.format, e->page + e->l.off_private, 8, v);
}

static struct page_filter_decision classify(struct era *e, unsigned level,
					    uint64_t pfn, bool with_next)
{
	struct page_filter_decision d;
	page_filter_classify(&e->l, level, pfn, e->page,
			     with_next ? e->next : NULL, &d);
	return d;
}

#define CHECK_DECISION(e, level, pfn, with_next, want_cls, want_order)      \
	do {                                                                 \
		struct page_filter_decision d_ =                             \
			classify((e), (level), (pfn), (with_next));          \
		CHECK_EQ_U64(d_.cls, (want_cls));                            \
		CHECK_EQ_U64(d_.order, (want_order));                        \
	} while (0)

static void test_layout_missing_keys(void)
{
	struct vmcoreinfo *vi;
	struct page_filter_layout l;
	static const char no_size[] = "OFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n";
	CHECK_OK(vmcoreinfo_parse(no_size, strlen(no_size), &vi));
	CHECK_STR(page_filter_layout_init(vi, &LE64, &l), "no SIZE(page)");
	vmcoreinfo_destroy(vi);
	static const char no_flags[] = "SIZE(page)=64\nOFFSET(page.mapping)=24\n";
	CHECK_OK(vmcoreinfo_parse(no_flags, strlen(no_flags), &vi));
	CHECK_STR(page_filter_layout_init(vi, &LE64, &l), "no OFFSET(page.flags)");
	vmcoreinfo_destroy(vi);
	static const char no_mapping[] = "SIZE(page)=64\nOFFSET(page.flags)=0\n";
	CHECK_OK(vmcoreinfo_parse(no_mapping, strlen(no_mapping), &vi));
	CHECK_STR(page_filter_layout_init(vi, &LE64, &l),
		  "no OFFSET(page.mapping)");
	vmcoreinfo_destroy(vi);
	// valid (4): a field past SIZE(page).
	static const char outside[] =
		"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=60\n";
	CHECK_OK(vmcoreinfo_parse(outside, strlen(outside), &vi));
	CHECK_STR(page_filter_layout_init(vi, &LE64, &l),
		  "OFFSET(page.flags) or OFFSET(page.mapping) outside SIZE(page)");
	vmcoreinfo_destroy(vi);
	// An optional field past SIZE(page) is dropped, not trusted.
	static const char mapcount_out[] =
		"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
		"OFFSET(page._mapcount)=62\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n";
	CHECK_OK(vmcoreinfo_parse(mapcount_out, strlen(mapcount_out), &vi));
	CHECK(page_filter_layout_init(vi, &LE64, &l) == NULL);
	CHECK(!l.has_mapcount);
	CHECK(!l.buddy.present);
	vmcoreinfo_destroy(vi);
}

static void test_layout_eras(void)
{
	struct era e;
	era_init(&e, VI_6_1, &LE64);
	CHECK_EQ_U64(e.l.order_src, PF_ORDER_U8);
	CHECK_EQ_U64(e.l.hugetlb_src, PF_HUGETLB_DTOR_U8);
	CHECK_EQ_U64(e.l.head_mask, 65536);
	CHECK_EQ_U64(e.l.buddy.value, 0xffffff7f);
	vmcoreinfo_destroy(e.vi);
	era_init(&e, VI_6_12, &LE64);
	CHECK_EQ_U64(e.l.order_src, PF_ORDER_FLAGS1);
	CHECK_EQ_U64(e.l.hugetlb_src, PF_HUGETLB_TYPE);
	CHECK_EQ_U64(e.l.pg_slab, (uint64_t)-1);
	CHECK_EQ_U64(e.l.buddy.value, 0xf0000000);
	vmcoreinfo_destroy(e.vi);
	era_init(&e, VI_6_6, &LE64);
	CHECK_EQ_U64(e.l.order_src, PF_ORDER_FLAGS1);
	CHECK_EQ_U64(e.l.hugetlb_src, PF_HUGETLB_FLAG1);
	vmcoreinfo_destroy(e.vi);
	era_init(&e, VI_4_9, &LE64);
	CHECK_EQ_U64(e.l.order_src, PF_ORDER_U16);
	CHECK_EQ_U64(e.l.hugetlb_src, PF_HUGETLB_DTOR_U16);
	vmcoreinfo_destroy(e.vi);
}

/* 6.1: flag-based slab, exact buddy value, byte order in page[1]. */
static void test_6_1_predicates(void)
{
	struct era e;
	era_init(&e, VI_6_1, &LE64);
	const uint64_t lru = 1u << 4, priv = 1u << 13, swapcache = 1u << 10,
		       swapbacked = 1u << 19, slab = 1u << 9,
		       hwpoison = 1u << 23, head = 1u << 16;

	era_clear(&e);
	CHECK_DECISION(&e, 31, 100, true, PF_KEEP, 0);

	// Buddy head of order 3 at an aligned pfn.
	put_mapcount(&e, (uint32_t)-129);
	put_private(&e, 3);
	CHECK_DECISION(&e, 31, 8, true, PF_FREE, 3);
	CHECK_DECISION(&e, 15, 8, true, PF_KEEP, 0);	// bit 16 off
	// valid (3): misaligned, order too big.
	CHECK_DECISION(&e, 31, 9, true, PF_BAD, 0);
	put_private(&e, 11);
	CHECK_DECISION(&e, 31, 2048, true, PF_BAD, 0);
	put_private(&e, 10);
	CHECK_DECISION(&e, 31, 1024, true, PF_FREE, 10);
	// A slab page is never buddy, whatever its _mapcount.
	put_flags(&e, slab);
	CHECK_DECISION(&e, 31, 1024, true, PF_KEEP, 0);

	// Compound tail: decided with its head.
	era_clear(&e);
	rd_put_uint(&e.l.format, e.page + e.l.off_compound_head, 8,
		    UINT64_C(0xffffea0000001001));
	CHECK_DECISION(&e, 31, 5, true, PF_TAIL, 0);

	// Cache: PG_lru without and with PG_private.
	era_clear(&e);
	put_flags(&e, lru);
	put_mapping(&e, UINT64_C(0xffff888001234560));
	CHECK_DECISION(&e, 2, 7, true, PF_CACHE, 0);
	CHECK_DECISION(&e, 4, 7, true, PF_CACHE, 0);
	CHECK_DECISION(&e, 1, 7, true, PF_KEEP, 0);
	put_flags(&e, lru | priv);
	CHECK_DECISION(&e, 2, 7, true, PF_KEEP, 0);
	CHECK_DECISION(&e, 4, 7, true, PF_CACHE_PRIVATE, 0);
	CHECK_DECISION(&e, 31, 7, true, PF_CACHE_PRIVATE, 0);
	// Swap cache counts only with PG_swapbacked (PG_owner_priv_1 alias).
	put_flags(&e, swapcache);
	CHECK_DECISION(&e, 31, 7, true, PF_KEEP, 0);
	put_flags(&e, swapcache | swapbacked);
	CHECK_DECISION(&e, 31, 7, true, PF_CACHE, 0);

	// Anonymous: mapping & 1, never cache even on the LRU.
	put_flags(&e, lru | swapbacked);
	put_mapping(&e, UINT64_C(0xffff888001234561));
	CHECK_DECISION(&e, 31, 7, true, PF_USER, 0);
	CHECK_DECISION(&e, 6, 7, true, PF_KEEP, 0);
	// Slab whose overlaid word has bit 0 set is not anon (6.2 fix 5f17bdd).
	put_flags(&e, slab);
	CHECK_DECISION(&e, 31, 7, true, PF_KEEP, 0);

	// Compound anon head: order from page[1].compound_order (a byte).
	era_clear(&e);
	put_flags(&e, head | lru);
	put_mapping(&e, UINT64_C(0xffff888001234561));
	e.next[17] = 9;
	CHECK_DECISION(&e, 31, 512, true, PF_USER, 9);
	// Without page[1] the head counts alone; a misaligned order is 0.
	CHECK_DECISION(&e, 31, 512, false, PF_USER, 0);
	CHECK_DECISION(&e, 31, 256, true, PF_USER, 0);
	// An order of 64 or more is rejected.
	e.next[17] = 200;
	CHECK_DECISION(&e, 31, 0, true, PF_USER, 0);

	// Hugetlb by compound_dtor (HUGETLB_PAGE_DTOR = 2), not anon.
	era_clear(&e);
	put_flags(&e, head);
	e.next[16] = 2;
	e.next[17] = 9;
	CHECK_DECISION(&e, 8, 1024, true, PF_USER, 9);
	e.next[16] = 1;
	CHECK_DECISION(&e, 31, 1024, true, PF_KEEP, 0);

	// Always dropped: hwpoison and offline, at level 0.
	era_clear(&e);
	put_flags(&e, hwpoison);
	CHECK_DECISION(&e, 0, 3, true, PF_HWPOISON, 0);
	era_clear(&e);
	put_mapcount(&e, (uint32_t)-257);
	CHECK_DECISION(&e, 0, 3, true, PF_OFFLINE, 0);
	put_flags(&e, slab);
	CHECK_DECISION(&e, 0, 3, true, PF_KEEP, 0);
	// Order of precedence: free before hwpoison.
	era_clear(&e);
	put_flags(&e, hwpoison);
	put_mapcount(&e, (uint32_t)-129);
	put_private(&e, 0);
	CHECK_DECISION(&e, 31, 3, true, PF_FREE, 0);
	CHECK_DECISION(&e, 0, 3, true, PF_HWPOISON, 0);
	vmcoreinfo_destroy(e.vi);
}

/* 6.12: one page type per page, in the top byte. */
static void test_6_12_page_types(void)
{
	struct era e;
	era_init(&e, VI_6_12, &LE64);
	const uint64_t lru = 1u << 5, head = 1u << 6, hwpoison = 1u << 20;

	era_clear(&e);
	put_mapcount(&e, 0xf0000000);
	put_private(&e, 4);
	CHECK_DECISION(&e, 16, 16, true, PF_FREE, 4);
	// The low 24 bits belong to the owner: still buddy by the top byte.
	put_mapcount(&e, 0xf0000123);
	CHECK_DECISION(&e, 16, 16, true, PF_FREE, 4);
	// makedumpfile < 1.7.7 compared -129: that value is nothing here.
	put_mapcount(&e, (uint32_t)-129);
	CHECK_DECISION(&e, 31, 16, true, PF_KEEP, 0);

	// Slab (PGTY_slab 0xf5) with bit 0 of the mapping word set: kept.
	era_clear(&e);
	put_mapcount(&e, 0xf5000000);
	put_mapping(&e, UINT64_C(0xffff888004000001));
	CHECK_DECISION(&e, 31, 9, true, PF_KEEP, 0);
	put_mapcount(&e, UINT32_MAX);
	CHECK_DECISION(&e, 31, 9, true, PF_USER, 0);
	// A mapped anon page (_mapcount 0) is user data.
	put_mapcount(&e, 0);
	CHECK_DECISION(&e, 8, 9, true, PF_USER, 0);

	// Hugetlb: the head's type (PGTY_hugetlb 0xf4), order in _flags_1.
	era_clear(&e);
	put_flags(&e, head);
	put_mapcount(&e, 0xf4000000);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8,
		    UINT64_C(0x0000000000004009));
	CHECK_DECISION(&e, 8, 512, true, PF_USER, 9);
	CHECK_DECISION(&e, 7, 512, true, PF_KEEP, 0);
	// A large anon folio's order comes from the same byte.
	put_mapcount(&e, UINT32_MAX);
	put_mapping(&e, UINT64_C(0xffff888004000001));
	put_flags(&e, head | lru);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8, 4);
	CHECK_DECISION(&e, 31, 32, true, PF_USER, 4);

	// Offline (0xf1) and unaccepted (0xf7, 6.16) always go.
	era_clear(&e);
	put_mapcount(&e, 0xf1000000);
	CHECK_DECISION(&e, 0, 5, true, PF_OFFLINE, 0);
	put_mapcount(&e, 0xf7000000);
	CHECK_DECISION(&e, 0, 1024, true, PF_UNACCEPTED, 10);
	CHECK_DECISION(&e, 0, 1025, true, PF_UNACCEPTED, 0);
	era_clear(&e);
	put_flags(&e, hwpoison);
	CHECK_DECISION(&e, 1, 5, true, PF_HWPOISON, 0);
	vmcoreinfo_destroy(e.vi);

	// Without LENGTH(zone.free_area): unaccepted is the page alone, and
	// buddy orders are bounded by the documented default (20).
	static const char no_len[] =
		"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
		"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
		"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
		"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n";
	era_init(&e, no_len, &LE64);
	CHECK(!e.l.free_area_length_known);
	era_clear(&e);
	put_mapcount(&e, 0xf7000000);
	CHECK_DECISION(&e, 0, 1024, true, PF_UNACCEPTED, 0);
	put_mapcount(&e, 0xf0000000);
	put_private(&e, 19);
	CHECK_DECISION(&e, 16, 0, true, PF_FREE, 19);
	put_private(&e, 20);
	CHECK_DECISION(&e, 16, 0, true, PF_BAD, 0);
	vmcoreinfo_destroy(e.vi);
}

/* The same 6.12 decisions from a big-endian dump. */
static void test_6_12_big_endian(void)
{
	struct era e;
	era_init(&e, VI_6_12, &BE64);
	era_clear(&e);
	put_mapcount(&e, 0xf0000000);
	put_private(&e, 2);
	CHECK_DECISION(&e, 31, 4, true, PF_FREE, 2);
	era_clear(&e);
	put_flags(&e, 1u << 6);
	put_mapcount(&e, 0xf4000000);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8, 9);
	CHECK_DECISION(&e, 8, 512, true, PF_USER, 9);
	vmcoreinfo_destroy(e.vi);
}

/* 6.6-6.8: PG_hugetlb in page[1].flags. */
static void test_6_6_hugetlb_flag(void)
{
	struct era e;
	era_init(&e, VI_6_6, &LE64);
	era_clear(&e);
	put_flags(&e, 1u << 6);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8, (1u << 8) | 9);
	CHECK_DECISION(&e, 8, 512, true, PF_USER, 9);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8, 9);
	CHECK_DECISION(&e, 8, 512, true, PF_KEEP, 0);
	vmcoreinfo_destroy(e.vi);
}

/* 6.10-6.11: page types with one bit cleared under PAGE_TYPE_BASE. */
static void test_6_10_masked_types(void)
{
	struct era e;
	era_init(&e, VI_6_10, &LE64);
	era_clear(&e);
	put_mapcount(&e, (uint32_t)~0x1000u);
	put_mapping(&e, 1);
	CHECK_DECISION(&e, 31, 3, true, PF_KEEP, 0);	// slab, not anon
	put_mapcount(&e, (uint32_t)-129);
	put_mapping(&e, 0);
	put_private(&e, 0);
	CHECK_DECISION(&e, 31, 3, true, PF_FREE, 0);
	era_clear(&e);
	put_flags(&e, 1u << 16);
	put_mapcount(&e, (uint32_t)~0x800u);
	rd_put_uint(&e.l.format, e.next + e.l.off_flags, 8, 9);
	CHECK_DECISION(&e, 8, 1024, true, PF_USER, 9);
	vmcoreinfo_destroy(e.vi);
}

/* 4.9: u16 compound fields; swapcache without a PG_swapbacked guard. */
static void test_4_9_u16_fields(void)
{
	struct era e;
	era_init(&e, VI_4_9, &LE64);
	era_clear(&e);
	put_flags(&e, 1u << 14);
	rd_put_uint(&e.l.format, e.next + 44, 2, 9);
	rd_put_uint(&e.l.format, e.next + 40, 2, 2);
	CHECK_DECISION(&e, 8, 512, true, PF_USER, 9);
	era_clear(&e);
	put_flags(&e, 1u << 15);
	CHECK_DECISION(&e, 2, 7, true, PF_CACHE, 0);
	put_mapcount(&e, (uint32_t)-128);
	put_flags(&e, 0);
	put_private(&e, 1);
	CHECK_DECISION(&e, 16, 6, true, PF_FREE, 1);
	vmcoreinfo_destroy(e.vi);
}

/* The public entry points without a dump: level check and fallback. */
static void test_create_fallback(void)
{
	struct page_filter *f = NULL;
	CHECK_ERR(page_filter_create(NULL, NULL, NULL, 32, &f),
		  CRASH_ERR_UNSUPPORTED, "page filter: dump level 32 is not in 0-31");
	CHECK(f == NULL);
	CHECK_OK(page_filter_create(NULL, NULL, NULL, 31, &f));
	CHECK_STR(page_filter_fallback(f), "no VMCOREINFO");
	uint8_t keep[2] = { 0xff, 0x0f };
	CHECK_OK(page_filter_window(f, 0, 12, keep));
	CHECK_EQ_U64(keep[0], 0xff);
	CHECK_EQ_U64(keep[1], 0x0f);
	struct page_filter_counts c;
	page_filter_counts(f, &c);
	CHECK_EQ_U64(c.free + c.cache + c.user + c.kept_image, 0);
	page_filter_destroy(f);

	struct vmcoreinfo *vi;
	CHECK_OK(vmcoreinfo_parse(VI_6_1, strlen(VI_6_1), &vi));
	CHECK_OK(page_filter_create(NULL, vi, NULL, 31, &f));
	CHECK_STR(page_filter_fallback(f), "no kernel-virtual translation");
	page_filter_destroy(f);
	vmcoreinfo_destroy(vi);
	page_filter_destroy(NULL);
}

int main(void)
{
	RUN(test_layout_missing_keys);
	RUN(test_layout_eras);
	RUN(test_6_1_predicates);
	RUN(test_6_12_page_types);
	RUN(test_6_12_big_endian);
	RUN(test_6_6_hugetlb_flag);
	RUN(test_6_10_masked_types);
	RUN(test_4_9_u16_fields);
	RUN(test_create_fallback);
	return test_summary("page_filter");
}
