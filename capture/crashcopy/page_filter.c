/*
 * page_filter.c - which pages a dump level drops, decided from struct page.
 *
 * 1. The kernel structures.  Every pfn has a struct page (SIZE(page) bytes)
 *    in mem_map.  SPARSEMEM (all 64-bit distros) splits mem_map by section
 *    of 1 << (SECTION_SIZE_BITS - PAGE_SHIFT) pfns: mem_section[] (a root
 *    array of pointers with SPARSEMEM_EXTREME; since 4.15 the symbol is a
 *    pointer to that array, and VMCOREINFO may give either, so both readings
 *    are tried as makedumpfile's get_mem_section() does) holds per section
 *    an encoded section_mem_map: flag bits below bit 6, and the mem_map
 *    address minus section_start_pfn * SIZE(page) (mm/sparse.c
 *    sparse_encode_mem_map()).  FLATMEM has one mem_map, SYMBOL(mem_map).
 *    Both are kernel-virtual (vmemmap): read through the translation layer.
 * 2. Fields and keys: SIZE(page); OFFSET(page.flags/mapping/_mapcount/
 *    private/compound_head/compound_order/compound_dtor); NUMBER(PG_lru/
 *    PG_private/PG_swapcache/PG_swapbacked/PG_slab/PG_hwpoison/PG_hugetlb/
 *    PG_head_mask); NUMBER(PAGE_{BUDDY,OFFLINE,SLAB,HUGETLB,UNACCEPTED}_
 *    MAPCOUNT_VALUE); NUMBER(HUGETLB_PAGE_DTOR); LENGTH(zone.free_area);
 *    SYMBOL(mem_section), LENGTH/SIZE(mem_section),
 *    OFFSET(mem_section.section_mem_map), NUMBER(SECTION_SIZE_BITS/
 *    MAX_PHYSMEM_BITS); OSRELEASE only for the pre-6.6 field widths.
 * 3. Validity, each cited in the code as "valid (n)":
 *    (1) a section is used only if SECTION_MARKED_PRESENT (bit 0) is set;
 *    (2) a mem_section reading is accepted only if some section is present
 *        and every present section's mem_map translates (makedumpfile
 *        asks only for kernel-virtual addresses);
 *    (3) a buddy order must be < LENGTH(zone.free_area) and the pfn aligned
 *        to it; a compound order must be < 64 and the pfn aligned to it
 *        (else the head counts alone, as makedumpfile does);
 *    (4) every field lies inside SIZE(page) (checked once, at layout time).
 * 4. What a crash leaves half-done: a struct page being updated (a buddy
 *    block being split has a head with a stale order; a folio being freed
 *    has tails whose compound_head still points at it).  We never drop more
 *    than the head claims, and a value out of range keeps the page.
 * 5. What we report: unreadable struct pages keep their pfns (one warning
 *    through the vmcore callback, then a count); bad orders keep their pfns
 *    (a count); a layout we do not understand drops nothing at all and
 *    page_filter_fallback() says why.
 *
 * Windows (page_filter_window()) are expected in increasing pfn order, as
 * the writer produces them.  A block decided at its head (buddy, folio,
 * unaccepted) that runs past a window's end is carried into the following
 * windows (f->pending_*), as makedumpfile carries exclude_pfn_end from one
 * cycle to the next; its pages are not classified again.  The counts do
 * not depend on the window size (tests/e2e/filter-check.sh: 1 to 1 Mi).
 * Memory: the section table (8 bytes per section) and one chunk of
 * PF_CHUNK_PFNS + 1 struct pages, whatever the window size.
 *
 * Decision order (spec §4.2, makedumpfile __exclude_unnecessary_pages()):
 * tail, free (bit 16), unaccepted (always), cache without PG_private
 * (bit 2), any cache (bit 4), user (bit 8), hwpoison (always), offline
 * (always).  Page types: from 6.12 a typed page holds PGTY_x << 24 in the
 * top byte of page_type (=_mapcount) and the owner may use the low 24 bits,
 * so a value whose low 24 bits are zero is compared by top byte; older
 * values are compared as makedumpfile does (exact for buddy, offline and
 * unaccepted; "base bits set, the type's bit clear" for slab and hugetlb).
 *
 * Kernel image: its pages are never dropped.  VMCOREINFO exports no _end,
 * so the physical range comes from, in order:
 *  (a) the PT_LOAD whose virtual range holds SYMBOL(_stext) and whose
 *      paddr agrees with xlat_kv_to_phys(_stext): kexec writes one for the
 *      kernel text mapping, [_text, _end) (verified on the 5.10, 6.1 and
 *      6.12 cores: 0x2c30000 bytes at 0x13800000 on 6.12);
 *  (b) else [_stext, the highest exported image symbol rounded up to
 *      2 MiB), image symbols being those within NUMBER(KERNEL_IMAGE_SIZE)
 *      (default 1 GiB) above _stext.  This can fall short of _end (bss
 *      past the last exported symbol: 1068 pages short on the 5.10 core),
 *      but what it misses is reserved memory no predicate drops anyway.
 * Either way the pages this catches are freed init memory, now free or
 * reused (counted as kept_image, not under their category).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_filter.h"
#include "page_filter_internal.h"

/* Pfns classified per mem_map read: 4096 struct pages = 256 KiB at 64 B. */
enum { PF_CHUNK_PFNS = 4096 };
/* The translation layer's step: vmemmap is translated per 4 KiB page. */
static const uint64_t PF_XLAT_STEP = 4096;
/* Section flags live below bit 6 (SECTION_MAP_LAST_BIT <= 1 << 6 up to
 * 6.15, include/linux/mmzone.h); the encoded pointer is aligned far above. */
