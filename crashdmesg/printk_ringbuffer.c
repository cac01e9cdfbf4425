/*
 * printk_ringbuffer.c - the lockless printk ring buffer of Linux 5.10+.
 *
 * Overview
 * --------
 * Since 5.10 (commit 896fbe20b4e2, "printk: use the lockless ringbuffer";
 * states reworked by 4cfc7258f876 in 5.10-rc1) the kernel log is a struct
 * printk_ringbuffer reached through the pointer variable `prb`.  It is made
 * of two rings (kernel/printk/printk_ringbuffer.h):
 *
 *   desc_ring       count = 2^count_bits descriptors (struct prb_desc) and
 *                   a parallel array of count struct printk_info.  A
 *                   descriptor holds state_var and text_blk_lpos {begin,
 *                   next}; the info holds seq, ts_nsec, text_len, facility,
 *                   flags:5/level:3, caller_id and dev_info.
 *   text_data_ring  size = 2^size_bits bytes of data blocks.  A block is
 *                   { unsigned long id; char text[]; }, padded to
 *                   sizeof(long).
 *
 * Both rings count with free-running values: a descriptor ID (the low
 * BITS_PER_LONG-2 bits of a long; index = id % count) and a logical
 * position lpos (an unsigned long; index = lpos % size, wrap number =
 * lpos >> size_bits).  Both start just short of overflow on purpose
 * ("Initiating Logical Value Overflows" in printk_ringbuffer.h): the first
 * ID is -(count+1) & mask, the first lpos -size.  So everything below is
 * modular arithmetic in the *crashed* machine's word, never the host's.
 *
 * state_var is state << (BITS_PER_LONG-2) | id.  States: 0 reserved (a
 * writer owns it), 1 committed (complete; a continuation may still reopen
 * it), 2 finalized (complete for good), 3 reusable (free, data gone).  A
 * descriptor whose state_var carries another ID than the one expected at
 * its index is a "miss".  desc_ring.tail_id is the oldest descriptor,
 * head_id the newest; text_data_ring.tail_lpos the oldest block and
 * head_lpos where the next block will begin.  prb->fail counts
 * reservations that failed outright (their records were never stored).
 *
 * Fields and VMCOREINFO keys (all exported by log_buf_vmcoreinfo_setup()
 * in kernel/printk/printk.c since 5.10; never hard-coded here):
 *
 *   SYMBOL(prb)                 the pointer variable: dereferenced first
 *   SIZE/OFFSET(printk_ringbuffer.{desc_ring,text_data_ring,fail})
 *   SIZE/OFFSET(prb_desc_ring.{count_bits,descs,infos,head_id,tail_id})
 *   SIZE/OFFSET(prb_desc.{state_var,text_blk_lpos})
 *   SIZE/OFFSET(prb_data_blk_lpos.{begin,next})
 *   SIZE/OFFSET(printk_info.{seq,ts_nsec,text_len,caller_id,dev_info})
 *   SIZE/OFFSET(dev_printk_info.{subsystem,device})
 *   LENGTH(printk_info_subsystem), LENGTH(printk_info_device)
 *   SIZE/OFFSET(prb_data_ring.{size_bits,data,head_lpos,tail_lpos})
 *   SIZE(atomic_long_t), OFFSET(atomic_long_t.counter)
 *   SYMBOL(clear_seq), SIZE(latched_seq), OFFSET(latched_seq.val)
 *                               --since-clear only; latched since 5.13
 *                               (commit 7d7a23a91c91)
 *
 * Two fields are not exported: facility is the byte at
 * OFFSET(printk_info.text_len) + 2, and the flags:5/level:3 bitfield byte
 * the one at OFFSET(printk_info.caller_id) - 1.  GCC allocates bitfields
 * from the least significant bit on little-endian targets and from the most
 * significant on big-endian ones, so the byte reads flags = b & 0x1f,
 * level = b >> 5 (LE) or flags = b >> 3, level = b & 7 (BE).  The word size
 * (long, pointers, lpos, state_var) is the dump's: src->format->ptr_size.
 *
 * Validity
 * --------
 * Layout (checked once, before any read; a failure is an error):
 *
 *   L1) every key above is present (except the --since-clear ones); a
 *       missing one is CRASH_ERR_UNSUPPORTED naming it.
 *   L2) every field fits inside the struct that holds it, and each struct
 *       is at most PRB_STRUCT_MAX bytes.
 *   L3) 5 <= size_bits <= 31 (a log buffer is at most 2 GiB,
 *       LOG_BUF_LEN_MAX) and 1 <= count_bits <= size_bits (the kernel uses
 *       count_bits = size_bits - PRB_AVGBITS) and count_bits < ID bits.
 *   L4) the descriptor, info and text arrays together are at most
 *       options.max_buffer bytes (default PRINTK_LOG_BUF_MAX) before they
 *       are allocated, each read once.
 *
 * A record is printed when its descriptor and block satisfy (a failure of
 * V3-V9 skips the record, counts it in stats.skipped and says why):
 *
 *   V1) the state_var ID is the ID expected at this index (else: miss).
 *   V2) the state is committed or finalized.  Reserved, reusable and miss
 *       are skipped silently: they are normal at the head and tail edges;
 *       in the middle they show up as a seq gap (stats.lost).
 *   V3) info.seq % count == index (seqs advance by count per slot reuse,
 *       from the bootstrap infos[0].seq = -count).
 *   V4) seqs strictly increase along the walk, and in the walk from
 *       tail_id by no more than the IDs do: every reservation takes the
 *       next ID and the next seq (prb_reserve()), so one corrupt large seq
 *       is caught alone instead of hiding every record after it.
 *   V5) text_blk_lpos is FAILED_LPOS (begin = next = 1: the text was never
 *       stored: counted lost, no line), EMPTY_LINE_LPOS (begin = next = 3,
 *       NO_LPOS before 6.8: an empty text), or both are aligned to
 *       sizeof(long).  Other data-less values are illegal.
 *   V6) begin and next lie in the window [tail_lpos, head_lpos], modular.
 *   V7) the block is regular, DATA_WRAPS(begin) == DATA_WRAPS(next - 1),
 *       with the text at index(begin) + sizeof(long); or wrapping,
 *       DATA_WRAPS(begin + size) == DATA_WRAPS(next - 1), with the whole
 *       block again at index 0.  Anything else is illegal.  The "next - 1"
 *       is the kernel's own rule since 6.19 (67e1b0052f6b with the fix
 *       cc3bad11de6e): a block ending exactly at the end of the array is
 *       regular and its next lpos is at index 0 of the following wrap.
 *       Older writers wrapped such a block instead, which the same rule
 *       also reads correctly; "begin % size > next % size" does not.
 *   V8) the block holds more than its ID and at most size/2 bytes
 *       (data_check_size() since 6.19; older kernels cap a message at a
 *       quarter of the ring in truncate_msg()).
 *   V9) the block ID stored at index(begin), and for a wrapping block also
 *       at index 0, equals the descriptor ID.
 *
 * text_len is then clamped to the block's text bytes, as copy_data() does
 * (noted, not skipped), and dev_info strings are cut at their first NUL
 * (a full, unterminated field is legal).
 *
 * What a crash leaves half-done
 * -----------------------------
 * - the newest descriptor still reserved (a writer was interrupted), or
 *   the slot after head_id still holding its previous wrap's ID (a miss:
 *   head_id was pushed, state_var not yet written);
 * - the newest record committed but not finalized (a continuation line
 *   still open; the kernel itself reads it in panic since 6.8);
 * - descriptors made reusable ahead of tail_id (data_push_tail()
 *   invalidates them before desc_push_tail() moves the tail), and
 *   head_lpos pushed for a block whose descriptor was never committed;
 * - a corrupt dump: tail_id "after" head_id, lpos outside the ring, a block
 *   overwritten by a later one (ID mismatch), seq garbage.
 *
 * How we resynchronise and report
 * -------------------------------
 * The walk is bounded: n = (head_id - tail_id) & ID mask.  If n < count we
 * visit the n + 1 IDs from tail_id to head_id.  Otherwise tail_id is
 * corrupt: we note it, keep every slot whose state_var ID is congruent to
 * its index and whose state is readable, sort them by info.seq and visit
 * them in that order.  Either way at most count descriptors are visited
 * and each record is checked alone, so one bad record never hides the
 * rest.  A text window wider than the ring is noted and narrowed to the
 * newest size bytes.  Gaps in seq between printed records (minus records
 * skipped for an untrustworthy seq) count as lost, with the note
 * "N records lost before seq S".  --since-clear reads clear_seq (a u64 up
 * to 5.12, a latched_seq since 5.13) and drops records below it; a value
 * beyond the newest record is noted and ignored, a non-zero value older
 * than the oldest record is noted (those records were overwritten).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printk.h"

/*
 * Upper bound on any exported struct we read whole.  The real sizes are
 * 88 bytes or less (printk-formats.md 1.3.1); this only keeps a corrupt
 * SIZE() from turning into a large allocation.
 */
