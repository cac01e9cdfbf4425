/*
 * xen.c - see xen.h for the structures, address spaces and validity rules.
 *
 * Numbers hard-coded here and where they come from:
 *  - XEN_VIRT_START 0xffff82d040000000 (Xen 4.14+; 0xffff82d080000000
 *    before, xen/arch/x86/include/asm/config.h), 1 GiB; which one holds is
 *    checked by walking SYMBOL(pgd_l4) (idle_pg_table) through itself.
 *  - DIRECTMAP_VIRT_START 0xffff830000000000 (all 64-bit Xen), up to
 *    0xffff880000000000.
 *  - p2m entry bits: INVALID_P2M_ENTRY ~0, FOREIGN_FRAME_BIT 1 << 63,
 *    IDENTITY_FRAME_BIT 1 << 62 (Linux arch/x86/include/asm/xen/page.h).
 */
#include "xen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elf.h>

static const uint64_t XEN_VIRT_STARTS[] = {
	UINT64_C(0xffff82d040000000),	/* 4.14+ */
	UINT64_C(0xffff82d080000000),	/* before */
};
static const uint64_t XEN_IMAGE_SIZE = UINT64_C(1) << 30;
static const uint64_t XEN_DIRECTMAP_START = UINT64_C(0xffff830000000000);
static const uint64_t XEN_DIRECTMAP_END = UINT64_C(0xffff880000000000);

static const uint64_t P2M_INVALID = UINT64_MAX;
static const uint64_t P2M_FOREIGN_BIT = UINT64_C(1) << 63;
static const uint64_t P2M_IDENTITY_BIT = UINT64_C(1) << 62;

static const uint64_t PTE_PRESENT = 1, PTE_PSE = 1 << 7;
static const uint64_t PTE_ADDR_MASK = UINT64_C(0x000ffffffffff000);

/* Scans read machine memory in chunks this big (plus an overlap). */
enum { SCAN_CHUNK = 1 << 20, SCAN_OVERLAP = 64, CONRING_BLOCK = 16384 };

struct xen {
	struct xen_reader r;
	uint64_t mach_end;
	bool has_info;
	struct xen_crash_info info;
	struct vmcoreinfo *vi;
	uint64_t cr3[XEN_MAX_CPUS];
	size_t cr3_count;
	char version[200];
	/* Xen virtual */
	bool has_image;
	uint64_t virt_start;
	bool has_pgd;
	uint64_t pgd_mach;
	char xv_method[200];
};

static void xen_warn(const struct xen *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void xen_warn(const struct xen *x, const char *fmt, ...)
{
	if (!x->r.warn)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x->r.warn(x->r.arg, line);
}

bool xen_notes_present(const struct xen_note *notes, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(notes[i].name, "Xen") == 0 ||
		    strcmp(notes[i].name, "VMCOREINFO_XEN") == 0)
			return true;
	return false;
}

/* Escape dump bytes for a message or the version: printable ASCII kept. */
static void escape_bytes(const uint8_t *p, size_t n, char *out, size_t out_size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && p[i] && o + 5 < out_size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, out_size - o, "\\x%02x",
					      p[i]);
	}
	out[o] = '\0';
}

static struct crash_error *parse_crash_info(struct xen *x,
					    const struct xen_note *n)
{
	const struct rd_format *f = x->r.format;
	unsigned L = f->ptr_size;
	// valid (1): 9 longs (v1) or 10 (v2)
	if (n->desc_size != 9 * L && n->desc_size != 10 * L)
		return crash_error_create(
			CRASH_ERR_CORRUPT,
			"xen: CRASH_INFO note is %" PRIu32 " bytes, not %u "
			"(crash_xen_info_t v1) or %u (v2)",
			n->desc_size, 9 * L, 10 * L);
	struct xen_crash_info *i = &x->info;
	const uint8_t *d = n->desc;
	i->version = n->desc_size == 10 * L ? 2 : 1;
	i->major = rd_ptr(f, d);
	i->minor = rd_ptr(f, d + L);
	i->extra_version_mach = rd_ptr(f, d + 2 * L);
	i->changeset_mach = rd_ptr(f, d + 3 * L);
	i->compiler_mach = rd_ptr(f, d + 4 * L);
	i->compile_date_mach = rd_ptr(f, d + 5 * L);
	i->compile_time_mach = rd_ptr(f, d + 6 * L);
	i->tainted = rd_ptr(f, d + 7 * L);
	if (i->version == 2) {
		i->has_xen_phys_start = true;
		i->xen_phys_start = rd_ptr(f, d + 8 * L);
		i->p2m_frame_list_list_mfn = rd_ptr(f, d + 9 * L);
	} else {
		i->p2m_frame_list_list_mfn = rd_ptr(f, d + 8 * L);
	}
	if (i->major >= 100)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "xen: CRASH_INFO major version %" PRIu64
					  " is not a Xen version",
					  i->major);
	x->has_info = true;
	return NULL;
}

/* "4.17" + the extra version string, read at its machine address. */
static void build_version(struct xen *x)
{
	if (!x->has_info) {
		snprintf(x->version, sizeof(x->version), "unknown");
		return;
	}
	uint8_t extra[65] = {0};
	char esc[100];
	esc[0] = '\0';
	struct crash_error *err = NULL;
	if (x->info.extra_version_mach)
		err = x->r.read_mach(x->r.arg, x->info.extra_version_mach,
				     extra, 64);
	if (!err && x->info.extra_version_mach)
		escape_bytes(extra, 64, esc, sizeof(esc));
	crash_error_destroy(err);
	snprintf(x->version, sizeof(x->version), "%" PRIu64 ".%" PRIu64 "%s",
		 x->info.major, x->info.minor, esc);
}