static const uint64_t PF_SECTION_FLAG_MASK = 0x3f;
static const uint64_t PF_SECTION_MARKED_PRESENT = 1;
/* Upper bound on mem_map pieces we keep (64 TiB at 128 MiB sections is
 * 512 Ki); more means a corrupt layout. */
static const uint64_t PF_MAX_MAPS = UINT64_C(1) << 24;
/* Without LENGTH(zone.free_area): MAX_ORDER + 1 is at most 14 on every
 * architecture we know (arm64 64K pages); accept orders below 20. */
static const unsigned PF_DEFAULT_FREE_AREA_LENGTH = 20;
/* Image symbols lie this far above _stext at most without KERNEL_IMAGE_SIZE. */
static const uint64_t PF_IMAGE_SIZE_DEFAULT = UINT64_C(1) << 30;
static const uint64_t PF_IMAGE_ALIGN = UINT64_C(2) << 20;

struct page_filter {
	struct vmcore *vm;
	const struct xlat *x;
	unsigned int dump_level;
	struct page_filter_layout l;
	uint64_t page_size;		/* PAGESIZE */
	char fallback[256];
	/* mem_map pieces: maps[i] covers pfns [i * map_pfns, (i+1) * map_pfns);
	 * 0 when absent. */
	uint64_t *maps;
	uint64_t map_count, map_pfns;
	/* Kernel image, pfns [image_start, image_end). */
	uint64_t image_start, image_end;
	bool protect_image;
	/* A multi-page decision running past the last window. */
	uint64_t pending_from, pending_end;
	enum page_filter_class pending_cls;
	/* The last 4 KiB vmemmap page translated. */
	bool tcache_valid;
	uint64_t tcache_va, tcache_pa;
	/* Chunk buffers. */
	uint8_t *buf;
	bool *ok;
	struct page_filter_counts counts;
	uint64_t unreadable, bad;
	bool warned_unreadable;
};

/* VMCOREINFO lookups: absent and malformed are both "not there" here; a
 * malformed value leaves the category undecidable, never wrongly decided. */
static bool vi_num(const struct vmcoreinfo *vi, const char *name, int64_t *ret)
{
	struct crash_error *err = vmcoreinfo_number(vi, name, ret);
	crash_error_destroy(err);
	return !err;
}

static bool vi_off(const struct vmcoreinfo *vi, const char *type,
		   const char *member, uint64_t *ret)
{
	struct crash_error *err = vmcoreinfo_offset(vi, type, member, ret);
	crash_error_destroy(err);
	return !err;
}

static int vi_bit(const struct vmcoreinfo *vi, const char *name)
{
	int64_t v;
	if (!vi_num(vi, name, &v) || v < 0 || v > 63)
		return -1;
	return (int)v;
}

static struct page_filter_type vi_type(const struct vmcoreinfo *vi,
				       const char *name)
{
	int64_t v;
	struct page_filter_type t = { false, 0 };
	if (vi_num(vi, name, &v) && v >= INT32_MIN && v <= UINT32_MAX) {
		t.present = true;
		t.value = (uint32_t)v;
	}
	return t;
}

/* Major and minor of OSRELEASE ("6.1.0-50-amd64"); false if unparseable. */
static bool vi_version(const struct vmcoreinfo *vi, unsigned *major,
		       unsigned *minor)
{
	const char *s = vmcoreinfo_get(vi, "OSRELEASE");
	return s && sscanf(s, "%u.%u", major, minor) == 2;
}

const char *page_filter_layout_init(const struct vmcoreinfo *vi,
				    const struct rd_format *format,
				    struct page_filter_layout *ret)
{
	struct page_filter_layout l;
	memset(&l, 0, sizeof(l));
	l.format = *format;
	struct crash_error *err = vmcoreinfo_size(vi, "page", &l.page_struct_size);
	crash_error_destroy(err);
	if (err)
		return "no SIZE(page)";
	if (!vi_off(vi, "page", "flags", &l.off_flags))
		return "no OFFSET(page.flags)";
	if (!vi_off(vi, "page", "mapping", &l.off_mapping))
		return "no OFFSET(page.mapping)";
	uint64_t ptr = format->ptr_size;
	// valid (4): every field inside SIZE(page).
	if (!rd_field_fits(l.off_flags, ptr, l.page_struct_size) ||
	    !rd_field_fits(l.off_mapping, ptr, l.page_struct_size))
		return "OFFSET(page.flags) or OFFSET(page.mapping) outside SIZE(page)";
	l.has_mapcount = vi_off(vi, "page", "_mapcount", &l.off_mapcount) &&
			 rd_field_fits(l.off_mapcount, 4, l.page_struct_size);
	l.has_private = vi_off(vi, "page", "private", &l.off_private) &&
			rd_field_fits(l.off_private, ptr, l.page_struct_size);
	l.has_compound_head =
		vi_off(vi, "page", "compound_head", &l.off_compound_head) &&
		rd_field_fits(l.off_compound_head, ptr, l.page_struct_size);

