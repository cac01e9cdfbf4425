/* xen_filter.c - see xen_filter.h. */
#include "xen_filter.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t DIRECTMAP_START = UINT64_C(0xffff830000000000);
static const uint16_t DOMID_FIRST_RESERVED = 0x7ff0;
static const uint64_t PGC_ALLOCATED = UINT64_C(1) << 63;
/* Frames whose page_info is read at once. */
enum { FRAMES_PER_READ = 4096, PAGE_INFO_MAX = 256 };
/* dom0 frames whose page_info check_frame_index() reads. */
enum { INDEX_SAMPLES = 1024 };

struct layout {
	const char *name;
	unsigned state_shift;
};
static const struct layout layouts[2] = {
	{ "PGC_state bits 58-59 (XSA-402: Xen 4.17+, 4.16.2+, 4.15.3+, "
	  "4.14.6, 4.13.5)", 58 },
	{ "PGC_state bits 55-56 (before XSA-402)", 55 },
};

struct domain_entry {
	uint64_t maddr;		/* of its struct domain */
	uint16_t id;
};

struct xen_filter {
	const struct xen *xen;
	uint64_t frame_table, max_page, page_info_size;
	uint64_t count_off, domain_off;
	struct domain_entry *domains;
	size_t domain_count;
	size_t system_count;	/* dom_xen, dom_io: last in domains */
	const struct layout *layout;
	struct xen_filter_counts counts;
	uint8_t *buf;
};

static struct crash_error *sym(const struct vmcoreinfo *vi, const char *name,
			       uint64_t *ret)
{
	struct crash_error *err = vmcoreinfo_symbol(vi, name, ret);
	if (err && err->code == CRASH_ERR_NOT_FOUND) {
		crash_error_destroy(err);
		return crash_error_create(CRASH_ERR_NOT_FOUND,
					  "VMCOREINFO_XEN has no SYMBOL(%s)",
					  name);
	}
	return err;
}

static struct crash_error *read_ptr(const struct xen *xen, uint64_t va,
				    uint64_t *ret)
{
	uint8_t b[8];
	struct crash_error *err = xen_read_xv(xen, va, b, 8);
	if (err)
		return err;
	*ret = rd_u64(xen_format(xen), b);
	return NULL;
}

static struct crash_error *read_domains(struct xen_filter *f,
					const struct vmcoreinfo *vi)
{
	uint64_t list, next_off, id_off, d;
	struct crash_error *err = sym(vi, "domain_list", &list);
	if (!err)
		err = vmcoreinfo_offset(vi, "domain", "next_in_list", &next_off);
	if (!err)
		err = vmcoreinfo_offset(vi, "domain", "domain_id", &id_off);
	if (!err)
		err = read_ptr(f->xen, list, &d);
	if (err)
		return crash_error_prefix(err, "xen: domain_list");
	f->domains = calloc(XEN_FILTER_MAX_DOMAINS, sizeof(*f->domains));
	if (!f->domains)
		return &crash_enomem;
	while (d) {
		if (f->domain_count == XEN_FILTER_MAX_DOMAINS)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "xen: domain_list has more than "
						  "%d entries (a loop?)",
						  XEN_FILTER_MAX_DOMAINS);
		if (d < DIRECTMAP_START)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "xen: domain_list entry 0x%" PRIx64
						  " is not in Xen's direct map", d);
		uint8_t b[2];
		err = xen_read_xv(f->xen, d + id_off, b, 2);
		if (!err)
			err = read_ptr(f->xen, d + next_off, &list);
		if (err)
			return crash_error_prefix(err, "xen: struct domain at 0x%"
						  PRIx64, d);
		f->domains[f->domain_count++] = (struct domain_entry){
			d - DIRECTMAP_START, rd_u16(xen_format(f->xen), b)
		};
		d = list;
	}
	// The system domains are not on domain_list; their frames are Xen's.
	static const char *const system[2] = { "dom_xen", "dom_io" };
	for (int i = 0; i < 2 && f->domain_count < XEN_FILTER_MAX_DOMAINS; i++) {
		uint64_t var, dom;
		struct crash_error *e2 = vmcoreinfo_symbol(vi, system[i], &var);
		if (!e2)
			e2 = read_ptr(f->xen, var, &dom);
		if (e2 || dom < DIRECTMAP_START) {
			crash_error_destroy(e2);
			continue;
		}
		f->domains[f->domain_count++] = (struct domain_entry){
			dom - DIRECTMAP_START, DOMID_FIRST_RESERVED
		};
		f->system_count++;
	}
	return NULL;
}