static struct crash_error *read_u64_mach(const struct xen *x, uint64_t maddr,
					 uint64_t *ret)
{
	uint8_t b[8];
	struct crash_error *err = x->r.read_mach(x->r.arg, maddr, b, 8);
	if (err)
		return err;
	*ret = rd_u64(x->r.format, b);
	return NULL;
}

static bool canonical(uint64_t va, unsigned levels)
{
	unsigned top = levels == 5 ? 56 : 47;
	uint64_t hi = va >> top;
	return hi == 0 || hi == (UINT64_MAX >> top);
}

struct crash_error *xen_walk_mach(const struct xen *x, uint64_t root_mach,
				  unsigned int levels, uint64_t vaddr,
				  uint64_t *maddr_ret)
{
	static const char *const names[] = { "", "pte", "pmd", "pud", "p4d",
					     "pgd" };
	if (levels != 5)
		levels = 4;
	if (!canonical(vaddr, levels))
		return crash_error_fault(vaddr,
					 "xen: page walk of 0x%016" PRIx64
					 ": not a canonical address",
					 vaddr);
	uint64_t table = root_mach & PTE_ADDR_MASK;
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned index = (unsigned)(vaddr >> shift) & 511;
		const char *name = level == levels ? "pgd" : names[level];
		uint64_t entry;
		struct crash_error *err =
			read_u64_mach(x, table + 8 * index, &entry);
		if (err)
			return crash_error_prefix(
				err,
				"xen: page walk of 0x%016" PRIx64
				": reading %s[%u] at machine 0x%" PRIx64,
				vaddr, name, index, table + 8 * index);
		if (!(entry & PTE_PRESENT))
			return crash_error_fault(
				vaddr,
				"xen: page walk of 0x%016" PRIx64
				": %s[%u] = 0x%016" PRIx64 " is not present",
				vaddr, name, index, entry);
		if (level == 1 || ((level == 2 || level == 3) &&
				   (entry & PTE_PSE))) {
			uint64_t page_mask = (UINT64_C(1) << shift) - 1;
			*maddr_ret = (entry & PTE_ADDR_MASK & ~page_mask) |
				     (vaddr & page_mask);
			return NULL;
		}
		if (entry & PTE_PSE)
			return crash_error_fault(
				vaddr,
				"xen: page walk of 0x%016" PRIx64
				": %s[%u] = 0x%016" PRIx64
				" sets the page-size bit, reserved at this level",
				vaddr, name, index, entry);
		table = entry & PTE_ADDR_MASK;
	}
	return crash_error_fault(vaddr, "xen: page walk of 0x%016" PRIx64
				 ": no level", vaddr);
}

/* Choose XEN_VIRT_START: the one under which pgd_l4 maps itself. */
static void init_xen_virtual(struct xen *x)
{
	uint64_t pgd_xv = 0;
	bool has_pgd_sym = false;
	if (x->vi) {
		struct crash_error *err =
			vmcoreinfo_symbol(x->vi, "pgd_l4", &pgd_xv);
		has_pgd_sym = !err;
		crash_error_destroy(err);
	}
	if (!x->has_info || !x->info.has_xen_phys_start) {
		snprintf(x->xv_method, sizeof(x->xv_method),
			 "direct map only (no xen_phys_start in CRASH_INFO)");
		return;
	}
	x->has_image = true;
	x->virt_start = XEN_VIRT_STARTS[0];
	for (size_t i = 0; has_pgd_sym && i < 2; i++) {
		uint64_t start = XEN_VIRT_STARTS[i];
		if (pgd_xv < start || pgd_xv - start >= XEN_IMAGE_SIZE)
			continue;
		uint64_t m = pgd_xv - start + x->info.xen_phys_start, got;
		struct crash_error *err = xen_walk_mach(x, m, 4, pgd_xv, &got);
		bool ok = !err && got == m;
		crash_error_destroy(err);
		if (ok) {
			x->virt_start = start;
			x->has_pgd = true;
			x->pgd_mach = m;
			snprintf(x->xv_method, sizeof(x->xv_method),
				 "image at 0x%" PRIx64 " -> machine 0x%" PRIx64
				 ", checked by walking pgd_l4",
				 start, x->info.xen_phys_start);
			return;
		}
	}
	snprintf(x->xv_method, sizeof(x->xv_method),
		 "image at 0x%" PRIx64 " -> machine 0x%" PRIx64
		 " (not checked: %s)",
		 x->virt_start, x->info.xen_phys_start,
		 has_pgd_sym ? "pgd_l4 does not map itself"
			     : "no SYMBOL(pgd_l4)");
}

