/*
 * xlat.c - choosing and using a kernel-virtual -> kernel-physical mapping.
 *
 * (1) What it is.  A crashed kernel's data lives at kernel-virtual
 * addresses; the dump holds physical memory.  Two mappings matter for the
 * buffers we read (spec printk-formats.md §3.2): the kernel image (symbols
 * such as prb, log_buf, init_uts_ns) and the linear/direct map (memblock
 * allocations such as a dynamic log buffer).  Each lib/arch/<arch>.c turns
 * VMCOREINFO numbers, PT_LOAD hints, page tables and documented constants
 * into candidate mappings (struct arch_candidate), most trustworthy first.
 *
 * (2) What we read.  SYMBOL(init_uts_ns), OFFSET(uts_namespace.name) when
 * exported, OSRELEASE; the PT_LOAD physical ranges (xlat_reader.ranges).
 *
 * (3) A candidate is valid when:
 *   1. init_uts_ns translates and its bytes are in the dump;
 *   2. its struct new_utsname starts with sysname "Linux\0": at
 *      OFFSET(uts_namespace.name), or else at one of the offsets 0, 4, 8,
 *      12, 16 (name follows a 4-byte kref before 5.11 and is first since);
 *   3. release is NUL-terminated and equals OSRELEASE (when exported);
 *   4. its linear rule, if any, reaches the start of some PT_LOAD (a wrong
 *      PHYS_OFFSET or page_offset puts all RAM outside the direct map);
 *   5. when the candidate also has page tables, the walk agrees with the
 *      linear rule on the page-table root's own page (when the linear rule
 *      spans it and the walk translates it: the root is in every dump
 *      whose tables can be walked, so a dump trimmed to the pages this walk
 *      read validates as its source did), else on that PT_LOAD's first
 *      byte.  A walk that translates to another address rejects.
 * Requirements 1-3 check the image rule (init_uts_ns is an image symbol),
 * 4-5 the linear rule, which init_uts_ns alone cannot test.
 *
 * (4) What a crash or a trimmed dump leaves: init_uts_ns filtered out or
 * zeroed, OSRELEASE missing, PT_LOAD vaddrs of 0 or wrong, page tables
 * that point at themselves.  Every loop here is bounded by a count we
 * state; walks are bounded by their level count (lib/arch/).
 *
 * (5) What we report.  The first valid candidate wins.  If none is valid,
 * the first whose init_uts_ns bytes at least read is kept with a warning
 * naming why it failed validation; if none reads, UNSUPPORTED naming the
 * number of candidates and the first one's failure.  Without
 * SYMBOL(init_uts_ns) the first candidate is kept with a warning.
 */
#include "xlat.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"

/* The per-architecture tables, chosen by e_machine. */
static const struct arch_ops *const xlat_arches[] = {
	&arch_x86_64_ops, &arch_i386_ops,  &arch_arm64_ops,
	&arch_ppc64_ops,  &arch_s390x_ops, &arch_riscv64_ops,
};

/* Translation and reads go page by page (4 KiB) so that a mapping change
 * at any 4 KiB boundary (the smallest page on every arch we support) is
 * honoured; physically contiguous pages are read at once. */
enum { XLAT_STEP_SIZE = 4096 };

/* Bytes read when OFFSET(uts_namespace.name) is not exported: the name may
 * start at any of the offsets 0..16 (step 4). */
enum { UTS_SCAN_MAX = 16, UTS_SCAN_STEP = 4 };

struct xlat {
	struct xlat_reader reader;
	const struct arch_ops *ops;
	struct arch_candidate c;
	bool has_utsname;
	uint8_t utsname[XLAT_UTSNAME_SIZE];
};

/* Helpers for lib/arch (declared in arch/arch.h). */

void arch_warn(const struct xlat_reader *r, const char *fmt, ...)
{
	if (!r->warn)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->warn(r->arg, line);
}

/* Absent is false; malformed is a warning and false. */
static bool arch_lookup_result(const struct xlat_reader *r,
			       struct crash_error *err)
{
	if (!err)
		return true;
	if (!crash_error_catch(&err, CRASH_ERR_NOT_FOUND)) {
		arch_warn(r, "%s", err->message);
		crash_error_destroy(err);
	}
	return false;
}

bool arch_number(const struct xlat_reader *r, const char *name, uint64_t *ret)
{
	int64_t v;
	if (!r->vmcoreinfo ||
	    !arch_lookup_result(r, vmcoreinfo_number(r->vmcoreinfo, name, &v)))
		return false;
	*ret = (uint64_t)v;
	return true;
}

