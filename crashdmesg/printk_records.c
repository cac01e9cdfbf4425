/*
 * printk_records.c - the structured record log of Linux 3.5 to 5.9.
 *
 * (1) The structure.  From 3.5 (commit 7ff9554bb578 "printk: convert byte-
 * buffer to variable-length record buffer") to 5.9, printk stores each
 * message as one record in the byte array log_buf[log_buf_len]: a header,
 * the text, the dictionary (KEY=VALUE strings separated by NUL, the last
 * not terminated), then NUL padding to LOG_ALIGN.  Nothing is NUL-
 * terminated.  The header is struct log (3.5-3.10), renamed struct
 * printk_log in 3.11 (commit 62e32ac3505a); RHEL 7's 3.10 exports the old
 * name, so both names are accepted whatever the release:
 *
 *	u64 ts_nsec;		0	local_clock() at store time
 *	u16 len;		8	whole record: header + text + dict + pad
 *	u16 text_len;		10
 *	u16 dict_len;		12
 *	u8 facility;		14	dict_len + 2 (never exported)
 *	u8 flags:5, level:3;	15	dict_len + 3 (never exported)
 *	u32 caller_id;		16	5.1-5.9 with CONFIG_PRINTK_CALLER only
 *
 * The bit-field order within the flags/level byte follows the ABI: GCC on
 * little-endian allocates from bit 0 (flags = b & 0x1f, level = b >> 5), on
 * big-endian from bit 7 (flags = b >> 3, level = b & 7).  LOG_ALIGN is
 * __alignof__(struct printk_log): 4 on x86, arm64 and every 32-bit kernel
 * (CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS makes the struct __packed
 * __aligned(4); 3.5 used 4 on any 32-bit kernel), 8 elsewhere, so records
 * are always 4-aligned and that is what we check.  Vendor kernels add
 * header fields (Qualcomm's magic, HTC's cpu/pid, LeTV's utc_sec): always
 * use SIZE()/OFFSET() when exported.
 *
 * The writer, log_store(), drops old records from log_first_idx until the
 * new one plus one more header fits, and when next_idx + size + header
 * would pass the end (">=" in 3.5), writes a zero-filled header there -- a
 * *wrap marker*, len == 0 -- and stores the record at index 0.  The reader,
 * log_from_idx()/log_next(), follows len from log_first_idx to
 * log_next_idx and, meeting len == 0, continues at index 0.
 *
 * (2) What we read.  VMCOREINFO, from log_buf_kexec_setup() (3.5-3.x) and
 * log_buf_vmcoreinfo_setup() (later):
 *	SYMBOL(log_buf)		char *: the variable, dereferenced
 *	SYMBOL(log_buf_len)	u32
 *	SYMBOL(log_first_idx), SYMBOL(log_next_idx)	u32 byte indexes
 *	SYMBOL(clear_idx)	u32, exported from 4.6 (commit f468908bb55a);
 *				read only for options.since_clear
 *	SIZE(printk_log) or SIZE(log), OFFSET(<type>.ts_nsec|len|text_len|
 *	dict_len), from 3.6; OFFSET(printk_log.caller_id) from 5.1, present
 *	only with CONFIG_PRINTK_CALLER -- our only signal for that option.
 * 3.5 exported no SIZE/OFFSET at all: we then use the 3.5 layout above
 * (header 16 bytes, facility 14, flags/level 15).  3.5-rc kernels had a
 * u16 `level` (facility << 3 | level) in place of the last two bytes; no
 * released kernel has it, so the released layout is the one we assume.
 * The kernel's sequence numbers (log_first_seq ...) are not exported:
 * records get seq = their position in our walk, without PRINTK_HAS_SEQ.
 *
 * (3) Validity.  Before reading the buffer:
 *	L1  16 <= SIZE <= 1 KiB (the 3.5 header is 16 bytes; no vendor
 *	    header comes near 1 KiB)
 *	L2  every exported field lies inside SIZE, including facility and
 *	    the flags/level byte after dict_len, and caller_id
 *	B1  0 < log_buf_len <= 2 GiB (LOG_BUF_LEN_MAX) and <= max_buffer
 *	B2  log_buf_len >= SIZE
 *	B3  log_buf is not NULL
 *	B4  log_first_idx, log_next_idx < log_buf_len
 * Each record header at idx, walking in log order:
 *	R1  idx is 4-aligned and the header fits: idx <= log_buf_len - SIZE
 *	    (log_store always leaves room for one more header)
 *	R2  len == 0 is a wrap marker: allowed once, and only when the log
 *	    wraps (log_first_idx > log_next_idx); the walk continues at 0
 *	R3  len >= SIZE and len is a multiple of 4
 *	R4  the record ends inside its segment: idx + len <= log_buf_len
 *	    before the wrap, <= log_next_idx after it (or when the log does
 *	    not wrap); a record running over log_next_idx contradicts it
 *	R5  text_len + dict_len <= len - SIZE
 * The walk ends at log_next_idx; log_first_idx == log_next_idx is an
 * empty log (the kernel always keeps one header free, so a full log never
 * has equal indexes).
 *
 * (4) What a crash leaves half-done.  log_store() runs under logbuf_lock
 * but the crash can stop a CPU anywhere in it, and the NMI that stops the
 * other CPUs does not wait: the header may be filled and the text not yet
 * copied, log_next_idx may not yet include the last record, the wrap
 * marker may be written with log_next_idx not yet reset to 0.  In every
 * case the indexes still describe a consistent older log, since they are
 * updated last; what breaks is the dump itself: a bit flip, a page the
 * capture kernel could not read (zero-filled or 0xff), a log_buf_len
 * overwritten by a stray store.
 *
 * (5) Resynchronisation.  A header that breaks R1-R5 is reported through
 * sink->note (one line: offset, the broken condition, where we went on)
 * and counted once in stats->skipped.  We then scan forward in 4-byte
 * steps for a plausible header: R3-R5 hold, its ts_nsec is not more than
 * RECORDS_TS_SLACK_NSEC before the last good record's, and the position
 * after it links up (a wrap marker before the wrap, log_next_idx, or
 * another header passing R3-R5).  Before the wrap the scan runs to the
 * end of the buffer and continues at 0; after it, it stops at
 * log_next_idx.  Positions only grow within a segment and the wrap
 * happens once, so nothing is visited twice and the walk is bounded by
 * log_buf_len / SIZE records plus log_buf_len / 4 scan steps.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printk.h"

enum {
	/* The 3.5 header, and the smallest holding every field we read. */
	RECORDS_HEADER_MIN = 16,
	/* L1: far above any header seen (vendor headers stay under 40). */
	RECORDS_HEADER_MAX = 1024,
	/* The smallest LOG_ALIGN of any architecture (see (1)). */
	RECORDS_ALIGN = 4,
};