struct crash_error *xen_create(const struct xen_reader *reader,
			       struct xen **ret)
{
	if (!xen_notes_present(reader->notes, reader->note_count))
		return &crash_not_found;
	if (reader->machine != EM_X86_64)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "xen: e_machine %u: only x86_64 Xen "
					  "cores are supported",
					  (unsigned)reader->machine);
	struct xen *x = calloc(1, sizeof(*x));
	if (!x)
		return &crash_enomem;
	x->r = *reader;
	x->r.notes = NULL;
	x->r.note_count = 0;
	x->r.ranges = NULL;
	if (reader->range_count) {
		struct xlat_range *copy =
			calloc(reader->range_count, sizeof(*copy));
		if (!copy) {
			free(x);
			return &crash_enomem;
		}
		memcpy(copy, reader->ranges,
		       reader->range_count * sizeof(*copy));
		x->r.ranges = copy;
	}
	for (size_t i = 0; i < reader->range_count; i++) {
		uint64_t end;
		if (!__builtin_add_overflow(reader->ranges[i].paddr,
					    reader->ranges[i].size, &end) &&
		    end > x->mach_end)
			x->mach_end = end;
	}

	struct crash_error *err = NULL;
	bool seen_info = false;
	for (size_t i = 0; i < reader->note_count && !err; i++) {
		const struct xen_note *n = &reader->notes[i];
		if (strcmp(n->name, "Xen") == 0 &&
		    n->type == XEN_ELFNOTE_CRASH_INFO) {
			if (seen_info) {
				xen_warn(x, "xen: a second CRASH_INFO note is "
					 "ignored");
				continue;
			}
			seen_info = true;
			err = parse_crash_info(x, n);
		} else if (strcmp(n->name, "Xen") == 0 &&
			   n->type == XEN_ELFNOTE_CRASH_REGS) {
			unsigned L = reader->format->ptr_size;
			if (n->desc_size < 4 * L) {
				xen_warn(x, "xen: CRASH_REGS note of %" PRIu32
					 " bytes is shorter than 4 longs",
					 n->desc_size);
				continue;
			}
			if (x->cr3_count < XEN_MAX_CPUS)
				x->cr3[x->cr3_count++] =
					rd_ptr(reader->format, n->desc + 2 * L);
		} else if (strcmp(n->name, "VMCOREINFO_XEN") == 0 && !x->vi) {
			err = vmcoreinfo_parse((const char *)n->desc,
					       n->desc_size, &x->vi);
			if (err)
				err = crash_error_prefix(err,
							 "xen: VMCOREINFO_XEN");
		}
	}
	if (err) {
		xen_destroy(x);
		return err;
	}
	build_version(x);
	init_xen_virtual(x);
	*ret = x;
	return NULL;
}

void xen_destroy(struct xen *x)
{
	if (!x)
		return;
	vmcoreinfo_destroy(x->vi);
	free((void *)x->r.ranges);
	free(x);
}

const struct xen_crash_info *xen_crash_info(const struct xen *x)
{
	return x->has_info ? &x->info : NULL;
}

const struct vmcoreinfo *xen_vmcoreinfo(const struct xen *x)
{
	return x->vi;
}

size_t xen_cr3_count(const struct xen *x)
{
	return x->cr3_count;
}

uint64_t xen_cr3(const struct xen *x, size_t index)
{
	return index < x->cr3_count ? x->cr3[index] : 0;
}

const char *xen_version(const struct xen *x)
{
	return x->version;
}

const struct rd_format *xen_format(const struct xen *x)
{
	return x->r.format;
}

uint64_t xen_mach_end(const struct xen *x)
{
	return x->mach_end;
}

const char *xen_xv_method(const struct xen *x)
{
	return x->xv_method;
}

/* ---- p2m ---------------------------------------------------------------- */

/* Entry @index of the p2m page at machine frame @mfn; valid (2). */
static struct crash_error *p2m_entry(const struct xen *x, uint64_t mfn,
				     unsigned index, const char *level,
				     uint64_t *ret)
{
	uint64_t frames = x->mach_end / XEN_PAGE_SIZE;
	if (mfn >= frames)
		return crash_error_create(
			CRASH_ERR_CORRUPT,
			"xen: p2m %s frame 0x%" PRIx64
			" is outside the dump's machine memory (%" PRIu64
			" frames)",
			level, mfn, frames);
	struct crash_error *err =
		read_u64_mach(x, mfn * XEN_PAGE_SIZE + 8 * (uint64_t)index,
			      ret);
	if (err)
		return crash_error_prefix(err, "xen: p2m %s frame 0x%" PRIx64,
					  level, mfn);
	return NULL;
}

/* The machine frame of the p2m leaf page covering @pfn. */
static struct crash_error *p2m_leaf_mfn(const struct xen *x, uint64_t pfn,
					uint64_t *ret)
{
	uint64_t list_mfn, leaf_mfn;
	struct crash_error *err =
		p2m_entry(x, x->info.p2m_frame_list_list_mfn,
			  (unsigned)(pfn / (XEN_P2M_PER_PAGE * XEN_P2M_PER_PAGE)),
			  "frame-list-list", &list_mfn);
	if (err)
		return err;
	if (list_mfn == P2M_INVALID)
		return crash_error_fault(pfn, "xen: dom0 pfn 0x%" PRIx64
					 ": frame-list-list entry is INVALID",
					 pfn);
	err = p2m_entry(x, list_mfn,
			(unsigned)(pfn / XEN_P2M_PER_PAGE) % XEN_P2M_PER_PAGE,
			"frame-list", &leaf_mfn);
	if (err)
		return err;
	if (leaf_mfn == P2M_INVALID)
		return crash_error_fault(pfn, "xen: dom0 pfn 0x%" PRIx64
					 ": frame-list entry is INVALID",
					 pfn);
	*ret = leaf_mfn;
	return NULL;
}

/* Decode one leaf entry for @pfn. */
static struct crash_error *p2m_decode(uint64_t pfn, uint64_t entry,
				      uint64_t *mfn_ret,
				      enum xen_p2m_kind *kind_ret)
{
	enum xen_p2m_kind kind;
	uint64_t mfn;
	if (entry == P2M_INVALID) {
		if (kind_ret)
			*kind_ret = XEN_P2M_MISSING;
		return crash_error_fault(pfn * XEN_PAGE_SIZE,
					 "xen: dom0 pfn 0x%" PRIx64
					 " has no machine frame (p2m entry "
					 "INVALID)",
					 pfn);
	}
	if (entry & P2M_IDENTITY_BIT) {
		// The shared identity page need not hold this pfn: the bit
		// alone says machine == pseudo-physical.
		kind = XEN_P2M_IDENTITY;
		mfn = pfn;
	} else {
		kind = entry & P2M_FOREIGN_BIT ? XEN_P2M_FOREIGN : XEN_P2M_MFN;
		mfn = entry & ~(P2M_FOREIGN_BIT | P2M_IDENTITY_BIT);
	}
	*mfn_ret = mfn;
	if (kind_ret)
		*kind_ret = kind;
	return NULL;
}