bool arch_hex(const struct xlat_reader *r, const char *key, uint64_t *ret)
{
	return r->vmcoreinfo &&
	       arch_lookup_result(r, vmcoreinfo_hex(r->vmcoreinfo, key, ret));
}

bool arch_decimal(const struct xlat_reader *r, const char *key, uint64_t *ret)
{
	return r->vmcoreinfo &&
	       arch_lookup_result(r, vmcoreinfo_decimal(r->vmcoreinfo, key, ret));
}

bool arch_symbol(const struct xlat_reader *r, const char *name, uint64_t *ret)
{
	return r->vmcoreinfo &&
	       arch_lookup_result(r, vmcoreinfo_symbol(r->vmcoreinfo, name,
						       ret));
}

bool arch_table_has_entry(const struct xlat_reader *r, uint64_t phys,
			  uint64_t bytes, const struct rd_format *format,
			  uint64_t valid_mask)
{
	uint8_t buf[8 * 64];
	// Bounded by @bytes: every pass reads sizeof(buf) more.
	for (uint64_t off = 0; off < bytes; off += sizeof(buf)) {
		struct crash_error *err =
			r->read_phys(r->arg, phys + off, buf, sizeof(buf));
		if (err) {
			crash_error_destroy(err);
			return false;
		}
		for (size_t i = 0; i < sizeof(buf); i += 8)
			if (rd_u64(format, buf + i) & valid_mask)
				return true;
	}
	return false;
}

bool arch_ptload_offset(const struct xlat_reader *r, uint64_t lo, uint64_t hi,
			uint64_t *offset_ret)
{
	bool found = false;
	uint64_t offset = 0;
	for (size_t i = 0; i < r->range_count; i++) {
		const struct xlat_range *range = &r->ranges[i];
		if (range->vaddr == 0 || range->vaddr < lo ||
		    range->vaddr >= hi || range->size == 0)
			continue;
		uint64_t o = range->vaddr - range->paddr;
		if (found && o != offset)
			return false;
		offset = o;
		found = true;
	}
	if (found)
		*offset_ret = offset;
	return found;
}

/* Translation. */

static struct crash_error *xlat_candidate_kv_to_phys(
	const struct xlat *x, const struct arch_candidate *c, uint64_t vaddr,
	uint64_t *ret)
{
	if (c->has_image && vaddr >= c->image_start && vaddr < c->image_end) {
		*ret = vaddr - c->image_start + c->image_phys;
		return NULL;
	}
	if (c->has_linear && vaddr >= c->linear_start &&
	    vaddr < c->linear_end) {
		*ret = vaddr - c->linear_start + c->linear_phys;
		return NULL;
	}
	if (x->ops->walk && c->pgtable_root_phys != UINT64_MAX)
		return x->ops->walk(&x->reader, c, vaddr, ret);
	return crash_error_fault(vaddr,
				 "%s: kernel virtual address 0x%" PRIx64
				 " is not mapped by the %s",
				 x->ops->name, vaddr, c->method);
}

struct crash_error *xlat_kv_to_phys(const struct xlat *x, uint64_t vaddr,
				    uint64_t *ret)
{
	return xlat_candidate_kv_to_phys(x, &x->c, vaddr, ret);
}

/* Read through candidate @c: per 4 KiB page, one read_phys per physically
 * contiguous run.  A FAULT names the first virtual address of the run. */