/* The domain owning a frame, by its struct domain's machine address. */
static const struct domain_entry *owner(const struct xen_filter *f,
					uint64_t maddr)
{
	for (size_t i = 0; i < f->domain_count; i++)
		if (f->domains[i].maddr == maddr)
			return &f->domains[i];
	return NULL;
}

static bool is_free(const struct layout *l, uint64_t count_info)
{
	return (count_info >> l->state_shift & 3) == 3;
}

/*
 * (5) Is frame_table indexed by machine frame?  Sample dom0's own frames
 * through its p2m (which shares no data with frame_table) and read their
 * page_info: each must be allocated to dom0.  Under pdx compression the
 * index is not the mfn, the page_info read belongs to another frame, and
 * the free/domU decisions would drop frames blindly, dom0's among them.
 */
static struct crash_error *check_frame_index(struct xen_filter *f)
{
	const struct domain_entry *dom0 = NULL;
	for (size_t i = 0; i < f->domain_count - f->system_count; i++)
		if (f->domains[i].id == 0)
			dom0 = &f->domains[i];
	if (!dom0)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "xen: no domain 0 on domain_list");
	uint64_t mfns[INDEX_SAMPLES];
	size_t n = 0;
	struct crash_error *err = xen_p2m_own_frames(f->xen, mfns, INDEX_SAMPLES, &n);
	if (err)
		return crash_error_prefix(err, "xen: dom0's p2m");
	unsigned sampled = 0, wrong = 0;
	uint8_t pi[PAGE_INFO_MAX];
	for (size_t i = 0; i < n; i++) {
		if (mfns[i] >= f->max_page)
			continue;
		err = xen_read_xv(f->xen, f->frame_table + mfns[i] * f->page_info_size,
				  pi, (size_t)f->page_info_size);
		if (err) {
			crash_error_destroy(err);
			continue;
		}
		uint64_t ci = rd_u64(xen_format(f->xen), pi + f->count_off);
		uint64_t pdx = rd_u32(xen_format(f->xen), pi + f->domain_off);
		sampled++;
		wrong += !(ci & PGC_ALLOCATED) || pdx * XEN_PAGE_SIZE != dom0->maddr;
	}
	// A few may be special (grant or MMIO frames in the p2m); many may not.
	if (sampled == 0 || wrong > sampled / 16)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "xen: frame_table is not indexed by machine frame "
					  "as -X assumes (pdx compression?): %u of %u sampled "
					  "dom0 frames are not dom0's there",
					  wrong, sampled);
	return NULL;
}

/* Read page_info of frames [start, start + n) into f->buf. */
static struct crash_error *read_infos(struct xen_filter *f, uint64_t start,
				      uint64_t n)
{
	return xen_read_xv(f->xen, f->frame_table + start * f->page_info_size,
			   f->buf, (size_t)(n * f->page_info_size));
}