struct crash_error *xen_pfn_to_mfn(const struct xen *x, uint64_t pfn,
				   uint64_t *mfn_ret,
				   enum xen_p2m_kind *kind_ret)
{
	if (!x->has_info)
		return &crash_not_found;
	// A PVH or HVM dom0 has no PV p2m: Xen writes 0 (its p2m lives in
	// Xen's own EPT/NPT tables, which we do not read).
	if (x->info.p2m_frame_list_list_mfn == 0)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "xen: CRASH_INFO dom0_pfn_to_mfn_frame_"
					  "list_list is 0: dom0 has no PV p2m "
					  "(a PVH dom0 is not supported)");
	if (pfn >= XEN_P2M_MAX_PFN)
		return crash_error_fault(pfn * XEN_PAGE_SIZE,
					 "xen: dom0 pfn 0x%" PRIx64
					 " is above the p2m's 512^3 frames",
					 pfn);
	uint64_t leaf = 0, entry = 0;
	struct crash_error *err = p2m_leaf_mfn(x, pfn, &leaf);
	if (!err)
		err = p2m_entry(x, leaf, (unsigned)(pfn % XEN_P2M_PER_PAGE),
				"leaf", &entry);
	if (err)
		return err;
	return p2m_decode(pfn, entry, mfn_ret, kind_ret);
}

struct crash_error *xen_read_dom0_phys(const struct xen *x, uint64_t paddr,
				       void *buf, size_t size)
{
	uint8_t *out = buf;
	size_t done = 0;
	if (size > 0 && UINT64_MAX - paddr < size - 1)
		return crash_error_fault(paddr, "xen: reading %zu bytes at dom0 "
					 "0x%" PRIx64 " wraps", size, paddr);
	while (done < size) {
		uint64_t pa = paddr + done;
		uint64_t in_page = XEN_PAGE_SIZE - pa % XEN_PAGE_SIZE;
		size_t chunk = in_page < size - done ? (size_t)in_page
						     : size - done;
		uint64_t mfn;
		struct crash_error *err =
			xen_pfn_to_mfn(x, pa / XEN_PAGE_SIZE, &mfn, NULL);
		if (err)
			return err;
		if (mfn >= UINT64_MAX / XEN_PAGE_SIZE)
			return crash_error_fault(pa, "xen: dom0 0x%" PRIx64
						 ": mfn 0x%" PRIx64
						 " out of range", pa, mfn);
		uint64_t ma = mfn * XEN_PAGE_SIZE + pa % XEN_PAGE_SIZE;
		err = x->r.read_mach(x->r.arg, ma, out + done, chunk);
		if (err) {
			if (err->code != CRASH_ERR_FAULT)
				return crash_error_prefix(
					err, "dom0 pseudo-physical 0x%" PRIx64,
					pa);
			struct crash_error *fault = crash_error_fault(
				pa,
				"dom0 pseudo-physical 0x%" PRIx64
				" (machine 0x%" PRIx64 "): %s",
				pa, ma, err->message);
			crash_error_destroy(err);
			return fault;
		}
		done += chunk;
	}
	return NULL;
}

/* Leaf pages already summarised by xen_p2m_stats(). */
struct leaf_seen {
	uint64_t mfn;		/* UINT64_MAX: empty slot */
	bool has_mfns;		/* some entry holds a machine frame */
	uint32_t identity;	/* identity entries in the page */
};

/*
 * Own frames of the p2m walk, evenly spaced: every @every-th into @mfns;
 * when @max are held, every other one is dropped and @every doubles, so
 * one walk ends with every k-th frame, k the smallest power of two for
 * which they fit.
 */
struct own_sample {
	uint64_t every;		/* 0: no sampling */
	uint64_t seen;		/* XEN_P2M_MFN entries so far */
	uint64_t *mfns;
	size_t max, count;
};

static void own_sample_add(struct own_sample *s, uint64_t mfn)
{
	uint64_t index = s->seen++;
	if (index % s->every != 0)
		return;
	// Bounded: index < 512^3 has fewer than 27 factors of two.
	while (s->count == s->max) {
		for (size_t i = 0; 2 * i < s->count; i++)
			s->mfns[i] = s->mfns[2 * i];
		s->count = (s->count + 1) / 2;
		s->every *= 2;
		if (index % s->every != 0)
			return;
	}
	s->mfns[s->count++] = mfn;
}

static struct crash_error *p2m_walk(const struct xen *x,
				    struct xen_p2m_stats *ret,
				    struct own_sample *sample);

struct crash_error *xen_p2m_stats(const struct xen *x,
				  struct xen_p2m_stats *ret)
{
	struct own_sample none = {0};
	return p2m_walk(x, ret, &none);
}

struct crash_error *xen_p2m_own_frames(const struct xen *x, uint64_t *mfns,
				       size_t max, size_t *count_ret)
{
	struct own_sample sample = {
		.every = max ? 1 : 0, .mfns = mfns, .max = max,
	};
	struct xen_p2m_stats st;
	struct crash_error *err = p2m_walk(x, &st, &sample);
	*count_ret = sample.count;
	return err;
}

/*
 * Walk every p2m entry once (the shared identity and missing leaves once
 * per distinct page); counts to *@ret, own frames sampled into @sample.
 */