static struct crash_error *xlat_candidate_read_kv(
	const struct xlat *x, const struct arch_candidate *c, uint64_t vaddr,
	void *buf, size_t size)
{
	uint8_t *out = buf;
	if (size > 0 && UINT64_MAX - vaddr < size - 1)
		return crash_error_fault(vaddr,
					 "%s: reading %zu bytes at 0x%" PRIx64
					 " wraps around the address space",
					 x->ops->name, size, vaddr);
	size_t done = 0;
	// The translation of the page that ended the previous run, if any.
	bool have_next = false;
	uint64_t next_run_pa = 0;
	while (done < size) {
		// Collect one physically contiguous run starting at run_va.
		uint64_t run_va = vaddr + done, run_pa = next_run_pa;
		struct crash_error *err = NULL;
		if (!have_next)
			err = xlat_candidate_kv_to_phys(x, c, run_va, &run_pa);
		if (err)
			return err;
		have_next = false;
		size_t run_size = 0;
		uint64_t va = run_va, pa = run_pa;
		for (;;) {
			uint64_t to_boundary =
				XLAT_STEP_SIZE - (va & (XLAT_STEP_SIZE - 1));
			size_t left = size - done - run_size;
			size_t chunk = to_boundary < left ? (size_t)to_boundary
							  : left;
			run_size += chunk;
			if (run_size == size - done)
				break;
			uint64_t next_pa;
			va += chunk;
			err = xlat_candidate_kv_to_phys(x, c, va, &next_pa);
			if (err) {
				// Read what translated; the fault is reported
				// when the loop reaches va.
				crash_error_destroy(err);
				break;
			}
			if (next_pa != pa + chunk) {
				have_next = true;
				next_run_pa = next_pa;
				break;
			}
			pa = next_pa;
		}
		err = x->reader.read_phys(x->reader.arg, run_pa, out + done,
					  run_size);
		if (err) {
			if (err->code != CRASH_ERR_FAULT)
				return crash_error_prefix(
					err,
					"reading kernel virtual 0x%" PRIx64,
					run_va);
			struct crash_error *fault = crash_error_fault(
				run_va,
				"kernel virtual 0x%" PRIx64
				" (physical 0x%" PRIx64 "): %s",
				run_va, run_pa, err->message);
			crash_error_destroy(err);
			return fault;
		}
		done += run_size;
	}
	return NULL;
}

struct crash_error *xlat_read_kv(const struct xlat *x, uint64_t vaddr,
				 void *buf, size_t size)
{
	return xlat_candidate_read_kv(x, &x->c, vaddr, buf, size);
}

struct crash_error *xlat_read_ptr_kv(const struct xlat *x, uint64_t vaddr,
				     uint64_t *ret)
{
	uint8_t b[8];
	size_t n = x->reader.format->ptr_size == 4 ? 4 : 8;
	struct crash_error *err = xlat_read_kv(x, vaddr, b, n);
	if (err)
		return err;
	*ret = rd_ptr(x->reader.format, b);
	return NULL;
}

struct crash_error *xlat_read_u32_kv(const struct xlat *x, uint64_t vaddr,
				     uint32_t *ret)
{
	uint8_t b[4];
	struct crash_error *err = xlat_read_kv(x, vaddr, b, sizeof(b));
	if (err)
		return err;
	*ret = rd_u32(x->reader.format, b);
	return NULL;
}

struct crash_error *xlat_read_u64_kv(const struct xlat *x, uint64_t vaddr,
				     uint64_t *ret)
{
	uint8_t b[8];
	struct crash_error *err = xlat_read_kv(x, vaddr, b, sizeof(b));
	if (err)
		return err;
	*ret = rd_u64(x->reader.format, b);
	return NULL;
}

/* Validation. */

/* Dump bytes for a message: printable ASCII kept, the rest \xNN, at most
 * @n bytes or up to the first NUL. */
static void escape_field(const uint8_t *p, size_t n, char *out, size_t out_size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && p[i] && o + 5 < out_size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, out_size - o, "\\x%02x",
					      p[i]);
	}
	out[o] = '\0';
}

/*
 * Check @c against init_uts_ns at @uts_kv (requirements 1-3) and its linear
 * rule (4-5).  *@maps_ret says whether requirement 1 held.  On success the
 * new_utsname is copied to @uts_ret.  Returns CORRUPT or FAULT naming the
 * failed requirement.
 */