/*
 * How far back a resynchronised record's timestamp may lie: local_clock()
 * is per-CPU and not globally monotonic, but CPUs drift by far less than
 * a second (kernel/sched/clock.c keeps them within a tick of each other).
 */
static const uint64_t RECORDS_TS_SLACK_NSEC = 1000000000;

/* Where the header fields are; from VMCOREINFO or the 3.5 fallback. */
struct records_layout {
	const char *type;	/* "printk_log", "log", or "3.5 default" */
	uint64_t size;
	uint64_t ts_nsec, len, text_len, dict_len, caller_id;
	bool has_caller;
};

struct records_header {
	uint64_t ts_nsec;
	uint16_t len, text_len, dict_len;
	uint8_t facility, log_flags, level;
	uint32_t caller_id;
};

struct records_walk {
	const struct printk_source *src;
	const struct printk_sink *sink;
	struct printk_stats *stats;
	const struct records_layout *layout;
	const uint8_t *buf;
	uint32_t buf_len, first_idx, next_idx;
	/* The log wraps (first > next) and the walk has passed the wrap. */
	bool ring_wraps, wrapped;
	/* Records before this logical position are not handed on. */
	bool use_clear;
	uint32_t clear_idx;
	bool have_prev_ts;
	uint64_t prev_ts;
	uint64_t seq;
};

static bool records_detect(const struct vmcoreinfo *vi)
{
	return vmcoreinfo_has(vi, "SYMBOL(log_first_idx)");
}

/*
 * Record a skipped region: one note, the first reason kept, one count.
 * Messages are built from numbers only, never from dump text.
 */