	l.pg_lru = vi_bit(vi, "PG_lru");
	l.pg_private = vi_bit(vi, "PG_private");
	l.pg_swapcache = vi_bit(vi, "PG_swapcache");
	l.pg_swapbacked = vi_bit(vi, "PG_swapbacked");
	l.pg_slab = vi_bit(vi, "PG_slab");
	l.pg_hwpoison = vi_bit(vi, "PG_hwpoison");
	l.pg_hugetlb = vi_bit(vi, "PG_hugetlb");
	int64_t v;
	if (vi_num(vi, "PG_head_mask", &v) && v > 0)
		l.head_mask = (uint64_t)v;
	if (l.has_mapcount) {
		l.buddy = vi_type(vi, "PAGE_BUDDY_MAPCOUNT_VALUE");
		l.offline = vi_type(vi, "PAGE_OFFLINE_MAPCOUNT_VALUE");
		l.slab = vi_type(vi, "PAGE_SLAB_MAPCOUNT_VALUE");
		l.hugetlb = vi_type(vi, "PAGE_HUGETLB_MAPCOUNT_VALUE");
		l.unaccepted = vi_type(vi, "PAGE_UNACCEPTED_MAPCOUNT_VALUE");
	}
	uint64_t len;
	err = vmcoreinfo_length(vi, "zone.free_area", &len);
	crash_error_destroy(err);
	if (!err && len >= 1 && len <= 64) {
		l.free_area_length = (unsigned)len;
		l.free_area_length_known = true;
	} else {
		l.free_area_length = PF_DEFAULT_FREE_AREA_LENGTH;
	}

	// Compound order and hugetlb, by era (spec §4.6).
	unsigned major = 0, minor = 0;
	bool have_version = vi_version(vi, &major, &minor);
	bool pre_4_16 = have_version && (major < 4 || (major == 4 && minor < 16));
	bool pre_4_4 = have_version && (major < 4 || (major == 4 && minor < 4));
	bool ge_6_6 = have_version && (major > 6 || (major == 6 && minor >= 6));
	if (l.hugetlb.present) {
		l.order_src = PF_ORDER_FLAGS1;
		l.hugetlb_src = PF_HUGETLB_TYPE;
	} else if (l.pg_hugetlb >= 0) {
		l.order_src = PF_ORDER_FLAGS1;
		l.hugetlb_src = PF_HUGETLB_FLAG1;
	} else {
		if (vi_off(vi, "page", "compound_order", &l.off_compound_order) &&
		    rd_field_fits(l.off_compound_order, pre_4_16 ? 2 : 1,
				  l.page_struct_size))
			l.order_src = pre_4_16 ? PF_ORDER_U16 : PF_ORDER_U8;
		else if (ge_6_6)
			// 6.6+ built without hugetlb: no PG_hugetlb, but the
			// order is still the low byte of _flags_1.
			l.order_src = PF_ORDER_FLAGS1;
		uint64_t sym;
		if (vi_off(vi, "page", "compound_dtor", &l.off_compound_dtor)) {
			if (pre_4_4) {
				err = vmcoreinfo_symbol(vi, "free_huge_page", &sym);
				crash_error_destroy(err);
				if (!err && rd_field_fits(l.off_compound_dtor, ptr,
							  l.page_struct_size)) {
					l.hugetlb_src = PF_HUGETLB_DTOR_PTR;
					l.hugetlb_dtor = sym;
				}
			} else if (vi_num(vi, "HUGETLB_PAGE_DTOR", &v) && v >= 0 &&
				   rd_field_fits(l.off_compound_dtor,
						 pre_4_16 ? 2 : 1,
						 l.page_struct_size)) {
				l.hugetlb_src = pre_4_16 ? PF_HUGETLB_DTOR_U16
							 : PF_HUGETLB_DTOR_U8;
				l.hugetlb_dtor = (uint64_t)v;
			}
		}
	}
	*ret = l;
	return NULL;
}

/* Classification. */

static bool pf_bit(uint64_t flags, int bit)
{
	return bit >= 0 && (flags >> bit & 1);
}

/* A page type of 6.12+ has zero low 24 bits: compare the top byte. */
static bool pf_top_byte_style(uint32_t value)
{
	return (value & 0xffffff) == 0;
}

/* PAGE_TYPE_BASE of 4.18-6.11 include/linux/page-flags.h. */
static const uint32_t PF_PAGE_TYPE_BASE = 0xf0000000;

static bool pf_type_exact(struct page_filter_type t, uint32_t mapcount)
{
	if (!t.present)
		return false;
	if (pf_top_byte_style(t.value))
		return mapcount >> 24 == t.value >> 24;
	return mapcount == t.value;
}

/* Slab and hugetlb before 6.12: base bits set and the type's bit clear. */
static bool pf_type_masked(struct page_filter_type t, uint32_t mapcount)
{
	if (!t.present)
		return false;
	if (pf_top_byte_style(t.value))
		return mapcount >> 24 == t.value >> 24;
	uint32_t bit = ~t.value;
	return (mapcount & (PF_PAGE_TYPE_BASE | bit)) == PF_PAGE_TYPE_BASE;
}

static bool pf_is_slab(const struct page_filter_layout *l, uint64_t flags,
		       uint32_t mapcount)
{
	if (l->slab.present)
		return pf_type_masked(l->slab, mapcount);
	return pf_bit(flags, l->pg_slab);
}

static bool pf_is_cache(const struct page_filter_layout *l, uint64_t flags)
{
	if (pf_bit(flags, l->pg_lru))
		return true;
	// PG_swapcache aliases PG_owner_priv_1; it means swap cache only with
	// PG_swapbacked (4.10+), or on kernels without PG_swapbacked.
	return pf_bit(flags, l->pg_swapcache) &&
	       (l->pg_swapbacked < 0 || pf_bit(flags, l->pg_swapbacked));
}

