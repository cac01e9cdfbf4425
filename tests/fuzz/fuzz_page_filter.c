/*
 * libFuzzer harness: crashcopy's struct page classifier.  The input is a
 * run of struct pages (SIZE(page) = 64) as a crashed kernel left them; each
 * is classified with the next as its page[1], under the VMCOREINFO of a
 * real Debian 6.1 or 6.12 kernel (the first byte picks one, and the level).
 * Hostile orders, page types and flags must give a decision, never a crash.
 */
#include <stdint.h>
#include <string.h>

#include "../../capture/crashcopy/page_filter_internal.h"
#include "../../lib/vmcoreinfo.h"

static const char info_6_1[] =
	"PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\nOFFSET(page.compound_dtor)=16\n"
	"OFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
	"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\n"
	"NUMBER(PG_swapcache)=10\nNUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\n"
	"NUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

static const char info_6_12[] =
	"PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\nOFFSET(page.compound_head)=8\n"
	"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=5\nNUMBER(PG_private)=14\n"
	"NUMBER(PG_swapcache)=10\nNUMBER(PG_swapbacked)=17\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\nNUMBER(PG_hwpoison)=20\n"
	"NUMBER(PG_head_mask)=64\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rd_format le64 = {RD_LITTLE_ENDIAN, 8};
	static const struct rd_format be64 = {RD_BIG_ENDIAN, 8};
	if (size < 1)
		return 0;
	const char *info = (data[0] & 1) ? info_6_12 : info_6_1;
	const struct rd_format *format = (data[0] & 2) ? &be64 : &le64;
	unsigned int level = (data[0] >> 2) & 31;
	data++;
	size--;

	struct vmcoreinfo *vi;
	struct crash_error *err = vmcoreinfo_parse(info, strlen(info), &vi);
	if (err) {
		crash_error_destroy(err);
		return 0;
	}
	struct page_filter_layout layout;
	if (!page_filter_layout_init(vi, format, &layout)) {
		for (size_t off = 0; size - off >= 64; off += 64) {
			const uint8_t *next = size - off >= 128 ? data + off + 64 : NULL;
			struct page_filter_decision d;
			page_filter_classify(&layout, level, off / 64, data + off,
					     next, &d);
			// A decision covers 1 << order pfns: the order is bounded.
			if (d.order >= 64)
				__builtin_trap();
		}
	}
	vmcoreinfo_destroy(vi);
	return 0;
}