static struct crash_error *xlat_validate(const struct xlat *x,
					 const struct arch_candidate *c,
					 uint64_t uts_kv, bool *maps_ret,
					 uint8_t uts_ret[XLAT_UTSNAME_SIZE])
{
	const struct xlat_reader *r = &x->reader;
	struct crash_error *err;
	*maps_ret = false;

	uint64_t name_offset;
	bool have_offset = false;
	if (r->vmcoreinfo) {
		err = vmcoreinfo_offset(r->vmcoreinfo, "uts_namespace", "name",
					&name_offset);
		have_offset = arch_lookup_result(r, err);
	}
	uint8_t buf[UTS_SCAN_MAX + XLAT_UTSNAME_SIZE];
	const uint8_t *uts = NULL;
	if (have_offset) {
		if (UINT64_MAX - uts_kv < name_offset)
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"OFFSET(uts_namespace.name)=%" PRIu64
				" wraps init_uts_ns at 0x%" PRIx64,
				name_offset, uts_kv);
		// valid (1)
		err = xlat_candidate_read_kv(x, c, uts_kv + name_offset, buf,
					     XLAT_UTSNAME_SIZE);
		if (err)
			return err;
		*maps_ret = true;
		// valid (2)
		if (memcmp(buf, "Linux", 6) != 0) {
			char got[32];
			escape_field(buf, 6, got, sizeof(got));
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"init_uts_ns at 0x%" PRIx64
				": sysname at OFFSET(uts_namespace.name)=%" PRIu64
				" is \"%s\", not \"Linux\"",
				uts_kv, name_offset, got);
		}
		uts = buf;
	} else {
		// valid (1)
		err = xlat_candidate_read_kv(x, c, uts_kv, buf, sizeof(buf));
		if (err)
			return err;
		*maps_ret = true;
		// valid (2)
		for (size_t off = 0; off <= UTS_SCAN_MAX; off += UTS_SCAN_STEP) {
			if (memcmp(buf + off, "Linux", 6) == 0) {
				uts = buf + off;
				break;
			}
		}
		if (!uts)
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"init_uts_ns at 0x%" PRIx64
				": no sysname \"Linux\" at offsets 0-%d",
				uts_kv, UTS_SCAN_MAX);
	}

	// valid (3)
	const uint8_t *release = uts + 2 * XLAT_UTSNAME_FIELD_SIZE;
	if (!memchr(release, '\0', XLAT_UTSNAME_FIELD_SIZE))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "init_uts_ns at 0x%" PRIx64
					  ": release is not NUL-terminated",
					  uts_kv);
	const char *osrelease =
		r->vmcoreinfo ? vmcoreinfo_get(r->vmcoreinfo, "OSRELEASE")
			      : NULL;
	if (osrelease && strcmp((const char *)release, osrelease) != 0) {
		char got[4 * XLAT_UTSNAME_FIELD_SIZE + 1];
		escape_field(release, XLAT_UTSNAME_FIELD_SIZE, got,
			     sizeof(got));
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "init_uts_ns at 0x%" PRIx64
					  ": release \"%s\" is not OSRELEASE "
					  "\"%s\"",
					  uts_kv, got, osrelease);
	}

	if (c->has_linear && r->range_count > 0) {
		// valid (4): the first PT_LOAD the direct map reaches.
		uint64_t span = c->linear_end - c->linear_start;
		const struct xlat_range *hit = NULL;
		for (size_t i = 0; i < r->range_count && !hit; i++) {
			const struct xlat_range *range = &r->ranges[i];
			if (range->size > 0 && range->paddr >= c->linear_phys &&
			    range->paddr - c->linear_phys < span)
				hit = range;
		}
		if (!hit)
			return crash_error_create(
				CRASH_ERR_CORRUPT,
				"direct map [0x%" PRIx64 ", 0x%" PRIx64
				") -> 0x%" PRIx64 " reaches no PT_LOAD",
				c->linear_start, c->linear_end, c->linear_phys);
		// valid (5): the root's own page first, then the PT_LOAD.
		if (x->ops->walk && c->pgtable_root_phys != UINT64_MAX) {
			uint64_t probes[2];
			size_t n = 0;
			if (c->pgtable_root_phys >= c->linear_phys &&
			    c->pgtable_root_phys - c->linear_phys < span &&
			    c->pgtable_root_phys != hit->paddr)
				probes[n++] = c->pgtable_root_phys;
			probes[n++] = hit->paddr;
			for (size_t i = 0; i < n; i++) {
				uint64_t va = c->linear_start +
					      (probes[i] - c->linear_phys);
				uint64_t pa;
				err = x->ops->walk(r, c, va, &pa);
				if (err && i + 1 < n) {
					crash_error_destroy(err);
					continue;
				}
				if (err)
					return crash_error_prefix(
						err,
						"direct map at 0x%" PRIx64
						" disagrees with the page tables",
						va);
				if (pa != probes[i])
					return crash_error_create(
						CRASH_ERR_CORRUPT,
						"direct map maps 0x%" PRIx64
						" to 0x%" PRIx64
						", the page tables to 0x%" PRIx64,
						va, probes[i], pa);
				break;
			}
		}
	}
	memcpy(uts_ret, uts, XLAT_UTSNAME_SIZE);
	return NULL;
}