static struct crash_error *p2m_walk(const struct xen *x,
				    struct xen_p2m_stats *ret,
				    struct own_sample *sample)
{
	if (!x->has_info)
		return &crash_not_found;
	const struct rd_format *f = x->r.format;
	uint64_t frames = x->mach_end / XEN_PAGE_SIZE;
	// A real p2m has at most one leaf page per 512 machine frames plus
	// the shared ones; there are 512 * 512 leaf slots at all.
	uint64_t max_leaves = frames / XEN_P2M_PER_PAGE + 1024;
	if (max_leaves > XEN_P2M_PER_PAGE * XEN_P2M_PER_PAGE)
		max_leaves = XEN_P2M_PER_PAGE * XEN_P2M_PER_PAGE;
	size_t table_size = 1;
	while (table_size < 2 * max_leaves)
		table_size *= 2;
	struct leaf_seen *seen = malloc(table_size * sizeof(*seen));
	uint8_t *top = malloc(XEN_PAGE_SIZE), *mid = malloc(XEN_PAGE_SIZE),
		*leaf = malloc(XEN_PAGE_SIZE);
	struct crash_error *err = NULL;
	if (!seen || !top || !mid || !leaf) {
		err = &crash_enomem;
		goto out;
	}
	for (size_t i = 0; i < table_size; i++)
		seen[i].mfn = UINT64_MAX;
	struct xen_p2m_stats st = {0};
	uint64_t fll = x->info.p2m_frame_list_list_mfn;
	if (fll == 0) {
		uint64_t mfn;
		err = xen_pfn_to_mfn(x, 0, &mfn, NULL);
		goto out;
	}
	if (fll >= frames) {
		err = crash_error_create(
			CRASH_ERR_CORRUPT,
			"xen: p2m frame-list-list frame 0x%" PRIx64
			" is outside the dump's machine memory (%" PRIu64
			" frames)",
			fll, frames);
		goto out;
	}
	err = x->r.read_mach(x->r.arg, fll * XEN_PAGE_SIZE, top, XEN_PAGE_SIZE);
	if (err)
		goto out;
	bool in_run = false;
	uint64_t run_delta = 0, last_pfn = 0;
	for (unsigned t = 0; t < XEN_P2M_PER_PAGE; t++) {
		uint64_t list_mfn = rd_u64(f, top + 8 * t);
		if (list_mfn == P2M_INVALID)
			continue;
		if (list_mfn >= frames) {
			err = crash_error_create(
				CRASH_ERR_CORRUPT,
				"xen: p2m frame-list-list[%u] = 0x%" PRIx64
				" is outside the dump's machine memory",
				t, list_mfn);
			goto out;
		}
		err = x->r.read_mach(x->r.arg, list_mfn * XEN_PAGE_SIZE, mid,
				     XEN_PAGE_SIZE);
		if (err)
			goto out;
		for (unsigned m = 0; m < XEN_P2M_PER_PAGE; m++) {
			uint64_t leaf_mfn = rd_u64(f, mid + 8 * m);
			uint64_t base = ((uint64_t)t * XEN_P2M_PER_PAGE + m) *
					XEN_P2M_PER_PAGE;
			if (leaf_mfn == P2M_INVALID)
				continue;
			if (leaf_mfn >= frames) {
				err = crash_error_create(
					CRASH_ERR_CORRUPT,
					"xen: p2m frame-list 0x%" PRIx64
					"[%u] = 0x%" PRIx64
					" is outside the dump's machine memory",
					list_mfn, m, leaf_mfn);
				goto out;
			}
			size_t h = (size_t)(leaf_mfn * UINT64_C(0x9e3779b97f4a7c15) >>
					    32) & (table_size - 1);
			while (seen[h].mfn != UINT64_MAX &&
			       seen[h].mfn != leaf_mfn)
				h = (h + 1) & (table_size - 1);
			if (seen[h].mfn == leaf_mfn && !seen[h].has_mfns) {
				st.identity_count += seen[h].identity;
				continue;
			}
			if (seen[h].mfn == UINT64_MAX) {
				if (st.leaf_pages >= max_leaves) {
					err = crash_error_create(
						CRASH_ERR_CORRUPT,
						"xen: the p2m lists more than "
						"%" PRIu64 " distinct pages "
						"for %" PRIu64 " machine frames",
						max_leaves, frames);
					goto out;
				}
				st.leaf_pages++;
				seen[h].mfn = leaf_mfn;
			}
			err = x->r.read_mach(x->r.arg, leaf_mfn * XEN_PAGE_SIZE,
					     leaf, XEN_PAGE_SIZE);
			if (err)
				goto out;
			uint32_t identity = 0;
			bool has_mfns = false;
			for (unsigned e = 0; e < XEN_P2M_PER_PAGE; e++) {
				uint64_t pfn = base + e, mfn = 0;
				enum xen_p2m_kind kind;
				struct crash_error *de = p2m_decode(
					pfn, rd_u64(f, leaf + 8 * e), &mfn,
					&kind);
				if (de) {
					crash_error_destroy(de);
					in_run = false;
					continue;
				}
				if (kind == XEN_P2M_IDENTITY) {
					identity++;
					in_run = false;
					continue;
				}
				has_mfns = true;
				st.mfn_count++;
				if (kind == XEN_P2M_MFN && sample->every)
					own_sample_add(sample, mfn);
				st.max_pfn = pfn + 1;
				uint64_t delta = mfn - pfn;
				if (!in_run || delta != run_delta ||
				    pfn != last_pfn + 1)
					st.run_count++;
				in_run = true;
				run_delta = delta;
				last_pfn = pfn;
			}
			seen[h].has_mfns = has_mfns;
			seen[h].identity = identity;
			st.identity_count += identity;
			// Each machine frame belongs to one pfn at most.
			if (st.mfn_count > frames) {
				err = crash_error_create(
					CRASH_ERR_CORRUPT,
					"xen: the p2m maps more than the %" PRIu64
					" machine frames of the dump",
					frames);
				goto out;
			}
		}
	}
	*ret = st;
out:
	free(seen);
	free(top);
	free(mid);
	free(leaf);
	return err;
}