void page_filter_classify(const struct page_filter_layout *l,
			  unsigned int dump_level, uint64_t pfn,
			  const uint8_t *page, const uint8_t *next,
			  struct page_filter_decision *ret)
{
	const struct rd_format *f = &l->format;
	uint64_t flags = rd_ptr(f, page + l->off_flags);
	uint64_t mapping = rd_ptr(f, page + l->off_mapping);
	uint32_t mapcount = l->has_mapcount ? rd_u32(f, page + l->off_mapcount)
					    : UINT32_MAX;
	uint64_t private = l->has_private ? rd_ptr(f, page + l->off_private) : 0;
	uint64_t compound_head =
		l->has_compound_head ? rd_ptr(f, page + l->off_compound_head) : 0;
	ret->cls = PF_KEEP;
	ret->order = 0;
	ret->why = NULL;

	// Compound head: order and hugetlb from page[1] (and the head's type).
	unsigned order = 0;
	bool hugetlb = false;
	if (next && l->head_mask && (flags & l->head_mask)) {
		uint64_t flags1 = rd_ptr(f, next + l->off_flags);
		switch (l->order_src) {
		case PF_ORDER_FLAGS1: order = flags1 & 0xff; break;
		case PF_ORDER_U8: order = next[l->off_compound_order]; break;
		case PF_ORDER_U16:
			order = rd_u16(f, next + l->off_compound_order);
			break;
		case PF_ORDER_NONE: break;
		}
		switch (l->hugetlb_src) {
		case PF_HUGETLB_TYPE:
			hugetlb = pf_type_masked(l->hugetlb, mapcount);
			break;
		case PF_HUGETLB_FLAG1:
			hugetlb = pf_bit(flags1, l->pg_hugetlb);
			break;
		case PF_HUGETLB_DTOR_U8:
			hugetlb = next[l->off_compound_dtor] == l->hugetlb_dtor;
			break;
		case PF_HUGETLB_DTOR_U16:
			hugetlb = rd_u16(f, next + l->off_compound_dtor) ==
				  l->hugetlb_dtor;
			break;
		case PF_HUGETLB_DTOR_PTR:
			hugetlb = rd_ptr(f, next + l->off_compound_dtor) ==
				  l->hugetlb_dtor;
			break;
		case PF_HUGETLB_NONE: break;
		}
		// valid (3): an order the pfn is not aligned to counts as 0.
		if (order >= 64 || (pfn & ((UINT64_C(1) << order) - 1)) != 0)
			order = 0;
	}

	// §4.2 step 1: tails go with their head.
	if (compound_head & 1) {
		ret->cls = PF_TAIL;
		return;
	}
	bool slab = pf_is_slab(l, flags, mapcount);
	// Step 2: free, the head of a buddy block.
	if ((dump_level & PAGE_FILTER_DL_FREE) && l->has_private && !slab &&
	    pf_type_exact(l->buddy, mapcount)) {
		// valid (3): the order is bounded and the pfn aligned to it.
		if (private >= l->free_area_length) {
			ret->cls = PF_BAD;
			ret->why = "buddy order not below LENGTH(zone.free_area)";
			return;
		}
		if (pfn & ((UINT64_C(1) << private) - 1)) {
			ret->cls = PF_BAD;
			ret->why = "buddy head not aligned to its order";
			return;
		}
		ret->cls = PF_FREE;
		ret->order = (unsigned)private;
		return;
	}
	// Step 3: unaccepted memory (6.16+), a MAX_PAGE_ORDER block.
	if (pf_type_exact(l->unaccepted, mapcount)) {
		// Without LENGTH(zone.free_area) the block size is unknown: the
		// head alone.
		unsigned max_order =
			l->free_area_length_known ? l->free_area_length - 1 : 0;
		ret->cls = PF_UNACCEPTED;
		ret->order = (pfn & ((UINT64_C(1) << max_order) - 1)) ? 0
								     : max_order;
		return;
	}
	bool anon = (mapping & 1) && !slab;
	bool cache = pf_is_cache(l, flags);
	bool priv = pf_bit(flags, l->pg_private);
	// Step 4: cache without PG_private.
	if ((dump_level & PAGE_FILTER_DL_CACHE) && cache && !priv && !anon) {
		ret->cls = PF_CACHE;
		ret->order = order;
		return;
	}
	// Step 5: any cache.
	if ((dump_level & PAGE_FILTER_DL_CACHE_PRI) && cache && !anon) {
		ret->cls = priv ? PF_CACHE_PRIVATE : PF_CACHE;
		ret->order = order;
		return;
	}
	// Step 6: user data.
	if ((dump_level & PAGE_FILTER_DL_USER) && (anon || hugetlb)) {
		ret->cls = PF_USER;
		ret->order = order;
		return;
	}
	// Steps 7 and 8: always dropped.
	if (pf_bit(flags, l->pg_hwpoison)) {
		ret->cls = PF_HWPOISON;
		ret->order = order;
		return;
	}
	if (!slab && pf_type_exact(l->offline, mapcount)) {
		ret->cls = PF_OFFLINE;
		ret->order = order;
		return;
	}
}

/* Finding mem_map. */

static void pf_set_fallback(struct page_filter *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pf_set_fallback(struct page_filter *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->fallback, sizeof(f->fallback), fmt, ap);
	va_end(ap);
}