enum { PRB_STRUCT_MAX = 4096 };
/* L3: a text ring of 32 bytes holds one smallest block of each kind. */
enum { PRB_SIZE_BITS_MIN = 5, PRB_SIZE_BITS_MAX = 31 };

/* Descriptor states (enum desc_state in printk_ringbuffer.c). */
enum prb_desc_state {
	PRB_DESC_RESERVED = 0,
	PRB_DESC_COMMITTED = 1,
	PRB_DESC_FINALIZED = 2,
	PRB_DESC_REUSABLE = 3,
};

/* Special lpos values (printk_ringbuffer.h): bit 0 marks them data-less. */
static const uint64_t prb_failed_lpos = 0x1;
static const uint64_t prb_empty_line_lpos = 0x3;
/* The text of an empty record: never NULL, so sinks may memcpy it. */
static const uint8_t prb_no_text[1];

/* The VMCOREINFO layout, in bytes.  Filled by prb_layout_read(). */
struct prb_layout {
	uint64_t rb_size, rb_desc_ring, rb_text_data_ring, rb_fail;
	uint64_t dr_size, dr_count_bits, dr_descs, dr_infos, dr_head_id,
		dr_tail_id;
	uint64_t desc_size, desc_state_var, desc_text_blk_lpos;
	uint64_t lpos_size, lpos_begin, lpos_next;
	uint64_t info_size, info_seq, info_ts_nsec, info_text_len,
		info_caller_id, info_dev_info;
	uint64_t dev_size, dev_subsystem, dev_device, subsystem_len,
		device_len;
	uint64_t data_ring_size, data_size_bits, data_data, data_head_lpos,
		data_tail_lpos;
	uint64_t atomic_size, atomic_counter;
};

enum prb_key_kind { PRB_KEY_SIZE, PRB_KEY_OFFSET, PRB_KEY_LENGTH };

struct prb_key {
	enum prb_key_kind kind;
	const char *name;	/* type (SIZE, OFFSET) or name (LENGTH) */
	const char *member;	/* OFFSET only */
	size_t field;		/* offsetof(struct prb_layout, ...) */
};