struct crash_error *xen_dom0_walk(const struct xen *x, uint64_t pgt_phys,
				  unsigned int levels, uint64_t vaddr,
				  uint64_t *maddr_ret)
{
	uint64_t mfn;
	struct crash_error *err =
		xen_pfn_to_mfn(x, pgt_phys / XEN_PAGE_SIZE, &mfn, NULL);
	if (err)
		return crash_error_prefix(err, "xen: dom0 page table at "
					  "pseudo-physical 0x%" PRIx64,
					  pgt_phys);
	return xen_walk_mach(x, mfn * XEN_PAGE_SIZE + pgt_phys % XEN_PAGE_SIZE,
			     levels, vaddr, maddr_ret);
}

/* ---- Xen virtual ------------------------------------------------------- */

struct crash_error *xen_xv_to_mach(const struct xen *x, uint64_t vaddr,
				   uint64_t *ret)
{
	if (x->has_image && vaddr >= x->virt_start &&
	    vaddr - x->virt_start < XEN_IMAGE_SIZE) {
		*ret = vaddr - x->virt_start + x->info.xen_phys_start;
		return NULL;
	}
	if (vaddr >= XEN_DIRECTMAP_START && vaddr < XEN_DIRECTMAP_END) {
		*ret = vaddr - XEN_DIRECTMAP_START;
		return NULL;
	}
	if (x->has_pgd)
		return xen_walk_mach(x, x->pgd_mach, 4, vaddr, ret);
	return crash_error_fault(vaddr,
				 "xen: Xen virtual 0x%" PRIx64
				 " is neither in the image nor the direct map, "
				 "and pgd_l4 is unknown",
				 vaddr);
}

struct crash_error *xen_read_xv(const struct xen *x, uint64_t vaddr, void *buf,
				size_t size)
{
	uint8_t *out = buf;
	size_t done = 0;
	if (size > 0 && UINT64_MAX - vaddr < size - 1)
		return crash_error_fault(vaddr, "xen: reading %zu bytes at 0x%"
					 PRIx64 " wraps", size, vaddr);
	while (done < size) {
		uint64_t va = vaddr + done, ma;
		uint64_t in_page = XEN_PAGE_SIZE - va % XEN_PAGE_SIZE;
		size_t chunk = in_page < size - done ? (size_t)in_page
						     : size - done;
		struct crash_error *err = xen_xv_to_mach(x, va, &ma);
		if (!err)
			err = x->r.read_mach(x->r.arg, ma, out + done, chunk);
		if (err)
			return crash_error_prefix(err,
						  "xen: Xen virtual 0x%" PRIx64,
						  va);
		done += chunk;
	}
	return NULL;
}

/* ---- dom0 VMCOREINFO ---------------------------------------------------- */

static const char vmcoreinfo_name[12] = "VMCOREINFO\0";

struct crash_error *xen_dom0_vmcoreinfo_at(const struct xen *x, uint64_t maddr,
					   char **text_ret, size_t *size_ret)
{
	const struct rd_format *f = x->r.format;
	uint8_t head[24];
	struct crash_error *err = x->r.read_mach(x->r.arg, maddr, head,
						 sizeof(head));
	if (err)
		return crash_error_prefix(err, "xen: dom0 VMCOREINFO note at "
					  "machine 0x%" PRIx64, maddr);
	uint32_t namesz = rd_u32(f, head), descsz = rd_u32(f, head + 4);
	// valid (3)
	if (namesz != 11 || memcmp(head + 12, vmcoreinfo_name, 11) != 0)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "xen: no VMCOREINFO note at machine "
					  "0x%" PRIx64 " (namesz %" PRIu32
					  ", want 11 and \"VMCOREINFO\")",
					  maddr, namesz);
	if (descsz == 0 || descsz > XEN_DOM0_VMCOREINFO_MAX)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "xen: dom0 VMCOREINFO note at machine "
					  "0x%" PRIx64 ": descsz %" PRIu32
					  " is not 1 to %d",
					  maddr, descsz, XEN_DOM0_VMCOREINFO_MAX);
	char *text = malloc(descsz + 1);
	if (!text)
		return &crash_enomem;
	err = x->r.read_mach(x->r.arg, maddr + 24, text, descsz);
	if (err) {
		free(text);
		return crash_error_prefix(err, "xen: dom0 VMCOREINFO text at "
					  "machine 0x%" PRIx64, maddr + 24);
	}
	size_t len = descsz;
	while (len > 0 && text[len - 1] == '\0')
		len--;
	text[len] = '\0';
	if (len < 10 || memcmp(text, "OSRELEASE=", 10) != 0) {
		free(text);
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "xen: dom0 VMCOREINFO at machine 0x%"
					  PRIx64 " does not start with "
					  "OSRELEASE=",
					  maddr);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c != '\n' && (c < 0x20 || c >= 0x7f)) {
			free(text);
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"xen: dom0 VMCOREINFO at machine 0x%" PRIx64
				": byte 0x%02x at offset %zu is not text",
				maddr, c, i);
		}
	}
	*text_ret = text;
	*size_ret = len;
	return NULL;
}

/*
 * Visit machine memory in SCAN_CHUNK pieces (each overlapping the next by
 * SCAN_OVERLAP bytes), at most @max_bytes (0: all).  A chunk that does not
 * read whole is read page by page, skipping pages that fault.  @visit
 * returns false to stop.
 */