/* The highest pfn + 1 of any PT_LOAD. */
static uint64_t pf_max_pfn(const struct page_filter *f)
{
	size_t n;
	const struct vmcore_segment *s = vmcore_segments(f->vm, &n);
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t end;
		if (__builtin_add_overflow(s[i].paddr, s[i].mem_size, &end))
			end = UINT64_MAX;
		uint64_t pfn = end / f->page_size +
			       (end % f->page_size ? 1 : 0);
		if (pfn > max)
			max = pfn;
	}
	return max;
}

/*
 * Read the section table with the root array at @root_kv (EXTREME) or the
 * section array at @root_kv (static) into f->maps.  Returns false (maps
 * untouched beyond their zeroing) when valid (2) does not hold or the reads
 * fail; @why (@why_size bytes) then says what failed.
 */
static bool pf_read_sections(struct page_filter *f, uint64_t root_kv,
			     bool extreme, uint64_t sections_per_root,
			     uint64_t section_size, uint64_t off_map,
			     char *why, size_t why_size)
{
	const struct rd_format *fmt = &f->l.format;
	memset(f->maps, 0, f->map_count * sizeof(*f->maps));
	// A static array is read in pieces of PF_CHUNK_PFNS sections.
	uint64_t per_root = extreme ? sections_per_root : PF_CHUNK_PFNS;
	uint8_t *sec = malloc(per_root * section_size);
	if (!sec) {
		snprintf(why, why_size, "out of memory reading mem_section");
		return false;
	}
	bool any_present = false;
	for (uint64_t root = 0; root * per_root < f->map_count; root++) {
		uint64_t arr = root_kv + root * per_root * section_size;
		if (extreme) {
			uint64_t p;
			struct crash_error *err = xlat_read_ptr_kv(
				f->x, root_kv + root * fmt->ptr_size, &p);
			if (err) {
				crash_error_destroy(err);
				snprintf(why, why_size,
					 "root %" PRIu64 " not readable", root);
				free(sec);
				return false;
			}
			if (p == 0)
				continue;
			arr = p;
		}
		uint64_t n = f->map_count - root * per_root;
		if (n > per_root)
			n = per_root;
		struct crash_error *err = xlat_read_kv(f->x, arr, sec,
						       n * section_size);
		if (err) {
			crash_error_destroy(err);
			snprintf(why, why_size,
				 "section array of root %" PRIu64
				 " at 0x%" PRIx64 " not readable",
				 root, arr);
			free(sec);
			return false;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t nr = root * per_root + i;
			uint64_t coded = rd_ptr(fmt, sec + i * section_size +
							     off_map);
			// valid (1): present sections only.
			if (!(coded & PF_SECTION_MARKED_PRESENT))
				continue;
			uint64_t map = (coded & ~PF_SECTION_FLAG_MASK) +
				       nr * f->map_pfns * f->l.page_struct_size;
			if (map == 0)
				continue;
			any_present = true;
			f->maps[nr] = map;
			// valid (2): every present section's mem_map maps.
			uint64_t pa;
			err = xlat_kv_to_phys(f->x, map, &pa);
			if (err) {
				crash_error_destroy(err);
				snprintf(why, why_size,
					 "section %" PRIu64 " mem_map 0x%" PRIx64
					 " not mapped",
					 nr, map);
				free(sec);
				return false;
			}
		}
	}
	free(sec);
	if (!any_present) {
		snprintf(why, why_size, "no present section");
		return false;
	}
	return true;
}