#define PRB_L(f) offsetof(struct prb_layout, f)
static const struct prb_key prb_keys[] = {
	{ PRB_KEY_SIZE, "printk_ringbuffer", NULL, PRB_L(rb_size) },
	{ PRB_KEY_OFFSET, "printk_ringbuffer", "desc_ring", PRB_L(rb_desc_ring) },
	{ PRB_KEY_OFFSET, "printk_ringbuffer", "text_data_ring", PRB_L(rb_text_data_ring) },
	{ PRB_KEY_OFFSET, "printk_ringbuffer", "fail", PRB_L(rb_fail) },
	{ PRB_KEY_SIZE, "prb_desc_ring", NULL, PRB_L(dr_size) },
	{ PRB_KEY_OFFSET, "prb_desc_ring", "count_bits", PRB_L(dr_count_bits) },
	{ PRB_KEY_OFFSET, "prb_desc_ring", "descs", PRB_L(dr_descs) },
	{ PRB_KEY_OFFSET, "prb_desc_ring", "infos", PRB_L(dr_infos) },
	{ PRB_KEY_OFFSET, "prb_desc_ring", "head_id", PRB_L(dr_head_id) },
	{ PRB_KEY_OFFSET, "prb_desc_ring", "tail_id", PRB_L(dr_tail_id) },
	{ PRB_KEY_SIZE, "prb_desc", NULL, PRB_L(desc_size) },
	{ PRB_KEY_OFFSET, "prb_desc", "state_var", PRB_L(desc_state_var) },
	{ PRB_KEY_OFFSET, "prb_desc", "text_blk_lpos", PRB_L(desc_text_blk_lpos) },
	{ PRB_KEY_SIZE, "prb_data_blk_lpos", NULL, PRB_L(lpos_size) },
	{ PRB_KEY_OFFSET, "prb_data_blk_lpos", "begin", PRB_L(lpos_begin) },
	{ PRB_KEY_OFFSET, "prb_data_blk_lpos", "next", PRB_L(lpos_next) },
	{ PRB_KEY_SIZE, "printk_info", NULL, PRB_L(info_size) },
	{ PRB_KEY_OFFSET, "printk_info", "seq", PRB_L(info_seq) },
	{ PRB_KEY_OFFSET, "printk_info", "ts_nsec", PRB_L(info_ts_nsec) },
	{ PRB_KEY_OFFSET, "printk_info", "text_len", PRB_L(info_text_len) },
	{ PRB_KEY_OFFSET, "printk_info", "caller_id", PRB_L(info_caller_id) },
	{ PRB_KEY_OFFSET, "printk_info", "dev_info", PRB_L(info_dev_info) },
	{ PRB_KEY_SIZE, "dev_printk_info", NULL, PRB_L(dev_size) },
	{ PRB_KEY_OFFSET, "dev_printk_info", "subsystem", PRB_L(dev_subsystem) },
	{ PRB_KEY_OFFSET, "dev_printk_info", "device", PRB_L(dev_device) },
	{ PRB_KEY_LENGTH, "printk_info_subsystem", NULL, PRB_L(subsystem_len) },
	{ PRB_KEY_LENGTH, "printk_info_device", NULL, PRB_L(device_len) },
	{ PRB_KEY_SIZE, "prb_data_ring", NULL, PRB_L(data_ring_size) },
	{ PRB_KEY_OFFSET, "prb_data_ring", "size_bits", PRB_L(data_size_bits) },
	{ PRB_KEY_OFFSET, "prb_data_ring", "data", PRB_L(data_data) },
	{ PRB_KEY_OFFSET, "prb_data_ring", "head_lpos", PRB_L(data_head_lpos) },
	{ PRB_KEY_OFFSET, "prb_data_ring", "tail_lpos", PRB_L(data_tail_lpos) },
	{ PRB_KEY_SIZE, "atomic_long_t", NULL, PRB_L(atomic_size) },
	{ PRB_KEY_OFFSET, "atomic_long_t", "counter", PRB_L(atomic_counter) },
};
#undef PRB_L

/* Everything one decode() call knows; lives on its stack. */
struct prb_reader {
	const struct printk_source *src;
	const struct printk_sink *sink;
	struct printk_stats *stats;
	const struct rd_format *f;
	struct prb_layout l;

	unsigned int ptr_size;
	uint64_t word_mask;	/* the crashed kernel's unsigned long */
	uint64_t id_mask;	/* DESC_ID_MASK */
	unsigned int sv_shift;	/* DESC_FLAGS_SHIFT = BITS_PER_LONG - 2 */

	uint32_t count_bits, size_bits;
	uint64_t count, size;
	uint64_t head_id, tail_id;
	uint64_t head_lpos, tail_lpos;

	/* The three arrays, read on demand (struct printk_array). */
	struct printk_array *descs, *infos, *data;

	/* The walk. */
	bool linear;		/* from tail_id to head_id, IDs trusted */
	bool have_prev, have_prev_id;
	uint64_t prev_seq, prev_id;
	uint64_t untrusted_skips;	/* skipped since prev_seq, seq unknown */
	bool since_clear;
	uint64_t clear_seq;
};

__attribute__((format(printf, 2, 3)))
static void prb_note(struct prb_reader *r, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	if (!r->sink->note)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	r->sink->note(r->sink->arg, message);
}

/* A record skipped as corrupt: counted, the first reason kept, noted. */
__attribute__((format(printf, 2, 3)))
static void prb_skip(struct prb_reader *r, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (r->stats->skipped++ == 0)
		snprintf(r->stats->first_skip_reason,
			 sizeof(r->stats->first_skip_reason), "%s", message);
	if (r->sink->note)
		r->sink->note(r->sink->arg, message);
}