static struct crash_error *scan_machine(
	const struct xen *x, uint64_t max_bytes,
	bool (*visit)(void *arg, uint64_t maddr, const uint8_t *p, size_t n),
	void *arg)
{
	uint8_t *buf = malloc(SCAN_CHUNK + SCAN_OVERLAP);
	if (!buf)
		return &crash_enomem;
	uint64_t scanned = 0;
	struct crash_error *err = NULL;
	for (size_t i = 0; i < x->r.range_count; i++) {
		const struct xlat_range *rg = &x->r.ranges[i];
		for (uint64_t off = 0; off < rg->size; off += SCAN_CHUNK) {
			if (max_bytes && scanned >= max_bytes)
				goto out;
			uint64_t n = rg->size - off;
			if (n > SCAN_CHUNK + SCAN_OVERLAP)
				n = SCAN_CHUNK + SCAN_OVERLAP;
			uint64_t m = rg->paddr + off;
			err = x->r.read_mach(x->r.arg, m, buf, (size_t)n);
			if (err && err->code == CRASH_ERR_FAULT) {
				crash_error_destroy(err);
				err = NULL;
				// Page by page; unreadable pages read as 0.
				for (uint64_t p = 0; p < n; p += XEN_PAGE_SIZE) {
					size_t k = n - p < XEN_PAGE_SIZE
							   ? (size_t)(n - p)
							   : XEN_PAGE_SIZE;
					struct crash_error *e2 = x->r.read_mach(
						x->r.arg, m + p, buf + p, k);
					if (e2 && e2->code != CRASH_ERR_FAULT) {
						err = e2;
						goto out;
					}
					if (e2) {
						memset(buf + p, 0, k);
						crash_error_destroy(e2);
					}
				}
			}
			if (err)
				goto out;
			scanned += n < SCAN_CHUNK ? n : SCAN_CHUNK;
			if (!visit(arg, m, buf, (size_t)n))
				goto out;
		}
	}
out:
	free(buf);
	return err;
}

struct vmcoreinfo_scan {
	const struct xen *x;
	uint64_t hits[XEN_SCAN_MAX_HITS];
	size_t count;
	uint64_t last;		/* to skip the overlap's duplicates */
	bool any;
};

static bool vmcoreinfo_visit(void *arg, uint64_t maddr, const uint8_t *p,
			     size_t n)
{
	static const char pattern[] = "VMCOREINFO\0\0OSRELEASE=";
	const size_t plen = sizeof(pattern) - 1;
	struct vmcoreinfo_scan *s = arg;
	const uint8_t *cur = p, *end = p + n;
	while ((size_t)(end - cur) >= plen) {
		const uint8_t *hit = memmem(cur, (size_t)(end - cur), pattern,
					    plen);
		if (!hit)
			break;
		cur = hit + 1;
		if (hit - p < 12)
			continue;
		uint64_t note = maddr + (uint64_t)(hit - p) - 12;
		if (note % 4 || (s->any && note <= s->last))
			continue;
		char *text;
		size_t size;
		struct crash_error *err =
			xen_dom0_vmcoreinfo_at(s->x, note, &text, &size);
		if (err) {
			crash_error_destroy(err);
			continue;
		}
		free(text);
		s->any = true;
		s->last = note;
		s->hits[s->count++] = note;
		if (s->count == XEN_SCAN_MAX_HITS)
			return false;
	}
	return true;
}

struct crash_error *xen_dom0_vmcoreinfo_scan(const struct xen *x,
					     uint64_t max_bytes,
					     uint64_t hits_ret[XEN_SCAN_MAX_HITS],
					     size_t *count_ret)
{
	struct vmcoreinfo_scan s = { .x = x };
	struct crash_error *err = scan_machine(x, max_bytes, vmcoreinfo_visit,
					       &s);
	if (err)
		return err;
	// Page-aligned notes first (Linux allocates the note a page).
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s.count; i++)
			if ((s.hits[i] % XEN_PAGE_SIZE == 0) == (pass == 0))
				hits_ret[k++] = s.hits[i];
	*count_ret = s.count;
	return NULL;
}

/* ---- console ring ------------------------------------------------------- */

/* The symbol's name without a "path/file.c#" prefix. */
static bool sym_name_is(const char *name, size_t len, const char *want)
{
	const char *hash = memrchr(name, '#', len);
	if (hash) {
		len -= (size_t)(hash + 1 - name);
		name = hash + 1;
	}
	return len == strlen(want) && memcmp(name, want, len) == 0;
}

struct crash_error *xen_symbols_parse(const char *text, size_t size,
				      struct xen_conring_syms *ret)
{
	static const char *const wanted[4] = { "conring", "conring_size",
					       "conringp", "conringc" };
	uint64_t found[4] = {0};
	const char *p = text, *end = text + size;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		lineno++;
		// ADDR TYPE NAME; xen-syms .map files write 0x before ADDR.
		const char *a = p, *ae = a;
		if (eol - a > 2 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X'))
			a += 2, ae = a;
		while (ae < eol && *ae != ' ' && *ae != '\t')
			ae++;
		const char *t = ae;
		while (t < eol && (*t == ' ' || *t == '\t'))
			t++;
		const char *te = t;
		while (te < eol && *te != ' ' && *te != '\t')
			te++;
		const char *nm = te;
		while (nm < eol && (*nm == ' ' || *nm == '\t'))
			nm++;
		const char *ne = eol;
		while (ne > nm && (ne[-1] == '\r' || ne[-1] == ' '))
			ne--;
		for (int w = 0; w < 4 && ne > nm && ae > a; w++) {
			if (found[w] || !sym_name_is(nm, (size_t)(ne - nm),
						     wanted[w]))
				continue;
			uint64_t v = 0;
			size_t digits = (size_t)(ae - a);
			if (digits > 16)
				goto bad;
			for (const char *c = a; c < ae; c++) {
				int d = *c >= '0' && *c <= '9'	 ? *c - '0'
					: *c >= 'a' && *c <= 'f' ? *c - 'a' + 10
					: *c >= 'A' && *c <= 'F' ? *c - 'A' + 10
								 : -1;
				if (d < 0)
					goto bad;
				v = v << 4 | (uint64_t)d;
			}
			found[w] = v;
			continue;
bad:
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "xen symbols: line %zu: "
						  "address of %s is not hex",
						  lineno, wanted[w]);
		}
		p = nl ? nl + 1 : end;
	}
	for (int w = 0; w < 3; w++)
		if (!found[w])
			return crash_error_create(CRASH_ERR_NOT_FOUND,
						  "xen symbols: no symbol %s",
						  wanted[w]);
	ret->conring = found[0];
	ret->conring_size = found[1];
	ret->conringp = found[2];
	ret->conringc = found[3];
	return NULL;
}