__attribute__((format(printf, 2, 3)))
static void records_skip(struct records_walk *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->stats->skipped) {
		// Truncated to the field; the note carries the whole line.
		size_t n = strnlen(msg, sizeof(w->stats->first_skip_reason) - 1);
		memcpy(w->stats->first_skip_reason, msg, n);
		w->stats->first_skip_reason[n] = '\0';
	}
	w->stats->skipped++;
	if (w->sink->note)
		w->sink->note(w->sink->arg, msg);
}

/*
 * The header layout: SIZE/OFFSET of printk_log, else of log, else the 3.5
 * layout.  CORRUPT when SIZE is exported and an offset is missing, or when
 * L1/L2 fail; a malformed VMCOREINFO value is passed up with our prefix.
 */
static struct crash_error *records_layout_load(const struct vmcoreinfo *vi,
					       struct records_layout *ret)
{
	static const char *const types[] = { "printk_log", "log" };
	static const char *const members[] = { "ts_nsec", "len", "text_len",
					       "dict_len" };
	struct records_layout l = { 0 };
	struct crash_error *err;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		err = vmcoreinfo_size(vi, types[i], &l.size);
		if (!err) {
			l.type = types[i];
			break;
		}
		if (!crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
			return crash_error_prefix(err, "records");
	}

	if (!l.type) {
		// Linux 3.5 exported no layout; the released 3.5 struct log.
		l.type = "3.5 default";
		l.size = 16;
		l.ts_nsec = 0;
		l.len = 8;
		l.text_len = 10;
		l.dict_len = 12;
		*ret = l;
		return NULL;
	}

	uint64_t *fields[] = { &l.ts_nsec, &l.len, &l.text_len, &l.dict_len };
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		err = vmcoreinfo_offset(vi, l.type, members[i], fields[i]);
		if (crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
			return crash_error_create(CRASH_ERR_CORRUPT,
				"records: VMCOREINFO has SIZE(%s) but no OFFSET(%s.%s)",
				l.type, l.type, members[i]);
		if (err)
			return crash_error_prefix(err, "records");
	}
	err = vmcoreinfo_offset(vi, l.type, "caller_id", &l.caller_id);
	if (!err)
		l.has_caller = true;
	else if (!crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		return crash_error_prefix(err, "records");

	// valid L1
	if (l.size < RECORDS_HEADER_MIN || l.size > RECORDS_HEADER_MAX)
		return crash_error_create(CRASH_ERR_CORRUPT,
			"records: SIZE(%s)=%" PRIu64 " is outside the plausible %d..%d bytes",
			l.type, l.size, RECORDS_HEADER_MIN, RECORDS_HEADER_MAX);
	// valid L2: facility and the flags/level byte follow dict_len
	struct { const char *name; uint64_t off, size; } checks[] = {
		{ "ts_nsec", l.ts_nsec, 8 },
		{ "len", l.len, 2 },
		{ "text_len", l.text_len, 2 },
		{ "dict_len", l.dict_len, 4 },
		{ "caller_id", l.caller_id, l.has_caller ? 4 : 0 },
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!rd_field_fits(checks[i].off, checks[i].size, l.size))
			return crash_error_create(CRASH_ERR_CORRUPT,
				"records: OFFSET(%s.%s)=%" PRIu64 " leaves no room for its %" PRIu64 " bytes in SIZE(%s)=%" PRIu64,
				l.type, checks[i].name, checks[i].off,
				checks[i].size, l.type, l.size);
	}
	*ret = l;
	return NULL;
}

/* The header at @idx; the caller has checked R1. */
static void records_header_read(const struct records_walk *w, uint32_t idx,
				struct records_header *h)
{
	const struct rd_format *f = w->src->format;
	const struct records_layout *l = w->layout;
	const uint8_t *p = w->buf + idx;
	uint8_t b = p[l->dict_len + 3];

	h->ts_nsec = rd_u64(f, p + l->ts_nsec);
	h->len = rd_u16(f, p + l->len);
	h->text_len = rd_u16(f, p + l->text_len);
	h->dict_len = rd_u16(f, p + l->dict_len);
	h->facility = p[l->dict_len + 2];
	if (f->byte_order == RD_LITTLE_ENDIAN) {
		h->log_flags = b & 0x1f;
		h->level = b >> 5;
	} else {
		h->log_flags = b >> 3;
		h->level = b & 7;
	}
	h->caller_id = l->has_caller ? rd_u32(f, p + l->caller_id) : 0;
}