/* L1: every key, by the table; a missing key is named. */
static struct crash_error *prb_layout_read(const struct vmcoreinfo *vi,
					   struct prb_layout *l)
{
	for (size_t i = 0; i < sizeof(prb_keys) / sizeof(prb_keys[0]); i++) {
		const struct prb_key *k = &prb_keys[i];
		uint64_t *ret = (uint64_t *)((char *)l + k->field);
		struct crash_error *err;
		char key[128];

		switch (k->kind) {
		case PRB_KEY_SIZE:
			err = vmcoreinfo_size(vi, k->name, ret);
			snprintf(key, sizeof(key), "SIZE(%s)", k->name);
			break;
		case PRB_KEY_OFFSET:
			err = vmcoreinfo_offset(vi, k->name, k->member, ret);
			snprintf(key, sizeof(key), "OFFSET(%s.%s)", k->name,
				 k->member);
			break;
		default:
			err = vmcoreinfo_length(vi, k->name, ret);
			snprintf(key, sizeof(key), "LENGTH(%s)", k->name);
			break;
		}
		if (crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
			return crash_error_create(CRASH_ERR_UNSUPPORTED,
						  "ringbuffer: VMCOREINFO lacks %s",
						  key);
		if (err)
			return crash_error_prefix(err, "ringbuffer");
		if (k->kind == PRB_KEY_SIZE && *ret > PRB_STRUCT_MAX)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "ringbuffer: %s=%" PRIu64 " exceeds the %d bytes a ring structure may have",
						  key, *ret, PRB_STRUCT_MAX);
	}
	return NULL;
}

/* L2: OFFSET(@type.@member) plus @field_size bytes inside SIZE(@type). */
static struct crash_error *prb_layout_fits(const char *type, const char *member,
					   uint64_t offset, uint64_t field_size,
					   uint64_t object_size)
{
	if (rd_field_fits(offset, field_size, object_size))
		return NULL;
	return crash_error_create(CRASH_ERR_CORRUPT,
				  "ringbuffer: OFFSET(%s.%s)=%" PRIu64 " and its %" PRIu64 " bytes do not fit in SIZE(%s)=%" PRIu64,
				  type, member, offset, field_size, type,
				  object_size);
}

static struct crash_error *prb_layout_check(const struct prb_layout *l,
					    unsigned int ptr)
{
	struct {
		const char *type, *member;
		uint64_t offset, size, object_size;
	} fits[] = {
		{ "atomic_long_t", "counter", l->atomic_counter, ptr, l->atomic_size },
		{ "printk_ringbuffer", "desc_ring", l->rb_desc_ring, l->dr_size, l->rb_size },
		{ "printk_ringbuffer", "text_data_ring", l->rb_text_data_ring, l->data_ring_size, l->rb_size },
		{ "printk_ringbuffer", "fail", l->rb_fail, l->atomic_size, l->rb_size },
		{ "prb_desc_ring", "count_bits", l->dr_count_bits, 4, l->dr_size },
		{ "prb_desc_ring", "descs", l->dr_descs, ptr, l->dr_size },
		{ "prb_desc_ring", "infos", l->dr_infos, ptr, l->dr_size },
		{ "prb_desc_ring", "head_id", l->dr_head_id, l->atomic_size, l->dr_size },
		{ "prb_desc_ring", "tail_id", l->dr_tail_id, l->atomic_size, l->dr_size },
		{ "prb_data_ring", "size_bits", l->data_size_bits, 4, l->data_ring_size },
		{ "prb_data_ring", "data", l->data_data, ptr, l->data_ring_size },
		{ "prb_data_ring", "head_lpos", l->data_head_lpos, l->atomic_size, l->data_ring_size },
		{ "prb_data_ring", "tail_lpos", l->data_tail_lpos, l->atomic_size, l->data_ring_size },
		{ "prb_desc", "state_var", l->desc_state_var, l->atomic_size, l->desc_size },
		{ "prb_desc", "text_blk_lpos", l->desc_text_blk_lpos, l->lpos_size, l->desc_size },
		{ "prb_data_blk_lpos", "begin", l->lpos_begin, ptr, l->lpos_size },
		{ "prb_data_blk_lpos", "next", l->lpos_next, ptr, l->lpos_size },
		{ "printk_info", "seq", l->info_seq, 8, l->info_size },
		{ "printk_info", "ts_nsec", l->info_ts_nsec, 8, l->info_size },
		// u16 text_len, then the unexported u8 facility.
		{ "printk_info", "text_len", l->info_text_len, 3, l->info_size },
		{ "printk_info", "caller_id", l->info_caller_id, 4, l->info_size },
		{ "printk_info", "dev_info", l->info_dev_info, l->dev_size, l->info_size },
		{ "dev_printk_info", "subsystem", l->dev_subsystem, l->subsystem_len, l->dev_size },
		{ "dev_printk_info", "device", l->dev_device, l->device_len, l->dev_size },
	};

	for (size_t i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
		struct crash_error *err = prb_layout_fits(fits[i].type,
							  fits[i].member,
							  fits[i].offset,
							  fits[i].size,
							  fits[i].object_size);
		if (err)
			return err;
	}
	// The flags:5/level:3 byte sits just before caller_id.
	if (l->info_caller_id == 0)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "ringbuffer: OFFSET(printk_info.caller_id)=0 leaves no room for the flags and level byte before it");
	return NULL;
}

/* Read @size bytes at @vaddr; a failure says what was being read. */
static struct crash_error *prb_read(const struct prb_reader *r, uint64_t vaddr,
				    void *buf, size_t size, const char *what)
{
	return crash_error_prefix(r->src->read_kv(r->src->arg, vaddr, buf, size),
				  "ringbuffer: reading %s (%zu bytes) at 0x%" PRIx64,
				  what, size, vaddr);
}

/*
 * A pointer array of the ring: non-NULL, then read on demand.  Holes (a
 * truncated dump) are zero-filled and noted: the records they break fail
 * their own checks and are skipped one by one.
 */
static struct crash_error *prb_array_init(const struct prb_reader *r,
					  struct printk_array *a,
					  uint64_t vaddr, uint64_t size,
					  const char *what)
{
	if (vaddr == 0)
		return crash_error_fault(0, "ringbuffer: %s is a NULL pointer",
					 what);
	return crash_error_prefix(printk_array_init(a, r->src, r->sink,
						    r->stats, what, vaddr,
						    size),
				  "ringbuffer");
}