struct crash_error *xen_conring_read(const struct xen *x,
				     const struct xen_conring_syms *syms,
				     struct xen_conring *ret)
{
	const struct rd_format *f = x->r.format;
	uint8_t b[8];
	uint64_t ring;
	uint32_t size, prod;
	struct crash_error *err = xen_read_xv(x, syms->conring, b, 8);
	if (err)
		return crash_error_prefix(err, "xen: reading conring");
	ring = rd_u64(f, b);
	err = xen_read_xv(x, syms->conring_size, b, 4);
	if (err)
		return crash_error_prefix(err, "xen: reading conring_size");
	size = rd_u32(f, b);
	err = xen_read_xv(x, syms->conringp, b, 4);
	if (err)
		return crash_error_prefix(err, "xen: reading conringp");
	prod = rd_u32(f, b);
	// valid (4)
	if (size < XEN_CONRING_MIN || size > XEN_CONRING_MAX ||
	    (size & (size - 1)))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "xen: conring_size %" PRIu32
					  " is not a power of two from %d to %d",
					  size, XEN_CONRING_MIN, XEN_CONRING_MAX);
	uint8_t *raw = malloc(size);
	if (!raw)
		return &crash_enomem;
	err = xen_read_xv(x, ring, raw, size);
	if (err) {
		free(raw);
		return crash_error_prefix(err, "xen: reading the console ring "
					  "at 0x%" PRIx64, ring);
	}
	uint64_t mach = 0;
	crash_error_destroy(xen_xv_to_mach(x, ring, &mach));
	// conringp is a free-running u32: the ring holds its last @size bytes.
	bool wrapped = prod > size;
	uint32_t start = wrapped ? prod - size : 0;
	uint32_t n = wrapped ? size : prod;
	uint8_t *text = malloc(n ? n : 1);
	if (!text) {
		free(raw);
		return &crash_enomem;
	}
	for (uint32_t i = 0; i < n; i++)
		text[i] = raw[(start + i) & (size - 1)];
	free(raw);
	*ret = (struct xen_conring){
		.text = text, .size = n, .ring_mach = mach, .ring_size = size,
		.producer = prod, .wrapped = wrapped, .method = "symbols",
	};
	return NULL;
}

struct conring_scan {
	const struct xen *x;
	uint64_t blocks[XEN_SCAN_MAX_HITS];
	size_t count;
};

static bool conring_visit(void *arg, uint64_t maddr, const uint8_t *p,
			  size_t n)
{
	static const char pattern[] = "(XEN) Xen version ";
	const size_t plen = sizeof(pattern) - 1;
	struct conring_scan *s = arg;
	const uint8_t *cur = p, *end = p + n;
	while ((size_t)(end - cur) >= plen) {
		const uint8_t *hit = memmem(cur, (size_t)(end - cur), pattern,
					    plen);
		if (!hit)
			break;
		cur = hit + 1;
		uint64_t m = maddr + (uint64_t)(hit - p);
		uint64_t block = m & ~(uint64_t)(CONRING_BLOCK - 1);
		if (m - block >= XEN_PAGE_SIZE)
			continue;
		if (s->count && s->blocks[s->count - 1] == block)
			continue;
		s->blocks[s->count++] = block;
		if (s->count == XEN_SCAN_MAX_HITS)
			return false;
	}
	return true;
}

struct crash_error *xen_conring_scan(const struct xen *x, uint64_t max_bytes,
				     struct xen_conring *ret)
{
	struct conring_scan s = { .x = x };
	struct crash_error *err = scan_machine(x, max_bytes, conring_visit, &s);
	if (err)
		return err;
	if (!s.count)
		return &crash_not_found;
	// The longest text wins: Xen's boot-time static ring (freed
	// __initdata) can still hold the first part of the log.
	uint8_t *best = NULL;
	size_t best_len = 0;
	uint64_t best_block = 0;
	uint8_t *buf = malloc(XEN_PAGE_SIZE);
	if (!buf)
		return &crash_enomem;
	for (size_t i = 0; i < s.count; i++) {
		size_t len = 0;
		bool end = false;
		while (!end && len < XEN_CONRING_MAX) {
			struct crash_error *e2 = x->r.read_mach(
				x->r.arg, s.blocks[i] + len, buf, XEN_PAGE_SIZE);
			if (e2) {
				crash_error_destroy(e2);
				break;
			}
			const uint8_t *nul = memchr(buf, 0, XEN_PAGE_SIZE);
			size_t k = nul ? (size_t)(nul - buf) : XEN_PAGE_SIZE;
			len += k;
			end = nul != NULL;
		}
		if (len > best_len) {
			uint8_t *text = malloc(len);
			if (!text) {
				free(buf);
				free(best);
				return &crash_enomem;
			}
			err = x->r.read_mach(x->r.arg, s.blocks[i], text, len);
			if (err) {
				free(text);
				crash_error_destroy(err);
				err = NULL;
				continue;
			}
			free(best);
			best = text;
			best_len = len;
			best_block = s.blocks[i];
		}
	}
	free(buf);
	if (!best)
		return &crash_not_found;
	*ret = (struct xen_conring){
		.text = best, .size = best_len, .ring_mach = best_block,
		.ring_size = 0, .producer = best_len, .wrapped = false,
		.method = "scan",
	};
	return NULL;
}

void xen_conring_deinit(struct xen_conring *c)
{
	free(c->text);
	c->text = NULL;
}