/* Where the current segment ends: the buffer end before the wrap. */
static uint32_t records_segment_end(const struct records_walk *w)
{
	return w->ring_wraps && !w->wrapped ? w->buf_len : w->next_idx;
}

/* R1: a header fits at @idx. */
static bool records_header_fits(const struct records_walk *w, uint32_t idx)
{
	return idx % RECORDS_ALIGN == 0 && idx <= w->buf_len - w->layout->size;
}

/*
 * R3-R5 for a non-marker header at @idx; NULL if they hold, else which
 * one failed, written into @why.
 */
static const char *records_check(const struct records_walk *w, uint32_t idx,
				 const struct records_header *h, char *why,
				 size_t why_size)
{
	uint64_t size = w->layout->size;
	uint32_t seg_end = records_segment_end(w);

	// valid R3
	if (h->len < size || h->len % RECORDS_ALIGN) {
		snprintf(why, why_size,
			 "len %u is not a multiple of %d of at least the %" PRIu64 "-byte header",
			 h->len, RECORDS_ALIGN, size);
		return why;
	}
	// valid R4
	if (idx > seg_end || seg_end - idx < h->len) {
		snprintf(why, why_size, "len %u runs past %s 0x%x", h->len,
			 seg_end == w->next_idx ? "log_next_idx" : "log_buf_len",
			 seg_end);
		return why;
	}
	// valid R5
	if ((uint32_t)h->text_len + h->dict_len > h->len - size) {
		snprintf(why, why_size,
			 "text_len %u + dict_len %u exceed len %u - header %" PRIu64,
			 h->text_len, h->dict_len, h->len, size);
		return why;
	}
	return NULL;
}

/*
 * Does a plausible record start at @idx (see (5))?  R1, R3-R5, a
 * timestamp not far before the last good one, and a next position that
 * links up: the end of the log, a wrap marker before the wrap, or a header
 * passing R3-R5.
 */
static bool records_plausible(const struct records_walk *w, uint32_t idx)
{
	struct records_header h, n;
	char why[160];

	if (!records_header_fits(w, idx))
		return false;
	records_header_read(w, idx, &h);
	if (h.len == 0 || records_check(w, idx, &h, why, sizeof(why)))
		return false;
	if (w->have_prev_ts && h.ts_nsec < w->prev_ts &&
	    w->prev_ts - h.ts_nsec > RECORDS_TS_SLACK_NSEC)
		return false;

	uint32_t after = idx + h.len;
	if (after == records_segment_end(w) && after == w->next_idx)
		return true;
	if (!records_header_fits(w, after))
		return false;
	records_header_read(w, after, &n);
	if (n.len == 0)
		return w->ring_wraps && !w->wrapped;
	return !records_check(w, after, &n, why, sizeof(why));
}

/*
 * Skip the corrupt header at @idx (@why says which condition failed) and
 * find the next plausible one.  Returns true with *@idx_ret set to it, or
 * false when none lies before log_next_idx: the walk is over.  Crossing
 * the end of the buffer before the wrap moves to 0, as a marker would.
 */
static bool records_resync(struct records_walk *w, uint32_t idx,
			   const char *why, uint32_t *idx_ret)
{
	uint32_t q = (idx & ~(uint32_t)(RECORDS_ALIGN - 1)) + RECORDS_ALIGN;
	uint64_t skipped_bytes = 0;
	uint32_t from = idx;

	for (;;) {
		uint32_t seg_end = records_segment_end(w);

		if (seg_end == w->next_idx && q >= w->next_idx) {
			records_skip(w,
				"records: record at log_buf+0x%x: %s; no plausible record before log_next_idx 0x%x",
				idx, why, w->next_idx);
			return false;
		}
		if (seg_end != w->next_idx &&
		    (q > seg_end || seg_end - q < w->layout->size)) {
			skipped_bytes += w->buf_len - from;
			w->wrapped = true;
			q = from = 0;
			continue;
		}
		if (records_plausible(w, q))
			break;
		q += RECORDS_ALIGN;
	}
	skipped_bytes += q - from;
	records_skip(w,
		"records: record at log_buf+0x%x: %s; skipped %" PRIu64 " bytes to the next plausible record at 0x%x",
		idx, why, skipped_bytes, q);
	*idx_ret = q;
	return true;
}