static uint64_t prb_atomic(const struct prb_reader *r, const uint8_t *p)
{
	return rd_ptr(r->f, p + r->l.atomic_counter);
}

static const uint8_t *prb_desc(const struct prb_reader *r, uint64_t index)
{
	return printk_array_get(r->descs, index * r->l.desc_size,
				r->l.desc_size);
}

static const uint8_t *prb_info(const struct prb_reader *r, uint64_t index)
{
	return printk_array_get(r->infos, index * r->l.info_size,
				r->l.info_size);
}

static uint64_t prb_state_var(const struct prb_reader *r, uint64_t index)
{
	return prb_atomic(r, prb_desc(r, index) + r->l.desc_state_var) &
	       r->word_mask;
}

static unsigned int prb_state(const struct prb_reader *r, uint64_t sv)
{
	return (unsigned int)(sv >> r->sv_shift) & 3;
}

static bool prb_readable(unsigned int state)
{
	return state == PRB_DESC_COMMITTED || state == PRB_DESC_FINALIZED;
}

static uint64_t prb_seq(const struct prb_reader *r, uint64_t index)
{
	return rd_u64(r->f, prb_info(r, index) + r->l.info_seq);
}

static uint64_t prb_wraps(const struct prb_reader *r, uint64_t lpos)
{
	return (lpos & r->word_mask) >> r->size_bits;
}

static uint64_t prb_index(const struct prb_reader *r, uint64_t lpos)
{
	return lpos & (r->size - 1);
}

/*
 * prb_block() - the text of the block [@begin, @next) of descriptor @id.
 * Checks V5 (alignment; the special values are handled by the caller),
 * V6, V7, V8 and V9.  Returns false with the reason in @why for a block
 * that breaks one; repairs nothing.  On success *@text_ret points into the
 * text ring and *@size_ret is the number of text bytes after the ID.
 */
static bool prb_block(const struct prb_reader *r, uint64_t id, uint64_t begin,
		      uint64_t next, const uint8_t **text_ret,
		      uint64_t *size_ret, char *why, size_t why_size)
{
	uint64_t wm = r->word_mask, window, block, offset, stored;
	bool wrapping = false;

	// V5: data-less values other than the two special ones are illegal.
	if ((begin & 1) && (next & 1)) {
		snprintf(why, why_size,
			 "is data-less but neither FAILED_LPOS nor EMPTY_LINE_LPOS");
		return false;
	}
	// V5: a block starts and ends on an ID boundary.
	if ((begin | next) & (r->ptr_size - 1)) {
		snprintf(why, why_size, "is not aligned to %u bytes",
			 r->ptr_size);
		return false;
	}
	// V6: inside [tail_lpos, head_lpos], compared as distances from tail.
	window = (r->head_lpos - r->tail_lpos) & wm;
	if (((begin - r->tail_lpos) & wm) > window ||
	    ((next - r->tail_lpos) & wm) > window) {
		snprintf(why, why_size,
			 "lies outside the text ring window [0x%" PRIx64 ", 0x%" PRIx64 "]",
			 r->tail_lpos, r->head_lpos);
		return false;
	}
	// V7: regular, wrapping, or illegal, by the kernel's get_data().
	if (prb_wraps(r, begin) == prb_wraps(r, next - 1)) {
		block = (next - begin) & wm;
		offset = prb_index(r, begin);
	} else if (prb_wraps(r, begin + r->size) == prb_wraps(r, next - 1)) {
		block = prb_index(r, next);
		offset = 0;
		wrapping = true;
	} else {
		snprintf(why, why_size,
			 "is neither a regular nor a wrapping block");
		return false;
	}
	// V8: more than the ID, at most half the ring.
	if (block <= r->ptr_size || block > r->size / 2) {
		snprintf(why, why_size,
			 "makes a %" PRIu64 "-byte block, not between %u and %" PRIu64 " bytes",
			 block, r->ptr_size + 1, r->size / 2);
		return false;
	}
	// Implied by V7 and V8; kept so no corrupt value can reach memory.
	if (offset > r->size || r->size - offset < block) {
		snprintf(why, why_size, "runs past the end of the text ring");
		return false;
	}
	// V9: the block names its descriptor, at begin and (wrapping) at 0.
	stored = rd_ptr(r->f, printk_array_get(r->data, prb_index(r, begin),
					       r->ptr_size));
	if (stored == id && wrapping)
		stored = rd_ptr(r->f, printk_array_get(r->data, 0, r->ptr_size));
	if (stored != id) {
		snprintf(why, why_size,
			 "holds block ID 0x%" PRIx64 ", not the descriptor's 0x%" PRIx64,
			 stored, id);
		return false;
	}
	*text_ret = printk_array_get(r->data, offset + r->ptr_size,
				     block - r->ptr_size);
	*size_ret = block - r->ptr_size;
	return true;
}

/* A dev_info string: LENGTH bytes, cut at the first NUL. */
static size_t prb_cstr_len(const uint8_t *p, uint64_t max)
{
	const uint8_t *nul = memchr(p, 0, max);

	return nul ? (size_t)(nul - p) : (size_t)max;
}

/*
 * prb_visit() - check descriptor @id (V1-V9) and hand its record to the
 * sink.  Returns only the sink's error; everything else is counted.
 */
static struct crash_error *prb_visit(struct prb_reader *r, uint64_t id)
{
	const struct prb_layout *l = &r->l;
	uint64_t index = id & (r->count - 1);
	const uint8_t *desc = prb_desc(r, index), *info = prb_info(r, index);
	uint64_t sv = prb_state_var(r, index), seq, begin, next, size, low;
	struct printk_record rec;
	const uint8_t *text = prb_no_text;
	uint8_t bits;
	char why[160];