/* Fill f->maps from VMCOREINFO; false with f->fallback set on failure. */
static bool pf_find_mem_map(struct page_filter *f, const struct vmcoreinfo *vi)
{
	uint64_t max_pfn = pf_max_pfn(f);
	if (max_pfn == 0) {
		pf_set_fallback(f, "no PT_LOAD memory");
		return false;
	}
	uint64_t sym, section_size, off_map, length;
	struct crash_error *err = vmcoreinfo_symbol(vi, "mem_section", &sym);
	bool sparse = !err;
	crash_error_destroy(err);
	if (sparse) {
		err = vmcoreinfo_size(vi, "mem_section", &section_size);
		if (!err)
			err = vmcoreinfo_offset(vi, "mem_section",
						"section_mem_map", &off_map);
		if (!err)
			err = vmcoreinfo_length(vi, "mem_section", &length);
		int64_t section_bits = 0, physmem_bits = 0;
		bool have_physmem = false;
		if (!err) {
			err = vmcoreinfo_number(vi, "SECTION_SIZE_BITS",
						&section_bits);
			int64_t pb;
			struct crash_error *e2 =
				vmcoreinfo_number(vi, "MAX_PHYSMEM_BITS", &pb);
			if (!e2) {
				physmem_bits = pb;
				have_physmem = true;
			}
			crash_error_destroy(e2);
		}
		if (err) {
			pf_set_fallback(f, "SPARSEMEM layout incomplete: %s",
					err->message);
			crash_error_destroy(err);
			return false;
		}
		unsigned page_shift = (unsigned)__builtin_ctzll(f->page_size);
		if (section_bits <= (int64_t)page_shift || section_bits > 40 ||
		    !rd_field_fits(off_map, f->l.format.ptr_size, section_size) ||
		    section_size > f->page_size || length == 0 ||
		    length > (UINT64_C(1) << 24) ||
		    (have_physmem && (physmem_bits < section_bits ||
				      physmem_bits > 64))) {
			pf_set_fallback(f,
					"SPARSEMEM values out of range: SECTION_SIZE_BITS %" PRId64
					", SIZE(mem_section) %" PRIu64
					", LENGTH(mem_section) %" PRIu64,
					section_bits, section_size, length);
			return false;
		}
		f->map_pfns = UINT64_C(1) << (section_bits - page_shift);
		f->map_count = max_pfn / f->map_pfns + (max_pfn % f->map_pfns != 0);
		uint64_t spr = f->page_size / section_size;
		// SPARSEMEM_EXTREME when LENGTH(mem_section) counts roots of
		// PAGE_SIZE / SIZE(mem_section) sections (mm/sparse.c).
		bool extreme;
		if (have_physmem) {
			uint64_t nr_sections = UINT64_C(1) << (physmem_bits - section_bits);
			extreme = length != nr_sections;
		} else {
			extreme = length < f->map_count;
		}
		uint64_t capacity = extreme ? length * spr : length;
		if (f->map_count > capacity || f->map_count > PF_MAX_MAPS) {
			pf_set_fallback(f,
					"mem_section holds %" PRIu64
					" sections, memory needs %" PRIu64,
					capacity, f->map_count);
			return false;
		}
		f->maps = calloc(f->map_count, sizeof(*f->maps));
		if (!f->maps)
			return false;
		char why1[96], why2[96] = "unreadable";
		if (pf_read_sections(f, sym, extreme, spr, section_size, off_map,
				     why1, sizeof(why1)))
			return true;
		// 4.15+: the symbol may be the pointer to the root array.
		uint64_t p;
		if (extreme) {
			err = xlat_read_ptr_kv(f->x, sym, &p);
			if (!err && p &&
			    pf_read_sections(f, p, extreme, spr, section_size,
					     off_map, why2, sizeof(why2)))
				return true;
			crash_error_destroy(err);
		}
		pf_set_fallback(f,
				"mem_section at 0x%" PRIx64
				" validates neither as the root array (%s) nor as a pointer to it (%s)",
				sym, why1, why2);
		return false;
	}
	err = vmcoreinfo_symbol(vi, "mem_map", &sym);
	if (err) {
		crash_error_destroy(err);
		pf_set_fallback(f, "no SYMBOL(mem_section) nor SYMBOL(mem_map): memory model unknown");
		return false;
	}
	// FLATMEM: one mem_map from pfn 0 (ARCH_PFN_OFFSET 0 assumed).
	uint64_t map;
	err = xlat_read_ptr_kv(f->x, sym, &map);
	uint64_t pa;
	if (!err)
		err = xlat_kv_to_phys(f->x, map, &pa);
	if (err) {
		pf_set_fallback(f, "FLATMEM mem_map not mapped: %s", err->message);
		crash_error_destroy(err);
		return false;
	}
	f->map_pfns = max_pfn;
	f->map_count = 1;
	f->maps = calloc(1, sizeof(*f->maps));
	if (!f->maps)
		return false;
	f->maps[0] = map;
	return true;
}

/* Kernel image: see the overview. */
static void pf_find_image(struct page_filter *f, const struct vmcoreinfo *vi)
{
	static const char *const symbols[] = {
		"_end", "init_uts_ns", "node_online_map", "swapper_pg_dir",
		"init_top_pgt", "vmap_area_list", "prb", "printk_rb_static",
		"clear_seq", "log_buf", "log_buf_len", "log_first_idx",
		"log_next_idx", "kallsyms_names", "kallsyms_num_syms",
		"kallsyms_token_table", "kallsyms_token_index",
		"kallsyms_offsets", "kallsyms_relative_base", "node_data",
		"contig_page_data", "mem_map", "high_memory", "vmemmap",
	};
	uint64_t stext, start_pa, end_pa;
	struct crash_error *err = vmcoreinfo_symbol(vi, "_stext", &stext);
	if (!err)
		err = xlat_kv_to_phys(f->x, stext, &start_pa);
	if (err) {
		crash_error_destroy(err);
		return;
	}
	// (a) The PT_LOAD that maps _stext virtually: kexec (kexec-tools from
	// /proc/kcore's text segment, kexec_file_load from _text.._end in
	// crash_prepare_elf64_headers()) describes the image with it.
	size_t n;
	const struct vmcore_segment *seg = vmcore_segments(f->vm, &n);
	for (size_t i = 0; i < n; i++) {
		if (seg[i].vaddr == 0 || stext < seg[i].vaddr ||
		    stext - seg[i].vaddr >= seg[i].mem_size ||
		    seg[i].paddr + (stext - seg[i].vaddr) != start_pa)
			continue;
		f->image_start = seg[i].paddr / f->page_size;
		f->image_end = (seg[i].paddr + seg[i].mem_size + f->page_size - 1) /
			       f->page_size;
		return;
	}
	// (b) No such segment: the highest exported image symbol.
	int64_t v;
	uint64_t window = PF_IMAGE_SIZE_DEFAULT;
	if (vi_num(vi, "KERNEL_IMAGE_SIZE", &v) && v > 0)
		window = (uint64_t)v;
	uint64_t top = stext;
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		uint64_t s;
		err = vmcoreinfo_symbol(vi, symbols[i], &s);
		crash_error_destroy(err);
		if (!err && s > top && s - stext < window)
			top = s;
	}
	uint64_t end = (top | (PF_IMAGE_ALIGN - 1));
	if (end == UINT64_MAX || end - stext >= window)
		end = top;
	// The image is physically contiguous: check the end translates so.
	err = xlat_kv_to_phys(f->x, end, &end_pa);
	if (err || end_pa - start_pa != end - stext) {
		crash_error_destroy(err);
		end_pa = start_pa + f->page_size - 1;
	}
	f->image_start = start_pa / f->page_size;
	f->image_end = end_pa / f->page_size + 1;
}