/* Position of @idx in log order, counted from log_first_idx. */
static uint64_t records_logical(const struct records_walk *w, uint32_t idx)
{
	return idx >= w->first_idx ? idx - w->first_idx
				   : (uint64_t)idx + w->buf_len - w->first_idx;
}

static struct crash_error *records_emit(struct records_walk *w, uint32_t idx,
					const struct records_header *h)
{
	const uint8_t *text = w->buf + idx + w->layout->size;
	struct printk_record rec = {
		.present = PRINTK_HAS_TS | PRINTK_HAS_LEVEL | PRINTK_HAS_FLAGS,
		.seq = w->seq++,
		.ts_nsec = h->ts_nsec,
		.level = h->level,
		.facility = h->facility,
		.log_flags = h->log_flags,
		.caller_id = h->caller_id,
		.text = text,
		.text_len = h->text_len,
		.dict = text + h->text_len,
		.dict_len = h->dict_len,
	};

	if (w->layout->has_caller)
		rec.present |= PRINTK_HAS_CALLER;
	w->have_prev_ts = true;
	w->prev_ts = h->ts_nsec;
	if (w->use_clear &&
	    records_logical(w, idx) < records_logical(w, w->clear_idx))
		return NULL;
	struct crash_error *err = w->sink->record(w->sink->arg, &rec);
	if (!err)
		w->stats->printed++;
	return err;
}

/* Walk log_first_idx .. log_next_idx, checking R1-R5 (see (3) and (5)). */
static struct crash_error *records_walk_run(struct records_walk *w)
{
	uint32_t min_record = (uint32_t)w->layout->size;
	uint64_t max_steps = w->buf_len / min_record + 2;
	uint32_t idx = w->first_idx;
	char why[160];

	// Records and the marker each count one step; resync scans are bounded
	// separately (see (5)).
	for (uint64_t steps = 0;;) {
		struct records_header h;
		const char *bad = NULL;

		if (idx == w->next_idx && records_segment_end(w) == w->next_idx)
			return NULL;
		if (steps > max_steps) {
			// Cannot happen while R3/R4 hold; kept as the stated bound.
			records_skip(w, "records: walk exceeded %" PRIu64 " records, stopping at log_buf+0x%x",
				     max_steps, idx);
			return NULL;
		}
		if (idx % RECORDS_ALIGN) {
			// valid R1
			snprintf(why, sizeof(why), "offset is not %d-aligned",
				 RECORDS_ALIGN);
			bad = why;
		} else if (!records_header_fits(w, idx)) {
			// valid R1
			snprintf(why, sizeof(why),
				 "a %" PRIu64 "-byte header does not fit before log_buf_len 0x%x",
				 w->layout->size, w->buf_len);
			bad = why;
		} else {
			records_header_read(w, idx, &h);
			if (h.len == 0) {
				// valid R2: one wrap marker, only in a wrapping log
				if (w->ring_wraps && !w->wrapped) {
					w->wrapped = true;
					idx = 0;
					steps++;
					continue;
				}
				snprintf(why, sizeof(why), "%s",
					 w->wrapped ? "a second wrap marker (len 0)"
						    : "a wrap marker (len 0) although log_first_idx <= log_next_idx");
				bad = why;
			} else {
				bad = records_check(w, idx, &h, why, sizeof(why));
			}
		}
		if (bad) {
			if (!records_resync(w, idx, bad, &idx))
				return NULL;
			continue;
		}
		struct crash_error *err = records_emit(w, idx, &h);
		if (err)
			return err;
		idx += h.len;
		steps++;
	}
}

/*
 * options.since_clear: start at clear_idx if it lies in the live log;
 * otherwise the cleared records were already overwritten and, as the
 * kernel does when clear_seq < log_first_seq, everything is printed.
 */
static struct crash_error *records_clear_load(struct records_walk *w)
{
	uint64_t v;
	struct crash_error *err =
		printk_read_var(w->src, "records", "clear_idx", 4, &v);