	// V1, V2: misses, reserved and reusable descriptors are not records.
	if ((sv & r->id_mask) != id || !prb_readable(prb_state(r, sv)))
		return NULL;

	seq = prb_seq(r, index);
	// V3
	if ((seq & (r->count - 1)) != index) {
		r->untrusted_skips++;
		prb_skip(r, "desc_ring index %" PRIu64 " (id 0x%" PRIx64 "): info.seq %" PRIu64 " is not congruent to the index modulo %" PRIu64 ": skipped",
			 index, id, seq, r->count);
		return NULL;
	}
	// --since-clear: records before clear_seq are of no interest.
	if (r->since_clear && seq < r->clear_seq)
		return NULL;
	// V4
	if (r->have_prev && seq <= r->prev_seq) {
		r->untrusted_skips++;
		prb_skip(r, "desc_ring index %" PRIu64 " (id 0x%" PRIx64 "): info.seq %" PRIu64 " does not follow seq %" PRIu64 ": skipped",
			 index, id, seq, r->prev_seq);
		return NULL;
	}
	if (r->linear && r->have_prev_id &&
	    seq - r->prev_seq > ((id - r->prev_id) & r->id_mask)) {
		r->untrusted_skips++;
		prb_skip(r, "desc_ring index %" PRIu64 " (id 0x%" PRIx64 "): info.seq %" PRIu64 " is %" PRIu64 " past seq %" PRIu64 " but its ID only %" PRIu64 ": skipped",
			 index, id, seq, seq - r->prev_seq, r->prev_seq,
			 (id - r->prev_id) & r->id_mask);
		return NULL;
	}
	// seq is trusted from here: account for the gap before it.
	if (r->have_prev) {
		low = r->prev_seq + 1;
		if (r->since_clear && low < r->clear_seq)
			low = r->clear_seq;
		uint64_t gap = seq > low ? seq - low : 0;
		gap -= gap < r->untrusted_skips ? gap : r->untrusted_skips;
		if (gap) {
			r->stats->lost += gap;
			prb_note(r, "%" PRIu64 " records lost before seq %" PRIu64,
				 gap, seq);
		}
	}
	r->untrusted_skips = 0;
	r->have_prev = r->have_prev_id = true;
	r->prev_seq = seq;
	r->prev_id = id;

	memset(&rec, 0, sizeof(rec));
	begin = rd_ptr(r->f, desc + l->desc_text_blk_lpos + l->lpos_begin);
	next = rd_ptr(r->f, desc + l->desc_text_blk_lpos + l->lpos_next);
	if (begin == prb_failed_lpos && next == prb_failed_lpos) {
		// V5: the kernel could not store the text; its readers skip it.
		r->stats->lost++;
		prb_note(r, "seq %" PRIu64 ": text lost (FAILED_LPOS)", seq);
		return NULL;
	}
	if (begin == prb_empty_line_lpos && next == prb_empty_line_lpos) {
		size = 0;	// V5: an empty line (NO_LPOS before 6.8)
	} else if (!prb_block(r, id, begin, next, &text, &size, why,
			      sizeof(why))) {
		prb_skip(r, "seq %" PRIu64 ": text_blk_lpos 0x%" PRIx64 "-0x%" PRIx64 " %s: skipped",
			 seq, begin, next, why);
		return NULL;
	}

	rec.present = PRINTK_HAS_SEQ | PRINTK_HAS_TS | PRINTK_HAS_LEVEL |
		      PRINTK_HAS_CALLER | PRINTK_HAS_FLAGS;
	rec.seq = seq;
	rec.ts_nsec = rd_u64(r->f, info + l->info_ts_nsec);
	rec.text = text;
	rec.text_len = rd_u16(r->f, info + l->info_text_len);
	if (rec.text_len > size) {
		// As copy_data(): a text_len beyond the block is truncation.
		prb_note(r, "seq %" PRIu64 ": text_len %zu exceeds the %" PRIu64 " text bytes of its block: truncated",
			 seq, rec.text_len, size);
		rec.text_len = (size_t)size;
	}
	rec.facility = info[l->info_text_len + 2];
	bits = info[l->info_caller_id - 1];
	if (r->f->byte_order == RD_LITTLE_ENDIAN) {
		rec.log_flags = bits & 0x1f;
		rec.level = bits >> 5;
	} else {
		rec.log_flags = bits >> 3;
		rec.level = bits & 7;
	}
	rec.caller_id = rd_u32(r->f, info + l->info_caller_id);
	rec.subsystem = info + l->info_dev_info + l->dev_subsystem;
	rec.subsystem_len = prb_cstr_len(rec.subsystem, l->subsystem_len);
	rec.device = info + l->info_dev_info + l->dev_device;
	rec.device_len = prb_cstr_len(rec.device, l->device_len);

	struct crash_error *err = r->sink->record(r->sink->arg, &rec);
	if (err)
		return err;
	if (r->stats->printed++ == 0)
		r->stats->first_seq = seq;
	r->stats->next_seq = seq + 1;
	r->stats->has_seq_range = true;
	return NULL;
}

struct prb_slot {
	uint64_t seq;
	uint64_t index;
};