struct crash_error *page_filter_create(struct vmcore *vm,
				       const struct vmcoreinfo *vi,
				       const struct xlat *x,
				       unsigned int dump_level,
				       struct page_filter **ret)
{
	if (dump_level > 31)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "page filter: dump level %u is not in 0-31",
					  dump_level);
	struct page_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return &crash_enomem;
	f->vm = vm;
	f->x = x;
	f->dump_level = dump_level;
	f->protect_image = true;
	uint64_t page_size = 0;
	struct crash_error *err =
		vi ? vmcoreinfo_decimal(vi, "PAGESIZE", &page_size) : NULL;
	crash_error_destroy(err);
	const char *why;
	if (!vi) {
		pf_set_fallback(f, "no VMCOREINFO");
	} else if (!x) {
		pf_set_fallback(f, "no kernel-virtual translation");
	} else if (err || page_size < 1024 || page_size > (1u << 20) ||
		   (page_size & (page_size - 1))) {
		pf_set_fallback(f, "no usable PAGESIZE");
	} else if ((why = page_filter_layout_init(vi, vmcore_format(vm),
						  &f->l))) {
		pf_set_fallback(f, "struct page layout: %s", why);
	} else {
		f->page_size = page_size;
		if (!pf_find_mem_map(f, vi) && !f->fallback[0]) {
			page_filter_destroy(f);
			return &crash_enomem;
		}
	}
	if (!f->fallback[0]) {
		pf_find_image(f, vi);
		f->buf = malloc((PF_CHUNK_PFNS + 1) * f->l.page_struct_size);
		f->ok = malloc((PF_CHUNK_PFNS + 1) * sizeof(*f->ok));
		if (!f->buf || !f->ok) {
			page_filter_destroy(f);
			return &crash_enomem;
		}
	}
	*ret = f;
	return NULL;
}

const char *page_filter_fallback(const struct page_filter *f)
{
	return f->fallback[0] ? f->fallback : NULL;
}

void page_filter_counts(const struct page_filter *f,
			struct page_filter_counts *ret)
{
	*ret = f->counts;
}

void page_filter_destroy(struct page_filter *f)
{
	if (!f)
		return;
	free(f->maps);
	free(f->buf);
	free(f->ok);
	free(f);
}

void page_filter_image_range(const struct page_filter *f,
			     uint64_t *start_pfn_ret, uint64_t *end_pfn_ret)
{
	*start_pfn_ret = f->image_start;
	*end_pfn_ret = f->image_end;
}

void page_filter_set_protect_image(struct page_filter *f, bool on)
{
	f->protect_image = on;
}

void page_filter_warnings(const struct page_filter *f,
			  uint64_t *unreadable_ret, uint64_t *bad_ret)
{
	*unreadable_ret = f->unreadable;
	*bad_ret = f->bad;
}

/* Reading struct pages. */

/* Translate one 4 KiB vmemmap page, through a one-entry cache. */
static struct crash_error *pf_translate(struct page_filter *f, uint64_t va,
					uint64_t *pa_ret)
{
	uint64_t page_va = va & ~(PF_XLAT_STEP - 1);
	if (!f->tcache_valid || f->tcache_va != page_va) {
		uint64_t pa;
		struct crash_error *err = xlat_kv_to_phys(f->x, page_va, &pa);
		if (err)
			return err;
		f->tcache_valid = true;
		f->tcache_va = page_va;
		f->tcache_pa = pa;
	}
	*pa_ret = f->tcache_pa + (va - page_va);
	return NULL;
}

/*
 * Read @n struct pages at kernel-virtual @va into f->buf, one read per
 * physically contiguous run; f->ok[i] says whether struct page i was read
 * whole.  Returns the number of unreadable ones.
 */
static uint64_t pf_read_pages(struct page_filter *f, uint64_t va, uint64_t n)
{
	uint64_t sz = f->l.page_struct_size, total = n * sz, done = 0;
	for (uint64_t i = 0; i < n; i++)
		f->ok[i] = true;
	if (total && UINT64_MAX - va < total - 1) {
		for (uint64_t i = 0; i < n; i++)
			f->ok[i] = false;
		return n;
	}
	// Bounded: done grows by at least one byte per iteration.
	while (done < total) {
		uint64_t cur = va + done;
		uint64_t run = PF_XLAT_STEP - (cur & (PF_XLAT_STEP - 1));
		if (run > total - done)
			run = total - done;
		uint64_t run_pa, pa;
		struct crash_error *err = pf_translate(f, cur, &run_pa);
		if (!err) {
			// Extend while the next 4 KiB step follows physically; a
			// step that does not translate ends the run and is retried
			// (and marked) as the next run's first step.
			while (done + run < total) {
				struct crash_error *e2 =
					pf_translate(f, cur + run, &pa);
				if (e2) {
					crash_error_destroy(e2);
					break;
				}
				if (pa != run_pa + run)
					break;
				uint64_t step = PF_XLAT_STEP;
				if (step > total - done - run)
					step = total - done - run;
				run += step;
			}
			err = vmcore_read_phys(f->vm, run_pa, f->buf + done, run);
		}
		if (err) {
			crash_error_destroy(err);
			for (uint64_t b = done / sz; b <= (done + run - 1) / sz; b++)
				f->ok[b] = false;
		}
		done += run;
	}
	uint64_t bad = 0;
	for (uint64_t i = 0; i < n; i++)
		bad += !f->ok[i];
	return bad;
}