	if (err && err->code == CRASH_ERR_NOT_FOUND) {
		// 3.5-4.5 kept clear_idx but did not export it.
		crash_error_destroy(err);
		if (w->sink->note)
			w->sink->note(w->sink->arg,
				      "records: VMCOREINFO has no SYMBOL(clear_idx) (exported from 4.6): printing the whole log");
		return NULL;
	}
	if (err)
		return err;

	uint32_t c = (uint32_t)v;
	bool in_log = w->ring_wraps ? c >= w->first_idx || c <= w->next_idx
				    : c >= w->first_idx && c <= w->next_idx;
	if (c >= w->buf_len || !in_log) {
		if (w->sink->note) {
			char msg[200];
			snprintf(msg, sizeof(msg),
				 "records: clear_idx 0x%x is outside the log 0x%x..0x%x: printing the whole log",
				 c, w->first_idx, w->next_idx);
			w->sink->note(w->sink->arg, msg);
		}
		return NULL;
	}
	w->use_clear = true;
	w->clear_idx = c;
	return NULL;
}

static struct crash_error *records_decode(const struct printk_source *src,
					  const struct printk_sink *sink,
					  struct printk_stats *stats)
{
	struct records_layout layout;
	struct records_walk w = {
		.src = src, .sink = sink, .stats = stats, .layout = &layout,
	};
	uint64_t log_buf, buf_len, first, next;
	struct crash_error *err;

	memset(stats, 0, sizeof(*stats));
	stats->format_name = printk_records_decoder.name;
	stats->caller = PRINTK_CALLER_OFF;

	err = records_layout_load(src->vmcoreinfo, &layout);
	if (err)
		return err;
	if (layout.has_caller)
		stats->caller = PRINTK_CALLER_ON;

	if ((err = printk_read_var(src, "records", "log_buf",
				   src->format->ptr_size, &log_buf)) ||
	    (err = printk_read_var(src, "records", "log_buf_len", 4, &buf_len)) ||
	    (err = printk_read_var(src, "records", "log_first_idx", 4, &first)) ||
	    (err = printk_read_var(src, "records", "log_next_idx", 4, &next)))
		return err;
	stats->buffer_size = buf_len;

	// valid B1
	if (buf_len == 0)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "records: log_buf_len is 0");
	if (buf_len > PRINTK_LOG_BUF_MAX)
		return crash_error_create(CRASH_ERR_CORRUPT,
			"records: log_buf_len 0x%" PRIx64 " exceeds the kernel's maximum of 0x%" PRIx64 " bytes",
			buf_len, PRINTK_LOG_BUF_MAX);
	if (src->options.max_buffer && buf_len > src->options.max_buffer)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
			"records: log_buf_len 0x%" PRIx64 " exceeds the buffer limit of 0x%" PRIx64 " bytes",
			buf_len, src->options.max_buffer);
	// valid B2
	if (buf_len < layout.size)
		return crash_error_create(CRASH_ERR_CORRUPT,
			"records: log_buf_len 0x%" PRIx64 " cannot hold one %" PRIu64 "-byte header",
			buf_len, layout.size);
	// valid B3
	if (log_buf == 0)
		return crash_error_fault(0, "records: log_buf is a NULL pointer");
	// valid B4
	if (first >= buf_len || next >= buf_len)
		return crash_error_create(CRASH_ERR_CORRUPT,
			"records: %s 0x%" PRIx64 " is not below log_buf_len 0x%" PRIx64,
			first >= buf_len ? "log_first_idx" : "log_next_idx",
			first >= buf_len ? first : next, buf_len);

	w.buf_len = (uint32_t)buf_len;
	w.first_idx = (uint32_t)first;
	w.next_idx = (uint32_t)next;
	w.ring_wraps = first > next;
	if (src->options.since_clear && (err = records_clear_load(&w)))
		return err;

	uint8_t *buf = malloc(buf_len);
	if (!buf)
		return &crash_enomem;
	// Holes (a truncated dump) are zero-filled and noted; the walk's
	// resync skips the records they break.
	err = printk_read_bulk(src, sink, stats, "log_buf", log_buf, buf,
			       buf_len);
	if (err) {
		free(buf);
		return crash_error_prefix(err, "records");
	}
	w.buf = buf;
	err = records_walk_run(&w);
	free(buf);
	return err;
}

const struct printk_decoder printk_records_decoder = {
	.name = "records",
	.detect = records_detect,
	.decode = records_decode,
};