static int prb_slot_cmp(const void *a, const void *b)
{
	const struct prb_slot *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * tail_id is corrupt: visit every readable slot whose state_var ID is
 * congruent to its index (V1 for the ID it claims), in info.seq order.
 */
static struct crash_error *prb_walk_sorted(struct prb_reader *r)
{
	struct prb_slot *slots = malloc(r->count * sizeof(*slots));
	struct crash_error *err = NULL;
	uint64_t n = 0;

	if (!slots)
		return &crash_enomem;
	for (uint64_t index = 0; index < r->count; index++) {
		uint64_t sv = prb_state_var(r, index);

		if (((sv & r->id_mask) & (r->count - 1)) != index ||
		    !prb_readable(prb_state(r, sv)))
			continue;
		slots[n].seq = prb_seq(r, index);
		slots[n].index = index;
		n++;
	}
	qsort(slots, n, sizeof(*slots), prb_slot_cmp);
	for (uint64_t i = 0; i < n && !err; i++)
		err = prb_visit(r, prb_state_var(r, slots[i].index) &
				   r->id_mask);
	free(slots);
	return err;
}

/* Bounded walk (see "How we resynchronise" above): at most count visits. */
static struct crash_error *prb_walk(struct prb_reader *r)
{
	uint64_t n = (r->head_id - r->tail_id) & r->id_mask;
	struct crash_error *err = NULL;

	if (n >= r->count) {
		prb_note(r, "desc_ring: tail_id 0x%" PRIx64 " is 0x%" PRIx64 " IDs behind head_id 0x%" PRIx64 ", not fewer than the %" PRIu64 " descriptors: scanning every descriptor by seq",
			 r->tail_id, n, r->head_id, r->count);
		return prb_walk_sorted(r);
	}
	r->linear = true;
	for (uint64_t i = 0; i <= n && !err; i++)
		err = prb_visit(r, (r->tail_id + i) & r->id_mask);
	return err;
}

/*
 * --since-clear: read clear_seq, a u64 (5.10-5.12) or a latched_seq
 * (5.13+: { seqcount_latch_t latch; u64 val[2]; }, readers take
 * val[latch.sequence & 1], latched_seq_read_nolock()).  Any problem is
 * noted and the whole log printed: a missing filter loses nothing.
 */
static void prb_clear_seq(struct prb_reader *r)
{
	const struct vmcoreinfo *vi = r->src->vmcoreinfo;
	uint64_t addr, size, val_offset = 0, clear, min = UINT64_MAX, max = 0;
	uint8_t buf[PRB_STRUCT_MAX];
	struct crash_error *err;
	bool any = false, latched;

	err = vmcoreinfo_symbol(vi, "clear_seq", &addr);
	if (err) {
		prb_note(r, "--since-clear: %s: printing the whole log",
			 crash_error_catch(&err, CRASH_ERR_NOT_FOUND) ?
			 "VMCOREINFO lacks SYMBOL(clear_seq)" : err->message);
		crash_error_destroy(err);
		return;
	}
	err = vmcoreinfo_size(vi, "latched_seq", &size);
	latched = !crash_error_catch(&err, CRASH_ERR_NOT_FOUND);
	if (!latched) {
		size = 8;
	} else if (!err) {
		err = vmcoreinfo_offset(vi, "latched_seq", "val", &val_offset);
		if (crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "VMCOREINFO has SIZE(latched_seq) but lacks OFFSET(latched_seq.val)");
		else if (!err && (size > sizeof(buf) ||
				  !rd_field_fits(val_offset, 16, size)))
			err = crash_error_create(CRASH_ERR_CORRUPT,
						 "OFFSET(latched_seq.val)=%" PRIu64 " and its 16 bytes do not fit in SIZE(latched_seq)=%" PRIu64,
						 val_offset, size);
	}
	if (!err)
		err = prb_read(r, addr, buf, (size_t)size, "clear_seq");
	if (err) {
		prb_note(r, "--since-clear: %s: printing the whole log",
			 err->message);
		crash_error_destroy(err);
		return;
	}
	// The latch sequence is the u32 at offset 0 (seqcount_t.sequence).
	if (latched)
		clear = rd_u64(r->f, buf + val_offset +
				     8 * (rd_u32(r->f, buf) & 1));
	else
		clear = rd_u64(r->f, buf);

	// Compare with the records present (at most count slots).
	for (uint64_t index = 0; index < r->count; index++) {
		uint64_t sv = prb_state_var(r, index), seq = prb_seq(r, index);

		if (!prb_readable(prb_state(r, sv)) ||
		    (seq & (r->count - 1)) != index)
			continue;
		any = true;
		min = seq < min ? seq : min;
		max = seq > max ? seq : max;
	}
	if (any && max != UINT64_MAX && clear > max + 1) {
		prb_note(r, "clear_seq %" PRIu64 " is beyond the next seq %" PRIu64 ": printing the whole log",
			 clear, max + 1);
		return;
	}
	// 0 means never cleared: not worth a note.
	if (any && clear < min && clear > 0)
		prb_note(r, "clear_seq %" PRIu64 " is older than the oldest record, seq %" PRIu64 ": printing from there",
			 clear, min);
	r->since_clear = true;
	r->clear_seq = clear;
	// Records lost between clear_seq and the first one kept are counted.
	if (any && clear >= min && clear > 0) {
		r->have_prev = true;
		r->prev_seq = clear - 1;
	}
}

/* L3, L4 and the reads of the three arrays. */
static struct crash_error *prb_rings_read(struct prb_reader *r,
					  const uint8_t *rb)
{
	const struct prb_layout *l = &r->l;
	const uint8_t *dr = rb + l->rb_desc_ring, *tr = rb + l->rb_text_data_ring;
	uint64_t descs, infos, data, per_desc, total, limit, max_count_bits;
	struct crash_error *err;

	r->count_bits = rd_u32(r->f, dr + l->dr_count_bits);
	r->size_bits = rd_u32(r->f, tr + l->data_size_bits);
	// L3, before any shift.
	if (r->size_bits < PRB_SIZE_BITS_MIN || r->size_bits > PRB_SIZE_BITS_MAX)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "ringbuffer: prb_data_ring.size_bits %" PRIu32 " is out of range %d..%d",
					  r->size_bits, PRB_SIZE_BITS_MIN,
					  PRB_SIZE_BITS_MAX);
	max_count_bits = r->size_bits < r->sv_shift - 1 ? r->size_bits :
							  r->sv_shift - 1;
	if (r->count_bits < 1 || r->count_bits > max_count_bits)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "ringbuffer: prb_desc_ring.count_bits %" PRIu32 " is out of range 1..%" PRIu64,
					  r->count_bits, max_count_bits);
	r->count = (uint64_t)1 << r->count_bits;
	r->size = (uint64_t)1 << r->size_bits;

	// L4: checked products; the sizes are <= PRB_STRUCT_MAX, count <= 2^31.
	limit = r->src->options.max_buffer ? r->src->options.max_buffer :
					     PRINTK_LOG_BUF_MAX;
	per_desc = l->desc_size + l->info_size;
	if (__builtin_mul_overflow(r->count, per_desc, &total) ||
	    __builtin_add_overflow(total, r->size, &total) || total > limit)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "ringbuffer: %" PRIu64 " descriptors of %" PRIu64 "+%" PRIu64 " bytes and a %" PRIu64 "-byte text ring exceed the limit of %" PRIu64 " bytes",
					  r->count, l->desc_size, l->info_size,
					  r->size, limit);

	descs = rd_ptr(r->f, dr + l->dr_descs);
	infos = rd_ptr(r->f, dr + l->dr_infos);
	data = rd_ptr(r->f, tr + l->data_data);
	r->head_id = prb_atomic(r, dr + l->dr_head_id) & r->id_mask;
	r->tail_id = prb_atomic(r, dr + l->dr_tail_id) & r->id_mask;
	r->head_lpos = prb_atomic(r, tr + l->data_head_lpos) & r->word_mask;
	r->tail_lpos = prb_atomic(r, tr + l->data_tail_lpos) & r->word_mask;

	err = prb_array_init(r, r->descs, descs, r->count * l->desc_size,
			     "prb_desc_ring.descs");
	if (!err)
		err = prb_array_init(r, r->infos, infos,
				     r->count * l->info_size,
				     "prb_desc_ring.infos");
	if (!err)
		err = prb_array_init(r, r->data, data, r->size,
				     "prb_data_ring.data");
	return err;
}