/* Windows. */

static uint64_t *pf_counter(struct page_filter *f, enum page_filter_class c)
{
	switch (c) {
	case PF_FREE: return &f->counts.free;
	case PF_UNACCEPTED: return &f->counts.unaccepted;
	case PF_CACHE: return &f->counts.cache;
	case PF_CACHE_PRIVATE: return &f->counts.cache_private;
	case PF_USER: return &f->counts.user;
	case PF_HWPOISON: return &f->counts.hwpoison;
	case PF_OFFLINE: return &f->counts.offline;
	default: return NULL;
	}
}

/* Drop kept pfns [from, to) of the window for @c (to <= window end). */
static void pf_drop(struct page_filter *f, uint64_t start_pfn, uint8_t *keep,
		    uint64_t from, uint64_t to, enum page_filter_class c)
{
	uint64_t *counter = pf_counter(f, c);
	for (uint64_t pfn = from; pfn < to; pfn++) {
		uint64_t i = pfn - start_pfn;
		if (!(keep[i / 8] >> (i % 8) & 1))
			continue;
		if (f->protect_image && pfn >= f->image_start &&
		    pfn < f->image_end) {
			f->counts.kept_image++;
			continue;
		}
		keep[i / 8] &= (uint8_t)~(1u << (i % 8));
		(*counter)++;
	}
}

static void pf_warn_unreadable(struct page_filter *f, uint64_t pfn)
{
	if (f->warned_unreadable)
		return;
	f->warned_unreadable = true;
	vmcore_warn(f->vm,
		    "page filter: struct page of pfn 0x%" PRIx64
		    " is not readable; such pages are kept",
		    pfn);
}

struct crash_error *page_filter_window(struct page_filter *f,
				       uint64_t start_pfn, uint64_t count,
				       uint8_t *keep)
{
	if (f->fallback[0] || count == 0)
		return NULL;
	uint64_t end_pfn;
	if (__builtin_add_overflow(start_pfn, count, &end_pfn))
		end_pfn = UINT64_MAX;
	uint64_t pfn = start_pfn;
	// A decision of the previous window that runs into this one.
	if (f->pending_end > start_pfn && start_pfn >= f->pending_from) {
		uint64_t to = f->pending_end < end_pfn ? f->pending_end : end_pfn;
		pf_drop(f, start_pfn, keep, start_pfn, to, f->pending_cls);
		pfn = to;
		if (f->pending_end > end_pfn) {
			// The block covers this whole window and goes on.
			f->pending_from = end_pfn;
			return NULL;
		}
	}
	f->pending_end = 0;
	// Bounded: pfn grows by at least one per iteration, up to end_pfn.
	while (pfn < end_pfn) {
		uint64_t idx = pfn / f->map_pfns;
		if (idx >= f->map_count)
			break;
		uint64_t map_end = (idx + 1) * f->map_pfns;
		uint64_t chunk_end = end_pfn < map_end ? end_pfn : map_end;
		if (chunk_end - pfn > PF_CHUNK_PFNS)
			chunk_end = pfn + PF_CHUNK_PFNS;
		if (f->maps[idx] == 0) {
			pfn = chunk_end;	// no mem_map: nothing known, keep
			continue;
		}
		// One more struct page for a head's page[1], same section only.
		uint64_t n = chunk_end - pfn + (chunk_end < map_end ? 1 : 0);
		uint64_t base = f->maps[idx] +
				(pfn - idx * f->map_pfns) * f->l.page_struct_size;
		pf_read_pages(f, base, n);
		uint64_t chunk_start = pfn;
		while (pfn < chunk_end) {
			uint64_t i = pfn - start_pfn, b = pfn - chunk_start;
			if (!(keep[i / 8] >> (i % 8) & 1)) {
				pfn++;
				continue;
			}
			if (!f->ok[b]) {
				f->unreadable++;
				pf_warn_unreadable(f, pfn);
				pfn++;
				continue;
			}
			const uint8_t *page = f->buf + b * f->l.page_struct_size;
			const uint8_t *next = b + 1 < n && f->ok[b + 1]
						      ? page + f->l.page_struct_size
						      : NULL;
			struct page_filter_decision d;
			page_filter_classify(&f->l, f->dump_level, pfn, page, next,
					     &d);
			if (d.cls == PF_BAD)
				f->bad++;
			if (d.cls == PF_KEEP || d.cls == PF_TAIL || d.cls == PF_BAD) {
				pfn++;
				continue;
			}
			uint64_t span = UINT64_C(1) << d.order, to;
			if (__builtin_add_overflow(pfn, span, &to))
				to = UINT64_MAX;
			if (to > end_pfn) {
				f->pending_from = end_pfn;
				f->pending_end = to;
				f->pending_cls = d.cls;
				to = end_pfn;
			}
			pf_drop(f, start_pfn, keep, pfn, to, d.cls);
			pfn = to;
		}
		// A range may have run past the chunk (still inside the window).
		if (pfn < chunk_end)
			pfn = chunk_end;
	}
	return NULL;
}