/* State of the candidate search, threaded through arch_candidate_fn. */
struct xlat_search {
	struct xlat *x;
	bool have_uts;
	uint64_t uts_kv;
	size_t tried;
	bool found;
	bool have_fallback;		/* first candidate that maps init_uts_ns */
	struct arch_candidate fallback;
	struct crash_error *fallback_why;
	struct arch_candidate first;	/* the first candidate at all */
	struct crash_error *first_why;
};

static bool xlat_try_candidate(void *arg, const struct arch_candidate *c)
{
	struct xlat_search *s = arg;
	struct xlat *x = s->x;
	bool first = s->tried++ == 0;
	if (first)
		s->first = *c;
	if (!s->have_uts) {
		x->c = *c;
		s->found = true;
		return false;
	}
	bool maps;
	struct crash_error *err =
		xlat_validate(x, c, s->uts_kv, &maps, x->utsname);
	if (!err) {
		x->c = *c;
		x->has_utsname = true;
		s->found = true;
		return false;
	}
	bool keep_fallback = maps && !s->have_fallback;
	if (keep_fallback) {
		s->have_fallback = true;
		s->fallback = *c;
		s->fallback_why = err;
	}
	if (first)
		s->first_why = err;
	if (!keep_fallback && !first)
		crash_error_destroy(err);
	return true;
}

static void xlat_search_deinit(struct xlat_search *s)
{
	if (s->first_why != s->fallback_why)
		crash_error_destroy(s->first_why);
	crash_error_destroy(s->fallback_why);
}

struct crash_error *xlat_create(const struct xlat_reader *reader,
				struct xlat **ret)
{
	const struct arch_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(xlat_arches) / sizeof(xlat_arches[0]);
	     i++) {
		if (xlat_arches[i]->machine == reader->machine) {
			ops = xlat_arches[i];
			break;
		}
	}
	if (!ops)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "xlat: e_machine %u is not a supported "
					  "architecture",
					  (unsigned)reader->machine);

	struct xlat *x = calloc(1, sizeof(*x));
	if (!x)
		return &crash_enomem;
	x->reader = *reader;
	x->ops = ops;
	// The ranges are copied, so callers need not keep theirs alive.
	x->reader.ranges = NULL;
	if (reader->range_count) {
		struct xlat_range *copy = calloc(reader->range_count,
						 sizeof(*copy));
		if (!copy) {
			xlat_destroy(x);
			return &crash_enomem;
		}
		memcpy(copy, reader->ranges,
		       reader->range_count * sizeof(*copy));
		x->reader.ranges = copy;
	}

	struct xlat_search s = { .x = x };
	s.have_uts = arch_symbol(reader, "init_uts_ns", &s.uts_kv);
	struct crash_error *err = ops->candidates(reader, xlat_try_candidate,
						  &s);
	if (err) {
		xlat_search_deinit(&s);
		xlat_destroy(x);
		return err;
	}
	if (!s.found && s.have_fallback) {
		x->c = s.fallback;
		arch_warn(reader,
			  "%s: no mapping validates; using the %s anyway: %s",
			  ops->name, s.fallback.method,
			  s.fallback_why->message);
		s.found = true;
	} else if (s.found && !s.have_uts && s.tried > 0) {
		arch_warn(reader,
			  "%s: vmcoreinfo has no SYMBOL(init_uts_ns): using "
			  "the %s without validating it",
			  ops->name, x->c.method);
	}
	if (!s.found) {
		if (s.tried == 0)
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "%s: no candidate mapping "
						 "(vmcoreinfo lacks the "
						 "layout numbers)",
						 ops->name);
		else
			err = crash_error_create(
				CRASH_ERR_UNSUPPORTED,
				"%s: none of %zu candidate mappings reads "
				"init_uts_ns at 0x%" PRIx64 "; the %s: %s",
				ops->name, s.tried, s.uts_kv, s.first.method,
				s.first_why ? s.first_why->message : "?");
		xlat_search_deinit(&s);
		xlat_destroy(x);
		return err;
	}
	xlat_search_deinit(&s);
	*ret = x;
	return NULL;
}

void xlat_destroy(struct xlat *x)
{
	if (!x)
		return;
	free((void *)x->reader.ranges);
	free(x);
}

const char *xlat_arch_name(const struct xlat *x)
{
	return x->ops->name;
}

const char *xlat_method(const struct xlat *x)
{
	return x->c.method;
}

const uint8_t *xlat_utsname(const struct xlat *x)
{
	return x->has_utsname ? x->utsname : NULL;
}

const struct xlat_reader *xlat_reader(const struct xlat *x)
{
	return &x->reader;
}