struct crash_error *xen_filter_create(const struct xen *xen,
				      struct xen_filter **ret)
{
	const struct vmcoreinfo *vi = xen_vmcoreinfo(xen);
	if (!vi)
		return crash_error_create(CRASH_ERR_NOT_FOUND,
					  "no VMCOREINFO_XEN note");
	struct xen_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return &crash_enomem;
	f->xen = xen;
	uint64_t ft_sym, mp_sym;
	struct crash_error *err = sym(vi, "frame_table", &ft_sym);
	if (!err)
		err = sym(vi, "max_page", &mp_sym);
	if (!err)
		err = vmcoreinfo_size(vi, "page_info", &f->page_info_size);
	if (!err)
		err = vmcoreinfo_offset(vi, "page_info", "count_info",
					&f->count_off);
	if (!err)
		err = vmcoreinfo_offset(vi, "page_info", "_domain",
					&f->domain_off);
	if (!err && (f->page_info_size > PAGE_INFO_MAX ||
		     f->count_off + 8 > f->page_info_size ||
		     f->domain_off + 4 > f->page_info_size))
		err = crash_error_create(CRASH_ERR_CORRUPT,
					 "xen: SIZE(page_info)=%" PRIu64
					 " does not hold count_info at %" PRIu64
					 " and _domain at %" PRIu64,
					 f->page_info_size, f->count_off,
					 f->domain_off);
	// SYMBOL(frame_table) is the pointer variable _frame_table on x86
	// (frame_table itself is a macro there).
	if (!err)
		err = read_ptr(xen, ft_sym, &f->frame_table);
	if (!err)
		err = read_ptr(xen, mp_sym, &f->max_page);
	if (!err && f->max_page > xen_mach_end(xen) / XEN_PAGE_SIZE + 1)
		f->max_page = xen_mach_end(xen) / XEN_PAGE_SIZE + 1;
	if (!err)
		err = read_domains(f, vi);
	if (!err)
		err = check_frame_index(f);
	if (!err) {
		f->buf = malloc(FRAMES_PER_READ * f->page_info_size);
		if (!f->buf)
			err = &crash_enomem;
	}
	// (2): count free frames under both layouts.
	uint64_t free_count[2] = {0};
	for (uint64_t s = 0; !err && s < f->max_page; s += FRAMES_PER_READ) {
		uint64_t n = f->max_page - s < FRAMES_PER_READ
				     ? f->max_page - s : FRAMES_PER_READ;
		struct crash_error *e2 = read_infos(f, s, n);
		if (e2) {
			crash_error_destroy(e2);
			continue;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t ci = rd_u64(xen_format(xen),
					     f->buf + i * f->page_info_size +
						     f->count_off);
			for (int l = 0; l < 2; l++)
				free_count[l] += is_free(&layouts[l], ci);
		}
	}
	if (err) {
		xen_filter_destroy(f);
		return err;
	}
	const struct xen_crash_info *ci = xen_crash_info(xen);
	bool new_by_version = !ci || ci->major > 4 ||
			      (ci->major == 4 && ci->minor >= 17);
	if (free_count[0] != free_count[1])
		f->layout = &layouts[free_count[0] > free_count[1] ? 0 : 1];
	else
		f->layout = &layouts[new_by_version ? 0 : 1];
	f->counts.layout = f->layout->name;
	f->counts.domains = (unsigned)(f->domain_count - f->system_count);
	*ret = f;
	return NULL;
}

struct crash_error *xen_filter_window(struct xen_filter *f, uint64_t start,
				      uint64_t count, uint8_t *keep)
{
	for (uint64_t s = start; s < start + count && s < f->max_page;
	     s += FRAMES_PER_READ) {
		uint64_t n = start + count - s;
		if (n > FRAMES_PER_READ)
			n = FRAMES_PER_READ;
		if (n > f->max_page - s)
			n = f->max_page - s;
		struct crash_error *err = read_infos(f, s, n);
		if (err) {
			if (err->code != CRASH_ERR_FAULT)
				return err;
			crash_error_destroy(err);
			f->counts.unreadable += n;
			continue;
		}
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *pi = f->buf + i * f->page_info_size;
			uint64_t ci = rd_u64(xen_format(f->xen), pi + f->count_off);
			bool drop = false;
			if (is_free(f->layout, ci)) {
				drop = true;
				f->counts.free++;
			} else if (ci & PGC_ALLOCATED) {
				uint64_t pdx = rd_u32(xen_format(f->xen),
						      pi + f->domain_off);
				const struct domain_entry *d =
					owner(f, pdx * XEN_PAGE_SIZE);
				if (d && d->id != 0 && d->id < DOMID_FIRST_RESERVED) {
					drop = true;
					f->counts.domu++;
				} else if (!d) {
					f->counts.unknown_owner++;
				}
			}
			uint64_t bit = s + i - start;
			if (drop)
				keep[bit / 8] &= (uint8_t)~(1u << (bit % 8));
		}
	}
	return NULL;
}

void xen_filter_counts(const struct xen_filter *f,
		       struct xen_filter_counts *ret)
{
	*ret = f->counts;
}

void xen_filter_destroy(struct xen_filter *f)
{
	if (!f)
		return;
	free(f->domains);
	free(f->buf);
	free(f);
}