static struct crash_error *prb_decode(const struct printk_source *src,
				      const struct printk_sink *sink,
				      struct printk_stats *stats)
{
	struct printk_array descs = {0}, infos = {0}, data = {0};
	struct prb_reader r = { .src = src, .sink = sink, .stats = stats,
				.f = src->format, .descs = &descs,
				.infos = &infos, .data = &data };
	uint8_t rb[PRB_STRUCT_MAX];
	uint64_t prb_addr, rb_addr;
	struct crash_error *err;
	uint8_t ptr_buf[8];

	memset(stats, 0, sizeof(*stats));
	stats->format_name = printk_ringbuffer_decoder.name;
	stats->caller = PRINTK_CALLER_UNKNOWN;

	r.ptr_size = src->format->ptr_size;
	if (r.ptr_size != 4 && r.ptr_size != 8)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "ringbuffer: pointer size %u is not 4 or 8",
					  r.ptr_size);
	r.word_mask = r.ptr_size == 8 ? UINT64_MAX : UINT32_MAX;
	r.sv_shift = 8 * r.ptr_size - 2;
	r.id_mask = ((uint64_t)1 << r.sv_shift) - 1;

	err = vmcoreinfo_symbol(src->vmcoreinfo, "prb", &prb_addr);
	if (crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		return crash_error_create(CRASH_ERR_NOT_FOUND,
					  "ringbuffer: VMCOREINFO lacks SYMBOL(prb)");
	if (err)
		return crash_error_prefix(err, "ringbuffer");
	err = prb_layout_read(src->vmcoreinfo, &r.l);
	if (!err)
		err = prb_layout_check(&r.l, r.ptr_size);
	if (err)
		return err;

	// prb is a pointer variable (printk_rb_static or printk_rb_dynamic).
	err = prb_read(&r, prb_addr, ptr_buf, r.ptr_size, "prb");
	if (err)
		return err;
	rb_addr = rd_ptr(r.f, ptr_buf);
	if (rb_addr == 0)
		return crash_error_fault(0, "ringbuffer: prb at 0x%" PRIx64 " is a NULL pointer",
					 prb_addr);
	err = prb_read(&r, rb_addr, rb, (size_t)r.l.rb_size, "printk_ringbuffer");
	if (err)
		return err;
	stats->has_fail_count = true;
	stats->fail_count = prb_atomic(&r, rb + r.l.rb_fail) & r.word_mask;

	err = prb_rings_read(&r, rb);
	if (err)
		goto out;
	stats->buffer_size = r.size;

	if (((r.head_lpos - r.tail_lpos) & r.word_mask) > r.size) {
		uint64_t narrowed = (r.head_lpos - r.size) & r.word_mask;

		prb_note(&r, "text_data_ring: head_lpos 0x%" PRIx64 " is 0x%" PRIx64 " bytes past tail_lpos 0x%" PRIx64 ", more than the %" PRIu64 "-byte ring: checking blocks against the last %" PRIu64 " bytes",
			 r.head_lpos, (r.head_lpos - r.tail_lpos) & r.word_mask,
			 r.tail_lpos, r.size, r.size);
		r.tail_lpos = narrowed;
	}
	if (src->options.since_clear)
		prb_clear_seq(&r);
	err = prb_walk(&r);
out:
	printk_array_deinit(&descs);
	printk_array_deinit(&infos);
	printk_array_deinit(&data);
	return err;
}

static bool prb_detect(const struct vmcoreinfo *vi)
{
	return vmcoreinfo_has(vi, "SYMBOL(prb)");
}

const struct printk_decoder printk_ringbuffer_decoder = {
	.name = "ringbuffer",
	.detect = prb_detect,
	.decode = prb_decode,
};
