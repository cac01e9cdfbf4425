/*
 * printk_ringbuffer_test.c - the 5.10+ decoder against rings built in memory.
 *
 * A tiny writer (w_*) follows the kernel's rules in
 * kernel/printk/printk_ringbuffer.c: the bootstrap descriptor and the
 * initial values just short of overflow, desc_reserve() pushing the
 * descriptor tail, data_alloc() pushing the data tail and making the
 * overwritten descriptors reusable, wrapping blocks stored again at index 0,
 * commit, and finalization of the previous record when the next is
 * reserved.  It writes into a byte image of "kernel memory" in the target's
 * byte order and word size (64-bit LE and 32-bit BE layouts below, each
 * described to the decoder by hand-written VMCOREINFO), and
 * src->read_kv() reads from that image.
 *
 * Like the kernel's printk_ringbuffer_kunit_test.c, every record's text
 * encodes its own seq ("<seq>" then a fill byte derived from seq), so any
 * record the decoder returns can be checked alone.  The writer has two data
 * allocation rules: the 6.19 one (67e1b0052f6b: a block may end exactly at
 * the end of the array) and the one before it (such a block wraps).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../crashdmesg/printk.h"
#include "../../lib/rd.h"
#include "../../lib/vmcoreinfo.h"
#include "test.h"

/* Kernel struct layouts of the crashed machine, as VMCOREINFO says them. */
struct tlayout {
	struct rd_format f;
	uint64_t base;		/* where the image starts in kernel memory */
	unsigned rb_size, rb_desc_ring, rb_text_data_ring, rb_fail;
	unsigned dr_size, dr_count_bits, dr_descs, dr_infos, dr_head_id,
		dr_tail_id;
	unsigned desc_size, desc_state_var, desc_lpos;
	unsigned lpos_size, lpos_begin, lpos_next;
	unsigned info_size, info_seq, info_ts, info_text_len, info_caller_id,
		info_dev_info;
	unsigned dev_size, dev_subsystem, dev_device, subsystem_len,
		device_len;
	unsigned tr_size, tr_size_bits, tr_data, tr_head_lpos, tr_tail_lpos;
	unsigned atomic_size, atomic_counter;
	unsigned latched_size, latched_val;
};

/* x86_64 as in 6.x (printk-formats.md 1.3.1). */
static const struct tlayout le64 = {
	.f = { RD_LITTLE_ENDIAN, 8 }, .base = 0xffff888001000000,
	.rb_size = 88, .rb_desc_ring = 0, .rb_text_data_ring = 48, .rb_fail = 80,
	.dr_size = 48, .dr_count_bits = 0, .dr_descs = 8, .dr_infos = 16,
	.dr_head_id = 24, .dr_tail_id = 32,
	.desc_size = 24, .desc_state_var = 0, .desc_lpos = 8,
	.lpos_size = 16, .lpos_begin = 0, .lpos_next = 8,
	.info_size = 88, .info_seq = 0, .info_ts = 8, .info_text_len = 16,
	.info_caller_id = 20, .info_dev_info = 24,
	.dev_size = 64, .dev_subsystem = 0, .dev_device = 16,
	.subsystem_len = 16, .device_len = 48,
	.tr_size = 32, .tr_size_bits = 0, .tr_data = 8, .tr_head_lpos = 16,
	.tr_tail_lpos = 24,
	.atomic_size = 8, .atomic_counter = 0,
	.latched_size = 24, .latched_val = 8,
};

/*
 * A 32-bit big-endian machine (ppc32-like: u64 aligned to 8, so the
 * unexported last_finalized_seq pads prb_desc_ring to 32 bytes).
 */
static const struct tlayout be32 = {
	.f = { RD_BIG_ENDIAN, 4 }, .base = 0xc1000000,
	.rb_size = 56, .rb_desc_ring = 0, .rb_text_data_ring = 32, .rb_fail = 48,
	.dr_size = 32, .dr_count_bits = 0, .dr_descs = 4, .dr_infos = 8,
	.dr_head_id = 12, .dr_tail_id = 16,
	.desc_size = 12, .desc_state_var = 0, .desc_lpos = 4,
	.lpos_size = 8, .lpos_begin = 0, .lpos_next = 4,
	.info_size = 88, .info_seq = 0, .info_ts = 8, .info_text_len = 16,
	.info_caller_id = 20, .info_dev_info = 24,
	.dev_size = 64, .dev_subsystem = 0, .dev_device = 16,
	.subsystem_len = 16, .device_len = 48,
	.tr_size = 16, .tr_size_bits = 0, .tr_data = 4, .tr_head_lpos = 8,
	.tr_tail_lpos = 12,
	.atomic_size = 4, .atomic_counter = 0,
	.latched_size = 24, .latched_val = 8,
};

enum { ST_RESERVED = 0, ST_COMMITTED = 1, ST_FINALIZED = 2, ST_REUSABLE = 3 };
enum { LPOS_FAILED = 1, LPOS_EMPTY_LINE = 3 };
enum { MAX_SEQ = 4096 };

struct writer {
	const struct tlayout *t;
	unsigned ptr;
	uint64_t wm, id_mask;
	unsigned sv_shift;
	uint32_t count_bits, size_bits;
	uint64_t count, size;
	bool exact_fit;		/* the 6.19 allocation rule */

	uint8_t *mem;
	size_t mem_size;
	uint64_t prb_var, clear_addr, rb, descs, infos, data;

	uint64_t head_id, tail_id, head_lpos, tail_lpos, fail;
	/* Text length written for each seq (for checks). */
	unsigned text_len[MAX_SEQ];
};

struct wrec {
	uint64_t id, index, seq;
	uint64_t text;		/* kernel address of the text bytes; 0: none */
	unsigned alloc;
};

static void w_put(struct writer *w, uint64_t addr, size_t size, uint64_t v)
{
	uint64_t off = addr - w->t->base;

	if (off > w->mem_size || w->mem_size - off < size) {
		fprintf(stderr, "writer bug: put at 0x%" PRIx64 "\n", addr);
		abort();
	}
	rd_put_uint(&w->t->f, w->mem + off, size, v);
}

static uint64_t w_get(const struct writer *w, uint64_t addr, size_t size)
{
	return rd_uint(&w->t->f, w->mem + (addr - w->t->base), size);
}

static uint8_t *w_ptr(struct writer *w, uint64_t addr)
{
	return w->mem + (addr - w->t->base);
}

static uint64_t w_desc(const struct writer *w, uint64_t index)
{
	return w->descs + index * w->t->desc_size;
}

static uint64_t w_info(const struct writer *w, uint64_t index)
{
	return w->infos + index * w->t->info_size;
}

static uint64_t w_sv(const struct writer *w, uint64_t index)
{
	return w_get(w, w_desc(w, index) + w->t->desc_state_var, w->ptr);
}

static void w_set_sv(struct writer *w, uint64_t index, unsigned state,
		     uint64_t id)
{
	w_put(w, w_desc(w, index) + w->t->desc_state_var, w->ptr,
	      (uint64_t)state << w->sv_shift | id);
}

static void w_set_lpos(struct writer *w, uint64_t index, uint64_t begin,
		       uint64_t next)
{
	uint64_t d = w_desc(w, index) + w->t->desc_lpos;

	w_put(w, d + w->t->lpos_begin, w->ptr, begin);
	w_put(w, d + w->t->lpos_next, w->ptr, next);
}

static uint64_t w_begin(const struct writer *w, uint64_t index)
{
	return w_get(w, w_desc(w, index) + w->t->desc_lpos + w->t->lpos_begin,
		     w->ptr);
}

static uint64_t w_next(const struct writer *w, uint64_t index)
{
	return w_get(w, w_desc(w, index) + w->t->desc_lpos + w->t->lpos_next,
		     w->ptr);
}

static uint64_t w_seq(const struct writer *w, uint64_t index)
{
	return w_get(w, w_info(w, index) + w->t->info_seq, 8);
}

static uint64_t w_index(const struct writer *w, uint64_t lpos)
{
	return lpos & (w->size - 1);
}

static uint64_t w_wraps(const struct writer *w, uint64_t lpos)
{
	return (lpos & w->wm) >> w->size_bits;
}

/* The ring's struct printk_ringbuffer, rewritten after every change. */
static void w_sync(struct writer *w)
{
	const struct tlayout *t = w->t;
	uint64_t dr = w->rb + t->rb_desc_ring, tr = w->rb + t->rb_text_data_ring;

	w_put(w, w->prb_var, w->ptr, w->rb);
	w_put(w, dr + t->dr_count_bits, 4, w->count_bits);
	w_put(w, dr + t->dr_descs, w->ptr, w->descs);
	w_put(w, dr + t->dr_infos, w->ptr, w->infos);
	w_put(w, dr + t->dr_head_id + t->atomic_counter, w->ptr, w->head_id);
	w_put(w, dr + t->dr_tail_id + t->atomic_counter, w->ptr, w->tail_id);
	w_put(w, tr + t->tr_size_bits, 4, w->size_bits);
	w_put(w, tr + t->tr_data, w->ptr, w->data);
	w_put(w, tr + t->tr_head_lpos + t->atomic_counter, w->ptr, w->head_lpos);
	w_put(w, tr + t->tr_tail_lpos + t->atomic_counter, w->ptr, w->tail_lpos);
	w_put(w, w->rb + t->rb_fail + t->atomic_counter, w->ptr, w->fail);
}

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

/* DEFINE_PRINTKRB(): the bootstrap state of printk_ringbuffer.h. */
static struct writer *w_create(const struct tlayout *t, uint32_t count_bits,
			       uint32_t size_bits, bool exact_fit)
{
	struct writer *w = calloc(1, sizeof(*w));

	w->t = t;
	w->ptr = t->f.ptr_size;
	w->wm = w->ptr == 8 ? UINT64_MAX : UINT32_MAX;
	w->sv_shift = 8 * w->ptr - 2;
	w->id_mask = ((uint64_t)1 << w->sv_shift) - 1;
	w->count_bits = count_bits;
	w->size_bits = size_bits;
	w->count = (uint64_t)1 << count_bits;
	w->size = (uint64_t)1 << size_bits;
	w->exact_fit = exact_fit;

	w->prb_var = t->base;
	w->clear_addr = t->base + 0x40;
	w->rb = t->base + 0x100;
	w->descs = t->base + 0x200;
	w->infos = align8(w->descs + w->count * t->desc_size);
	w->data = align8(w->infos + w->count * t->info_size);
	w->mem_size = w->data + w->size - t->base;
	w->mem = calloc(1, w->mem_size);

	// DESC0_ID: the last slot, reusable, FAILED_LPOS; seq bootstrap.
	w->head_id = w->tail_id = (0 - (w->count + 1)) & w->id_mask;
	w_set_sv(w, w->count - 1, ST_REUSABLE, w->head_id);
	w_set_lpos(w, w->count - 1, LPOS_FAILED, LPOS_FAILED);
	w_put(w, w_info(w, 0) + t->info_seq, 8, 0 - w->count);
	// BLK0_LPOS
	w->head_lpos = w->tail_lpos = (0 - w->size) & w->wm;
	w_sync(w);
	return w;
}

static void w_destroy(struct writer *w)
{
	if (w) {
		free(w->mem);
		free(w);
	}
}

/* desc_make_reusable(): only a committed or finalized @id. */
static void w_make_reusable(struct writer *w, uint64_t id)
{
	uint64_t index = id & (w->count - 1), sv = w_sv(w, index);
	unsigned state = (unsigned)(sv >> w->sv_shift);

	if ((sv & w->id_mask) == id &&
	    (state == ST_COMMITTED || state == ST_FINALIZED))
		w_set_sv(w, index, ST_REUSABLE, id);
}

/* need_more_space(): is @target still ahead of @current? */
static bool w_ahead(const struct writer *w, uint64_t current, uint64_t target)
{
	return ((target - current - 1) & w->wm) < w->size;
}

/* data_push_tail(): invalidate blocks until tail_lpos reaches @lpos. */
static void w_data_push_tail(struct writer *w, uint64_t lpos)
{
	if (lpos & 1)
		return;	// data-less
	while (w_ahead(w, w->tail_lpos, lpos)) {
		uint64_t id = w_get(w, w->data + w_index(w, w->tail_lpos), w->ptr);
		uint64_t index = id & (w->count - 1);

		if (w_begin(w, index) != w->tail_lpos) {
			fprintf(stderr, "writer bug: no block at tail 0x%" PRIx64 "\n",
				w->tail_lpos);
			abort();
		}
		w_make_reusable(w, id);
		w->tail_lpos = w_next(w, index);
	}
}

/* desc_push_tail() */
static void w_desc_push_tail(struct writer *w)
{
	uint64_t index = w->tail_id & (w->count - 1);

	w_make_reusable(w, w->tail_id);
	w_data_push_tail(w, w_next(w, index));
	w->tail_id = (w->tail_id + 1) & w->id_mask;
}

/* is_blk_wrapped() of the writer's era. */
static bool w_blk_wrapped(const struct writer *w, uint64_t begin, uint64_t next)
{
	if (w->exact_fit)
		return w_wraps(w, begin) != w_wraps(w, next - 1);
	return w_wraps(w, begin) != w_wraps(w, next);
}

/*
 * prb_reserve(): a new descriptor (finalizing the previous head) and
 * @alloc text bytes; @alloc 0 gives EMPTY_LINE_LPOS, @fail FAILED_LPOS.
 */
static struct wrec w_reserve(struct writer *w, unsigned alloc, bool fail)
{
	const struct tlayout *t = w->t;
	struct wrec rec = { .alloc = alloc };
	uint64_t id = (w->head_id + 1) & w->id_mask, prev = w->head_id;
	uint64_t index = id & (w->count - 1), seq;

	if (((id - w->count) & w->id_mask) == w->tail_id)
		w_desc_push_tail(w);
	w->head_id = id;
	w_set_sv(w, index, ST_RESERVED, id);
	// prb_reserve(): the first use of a zeroed slot gets seq = index.
	seq = w_seq(w, index);
	seq = seq == 0 && index != 0 ? index : seq + w->count;
	memset(w_ptr(w, w_info(w, index)), 0, t->info_size);
	w_put(w, w_info(w, index) + t->info_seq, 8, seq);
	// desc_make_final() of the previous record.
	uint64_t psv = w_sv(w, prev & (w->count - 1));
	if ((psv & w->id_mask) == prev && psv >> w->sv_shift == ST_COMMITTED)
		w_set_sv(w, prev & (w->count - 1), ST_FINALIZED, prev);

	if (fail) {
		w_set_lpos(w, index, LPOS_FAILED, LPOS_FAILED);
	} else if (alloc == 0) {
		w_set_lpos(w, index, LPOS_EMPTY_LINE, LPOS_EMPTY_LINE);
	} else {
		uint64_t blk = (w->ptr + alloc + w->ptr - 1) & ~(uint64_t)(w->ptr - 1);
		uint64_t begin = w->head_lpos, next = (begin + blk) & w->wm;
		uint64_t at;

		// get_next_lpos()
		if (w_blk_wrapped(w, begin, next))
			next = ((next & ~(w->size - 1)) + blk) & w->wm;
		w_data_push_tail(w, (next - w->size) & w->wm);
		w->head_lpos = next;
		w_put(w, w->data + w_index(w, begin), w->ptr, id);
		at = w_index(w, begin);
		if (w_blk_wrapped(w, begin, next)) {
			at = 0;
			w_put(w, w->data, w->ptr, id);
		}
		memset(w_ptr(w, w->data + at + w->ptr), 0, blk - w->ptr);
		rec.text = w->data + at + w->ptr;
		w_set_lpos(w, index, begin, next);
	}
	rec.id = id;
	rec.index = index;
	rec.seq = seq;
	w_sync(w);
	return rec;
}

static void w_set_state(struct writer *w, const struct wrec *rec,
			unsigned state)
{
	w_set_sv(w, rec->index, state, rec->id);
}

/* "<seq>" then a fill byte derived from seq, cut to @len bytes. */
static void text_for(uint64_t seq, unsigned len, char *out)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "<%" PRIu64 ">", seq);

	for (unsigned i = 0; i < len; i++)
		out[i] = i < (unsigned)n ? head[i] : (char)('a' + seq % 26);
}

/* A whole printk(): reserve, fill text and info, commit. */
static struct wrec w_printk(struct writer *w, unsigned len)
{
	const struct tlayout *t = w->t;
	struct wrec rec = w_reserve(w, len, false);
	uint64_t info = w_info(w, rec.index);
	char text[2048];

	text_for(rec.seq, len, text);
	if (len)
		memcpy(w_ptr(w, rec.text), text, len);
	if (rec.seq < MAX_SEQ)
		w->text_len[rec.seq] = len;
	w_put(w, info + t->info_ts, 8, rec.seq * 1000000 + 7);
	w_put(w, info + t->info_text_len, 2, len);
	w_put(w, info + t->info_caller_id, 4, 100 + (uint32_t)rec.seq);
	w_set_state(w, &rec, ST_COMMITTED);
	return rec;
}

/* A record whose text was lost (data_alloc() failed). */
static struct wrec w_printk_failed(struct writer *w, unsigned len)
{
	struct wrec rec = w_reserve(w, len, true);

	w_put(w, w_info(w, rec.index) + w->t->info_text_len, 2, len);
	w_set_state(w, &rec, ST_COMMITTED);
	return rec;
}

static void w_set_clear_u64(struct writer *w, uint64_t v)
{
	w_put(w, w->clear_addr, 8, v);
}

/* latched_seq_write(): val[sequence & 1] is the one readers take. */
static void w_set_clear_latched(struct writer *w, uint32_t sequence,
				uint64_t v, uint64_t other)
{
	w_put(w, w->clear_addr, 4, sequence);
	w_put(w, w->clear_addr + w->t->latched_val + 8 * (sequence & 1), 8, v);
	w_put(w, w->clear_addr + w->t->latched_val + 8 * (~sequence & 1), 8,
	      other);
}

/* ---- the source: VMCOREINFO text and read_kv over the image ---- */

struct vi_opts {
	const char *prepend;	/* lines put first (the first key wins) */
	const char *omit;	/* drop the line starting with this */
	bool latched;		/* SIZE/OFFSET(latched_seq): 5.13+ */
};

static size_t vi_line(char *buf, size_t pos, size_t cap, const char *omit,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static size_t vi_line(char *buf, size_t pos, size_t cap, const char *omit,
		      const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (omit && strncmp(line, omit, strlen(omit)) == 0)
		return pos;
	return pos + (size_t)snprintf(buf + pos, cap - pos, "%s\n", line);
}

static struct vmcoreinfo *vi_create(const struct writer *w,
				    const struct vi_opts *o)
{
	const struct tlayout *t = w->t;
	static const size_t cap = 8192;
	char *b = malloc(cap);
	const char *om = o ? o->omit : NULL;
	size_t p = 0;
	struct vmcoreinfo *vi = NULL;

	b[0] = 0;
	if (o && o->prepend)
		p += (size_t)snprintf(b, cap, "%s", o->prepend);
	p = vi_line(b, p, cap, om, "OSRELEASE=6.19.0");
	p = vi_line(b, p, cap, om, "SYMBOL(prb)=%" PRIx64, w->prb_var);
	p = vi_line(b, p, cap, om, "SYMBOL(clear_seq)=%" PRIx64, w->clear_addr);
	p = vi_line(b, p, cap, om, "SIZE(printk_ringbuffer)=%u", t->rb_size);
	p = vi_line(b, p, cap, om, "OFFSET(printk_ringbuffer.desc_ring)=%u", t->rb_desc_ring);
	p = vi_line(b, p, cap, om, "OFFSET(printk_ringbuffer.text_data_ring)=%u", t->rb_text_data_ring);
	p = vi_line(b, p, cap, om, "OFFSET(printk_ringbuffer.fail)=%u", t->rb_fail);
	p = vi_line(b, p, cap, om, "SIZE(prb_desc_ring)=%u", t->dr_size);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc_ring.count_bits)=%u", t->dr_count_bits);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc_ring.descs)=%u", t->dr_descs);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc_ring.infos)=%u", t->dr_infos);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc_ring.head_id)=%u", t->dr_head_id);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc_ring.tail_id)=%u", t->dr_tail_id);
	p = vi_line(b, p, cap, om, "SIZE(prb_desc)=%u", t->desc_size);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc.state_var)=%u", t->desc_state_var);
	p = vi_line(b, p, cap, om, "OFFSET(prb_desc.text_blk_lpos)=%u", t->desc_lpos);
	p = vi_line(b, p, cap, om, "SIZE(prb_data_blk_lpos)=%u", t->lpos_size);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_blk_lpos.begin)=%u", t->lpos_begin);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_blk_lpos.next)=%u", t->lpos_next);
	p = vi_line(b, p, cap, om, "SIZE(printk_info)=%u", t->info_size);
	p = vi_line(b, p, cap, om, "OFFSET(printk_info.seq)=%u", t->info_seq);
	p = vi_line(b, p, cap, om, "OFFSET(printk_info.ts_nsec)=%u", t->info_ts);
	p = vi_line(b, p, cap, om, "OFFSET(printk_info.text_len)=%u", t->info_text_len);
	p = vi_line(b, p, cap, om, "OFFSET(printk_info.caller_id)=%u", t->info_caller_id);
	p = vi_line(b, p, cap, om, "OFFSET(printk_info.dev_info)=%u", t->info_dev_info);
	p = vi_line(b, p, cap, om, "SIZE(dev_printk_info)=%u", t->dev_size);
	p = vi_line(b, p, cap, om, "OFFSET(dev_printk_info.subsystem)=%u", t->dev_subsystem);
	p = vi_line(b, p, cap, om, "LENGTH(printk_info_subsystem)=%u", t->subsystem_len);
	p = vi_line(b, p, cap, om, "OFFSET(dev_printk_info.device)=%u", t->dev_device);
	p = vi_line(b, p, cap, om, "LENGTH(printk_info_device)=%u", t->device_len);
	p = vi_line(b, p, cap, om, "SIZE(prb_data_ring)=%u", t->tr_size);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_ring.size_bits)=%u", t->tr_size_bits);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_ring.data)=%u", t->tr_data);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_ring.head_lpos)=%u", t->tr_head_lpos);
	p = vi_line(b, p, cap, om, "OFFSET(prb_data_ring.tail_lpos)=%u", t->tr_tail_lpos);
	p = vi_line(b, p, cap, om, "SIZE(atomic_long_t)=%u", t->atomic_size);
	p = vi_line(b, p, cap, om, "OFFSET(atomic_long_t.counter)=%u", t->atomic_counter);
	if (o && o->latched) {
		p = vi_line(b, p, cap, om, "SIZE(latched_seq)=%u", t->latched_size);
		p = vi_line(b, p, cap, om, "OFFSET(latched_seq.val)=%u", t->latched_val);
	}
	p = vi_line(b, p, cap, om, "CRASHTIME=1760000000");
	if (vmcoreinfo_parse(b, p, &vi) != NULL) {
		fprintf(stderr, "vmcoreinfo_parse failed\n");
		abort();
	}
	free(b);
	return vi;
}

static struct crash_error *img_read(void *arg, uint64_t vaddr, void *buf,
				    size_t size)
{
	const struct writer *w = arg;
	uint64_t off = vaddr - w->t->base;

	if (vaddr < w->t->base || off > w->mem_size ||
	    w->mem_size - off < size)
		return crash_error_fault(vaddr, "0x%" PRIx64 " is not in the dump",
					 vaddr);
	memcpy(buf, w->mem + off, size);
	return NULL;
}

/* ---- the sink: keeps copies of what it is handed ---- */

struct got {
	struct printk_record rec;	/* pointers cleared */
	char text[2048];
	char subsystem[64], device[64];
};

struct collector {
	struct got *recs;
	size_t n, cap;
	char notes[64][256];
	size_t n_notes;
	size_t fail_at;			/* 1-based record that fails; 0: none */
};

static struct crash_error *collect_record(void *arg,
					  const struct printk_record *rec)
{
	struct collector *c = arg;
	struct got *g;

	if (c->fail_at && c->n + 1 == c->fail_at)
		return crash_error_create(CRASH_ERR_OS, "sink: disk full");
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
	}
	g = &c->recs[c->n++];
	memset(g, 0, sizeof(*g));
	g->rec = *rec;
	if (rec->text == NULL || rec->text_len > sizeof(g->text) ||
	    rec->subsystem_len > 16 || rec->device_len > 48) {
		fprintf(stderr, "sink: bad record\n");
		abort();
	}
	memcpy(g->text, rec->text, rec->text_len);
	memcpy(g->subsystem, rec->subsystem, rec->subsystem_len);
	memcpy(g->device, rec->device, rec->device_len);
	g->rec.text = NULL;
	g->rec.subsystem = g->rec.device = NULL;
	return NULL;
}

static void collect_note(void *arg, const char *message)
{
	struct collector *c = arg;

	if (c->n_notes < 64)
		snprintf(c->notes[c->n_notes++], sizeof(c->notes[0]), "%s",
			 message);
}

static struct collector *collector_create(void)
{
	return calloc(1, sizeof(struct collector));
}

static void collector_destroy(struct collector *c)
{
	if (c) {
		free(c->recs);
		free(c);
	}
}

/* Decode @w with VMCOREINFO options @o and decode options @opt. */
static struct crash_error *run(struct writer *w, const struct vi_opts *o,
			       struct printk_options opt, struct collector *c,
			       struct printk_stats *st)
{
	struct vmcoreinfo *vi = vi_create(w, o);
	struct printk_source src = {
		.vmcoreinfo = vi, .format = &w->t->f, .arg = w,
		.read_kv = img_read, .options = opt,
	};
	struct printk_sink sink = {
		.arg = c, .record = collect_record, .note = collect_note,
	};
	struct crash_error *err;

	err = printk_ringbuffer_decoder.decode(&src, &sink, st);
	vmcoreinfo_destroy(vi);
	return err;
}

static const struct printk_options no_opts;

/* Is record @i what the writer wrote for its seq? */
static bool got_is_self(const struct writer *w, const struct got *g)
{
	char want[2048];
	uint64_t seq = g->rec.seq;

	if (seq >= MAX_SEQ || g->rec.text_len != w->text_len[seq])
		return false;
	text_for(seq, w->text_len[seq], want);
	return memcmp(want, g->text, g->rec.text_len) == 0 &&
	       g->rec.ts_nsec == seq * 1000000 + 7 &&
	       g->rec.caller_id == 100 + seq;
}

/* Every record is self-consistent and the seqs run @first, @first+1, ... */
static void check_run(const struct writer *w, const struct collector *c,
		      uint64_t first, size_t n)
{
	CHECK_EQ_U64(c->n, n);
	for (size_t i = 0; i < c->n && i < n; i++) {
		CHECK_EQ_U64(c->recs[i].rec.seq, first + i);
		CHECK(got_is_self(w, &c->recs[i]));
	}
}

static bool has_note(const struct collector *c, const char *note)
{
	for (size_t i = 0; i < c->n_notes; i++)
		if (strcmp(c->notes[i], note) == 0)
			return true;
	return false;
}

/* ---- tests ---- */

static void test_detect(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct vmcoreinfo *vi = vi_create(w, NULL);
	struct vi_opts o = { .omit = "SYMBOL(prb)=" };
	struct vmcoreinfo *vi2 = vi_create(w, &o);

	CHECK(printk_ringbuffer_decoder.detect(vi));
	CHECK(!printk_ringbuffer_decoder.detect(vi2));
	CHECK_STR(printk_ringbuffer_decoder.name, "ringbuffer");
	vmcoreinfo_destroy(vi);
	vmcoreinfo_destroy(vi2);
	w_destroy(w);
}

static void test_empty(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	CHECK_EQ_U64(st.printed, 0);
	CHECK_EQ_U64(st.skipped, 0);
	CHECK_EQ_U64(st.lost, 0);
	CHECK(!st.has_seq_range);
	CHECK(st.has_fail_count);
	CHECK_EQ_U64(st.fail_count, 0);
	CHECK_EQ_U64(st.buffer_size, 256);
	CHECK_STR(st.format_name, "ringbuffer");
	CHECK(st.caller == PRINTK_CALLER_UNKNOWN);
	collector_destroy(c);
	w_destroy(w);
}

static void test_empty_le64(void) { test_empty(&le64); }
static void test_empty_be32(void) { test_empty(&be32); }

/*
 * A few records, nothing overwritten: IDs cross their overflow on the
 * count-th record, so 8 records in an 8-descriptor ring already wrap.
 */
static void test_simple(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	for (int i = 0; i < 5; i++)
		w_printk(w, 10 + (unsigned)i);
	w->fail = 3;
	w_sync(w);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 0, 5);
	CHECK_EQ_U64(st.printed, 5);
	CHECK_EQ_U64(st.first_seq, 0);
	CHECK_EQ_U64(st.next_seq, 5);
	CHECK(st.has_seq_range);
	CHECK_EQ_U64(st.fail_count, 3);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	CHECK_EQ_U64(c->n ? c->recs[0].rec.text_len : 0, 10);
	CHECK(c->n && memcmp(c->recs[0].text, "<0>aaaaaaa", 10) == 0);
	CHECK(c->n && c->recs[0].rec.present ==
		      (PRINTK_HAS_SEQ | PRINTK_HAS_TS | PRINTK_HAS_LEVEL |
		       PRINTK_HAS_CALLER | PRINTK_HAS_FLAGS));
	collector_destroy(c);
	w_destroy(w);
}

static void test_simple_le64(void) { test_simple(&le64); }
static void test_simple_be32(void) { test_simple(&be32); }

/*
 * Many records through a small ring: the data ring wraps many times and
 * both the ID and the lpos counters overflow (they start at -(count+1) and
 * -size).  Only the newest records survive; all of them are printed.
 */
static void test_wrapped(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	uint64_t first;

	for (unsigned i = 0; i < 300; i++)
		w_printk(w, 5 + (i * 7) % 50);
	CHECK(w->head_lpos < w->size * 100);	// lpos overflowed
	CHECK(w->head_id < 400);		// ID overflowed
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	// The oldest survivor is the first readable descriptor after tail.
	first = c->n ? c->recs[0].rec.seq : 0;
	CHECK(c->n >= 2);
	check_run(w, c, first, (size_t)(300 - first));
	CHECK_EQ_U64(st.next_seq, 300);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	// The last one is committed only, the others finalized.
	CHECK_EQ_U64(w_sv(w, 299 & 7) >> w->sv_shift, ST_COMMITTED);
	CHECK_EQ_U64(w_sv(w, 298 & 7) >> w->sv_shift, ST_FINALIZED);
	collector_destroy(c);
	w_destroy(w);
}

static void test_wrapped_le64(void) { test_wrapped(&le64); }
static void test_wrapped_be32(void) { test_wrapped(&be32); }

/*
 * Exact fit (6.19 writer): four 64-byte blocks fill a 256-byte ring from
 * lpos -256, so the fourth ends exactly at the end of the array and its
 * next lpos overflows to 0.  A fifth block then takes index 0.  Readers that
 * test "begin % size > next % size" read the fourth record's text from
 * index 8, i.e. the fifth record's bytes.
 */
static void test_exact_fit(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	unsigned text = 64 - t->f.ptr_size;
	struct wrec r4;

	for (int i = 0; i < 3; i++)
		w_printk(w, text);
	r4 = w_printk(w, text);
	CHECK_EQ_U64(w_begin(w, r4.index), 192 + ((0 - 256) & w->wm));
	CHECK_EQ_U64(w_next(w, r4.index), 0);
	w_printk(w, text);	// overwrites record 0 at index 0
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 1, 4);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	CHECK(c->n == 4 && memcmp(c->recs[2].text, "<3>ddd", 6) == 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_exact_fit_le64(void) { test_exact_fit(&le64); }
static void test_exact_fit_be32(void) { test_exact_fit(&be32); }

/* The same sizes under the pre-6.19 rule: the fourth block wraps. */
static void test_exact_fit_legacy_writer(void)
{
	struct writer *w = w_create(&le64, 3, 8, false);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r4;

	for (int i = 0; i < 3; i++)
		w_printk(w, 56);
	r4 = w_printk(w, 56);
	CHECK_EQ_U64(w_begin(w, r4.index), (uint64_t)-64);
	CHECK_EQ_U64(w_next(w, r4.index), 64);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 1, 3);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* A block that straddles the end of the array: ID at begin, data at 0. */
static void test_wrapping_block(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	for (int i = 0; i < 5; i++)
		w_printk(w, 48 - t->f.ptr_size);	// 5 x 48 = 240 bytes
	r = w_printk(w, 40);				// wraps at 240
	CHECK_EQ_U64(w_index(w, w_begin(w, r.index)), 240);
	// The whole block again at 0: 48 bytes on 64-bit, 44 on 32-bit.
	CHECK_EQ_U64(w_index(w, w_next(w, r.index)), t->f.ptr_size == 8 ? 48 : 44);
	CHECK_EQ_U64(r.text, w->data + t->f.ptr_size);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	// Record 0 at [0, 48) made room for the copy at index 0.
	check_run(w, c, 1, 5);
	CHECK_EQ_U64(st.next_seq, 6);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_wrapping_block_le64(void) { test_wrapping_block(&le64); }
static void test_wrapping_block_be32(void) { test_wrapping_block(&be32); }

/* FAILED_LPOS: no line, one lost record, one note; no gap counted twice. */
static void test_failed_lpos(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	w_printk(w, 20);
	w_printk_failed(w, 20);
	w_printk(w, 20);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 2);
	CHECK(c->n == 2 && c->recs[0].rec.seq == 0 && c->recs[1].rec.seq == 2);
	CHECK_EQ_U64(st.lost, 1);
	CHECK_EQ_U64(st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 1);
	CHECK(has_note(c, "seq 1: text lost (FAILED_LPOS)"));
	collector_destroy(c);
	w_destroy(w);
}

/*
 * Empty texts: EMPTY_LINE_LPOS (6.8+, data-less) and the 5.10 form, a
 * one-byte block with text_len 0.  Both print as an empty record.
 */
static void test_empty_lines(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	w_printk(w, 0);			// EMPTY_LINE_LPOS
	CHECK_EQ_U64(w_begin(w, 0), LPOS_EMPTY_LINE);
	r = w_printk(w, 1);		// 5.10: "\n" reserved one byte...
	w_put(w, w_info(w, r.index) + le64.info_text_len, 2, 0);
	w->text_len[r.seq] = 0;		// ...and stored none
	w_printk(w, 3);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 0, 3);
	CHECK(c->n == 3 && c->recs[0].rec.text_len == 0 &&
	      c->recs[1].rec.text_len == 0);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* A writer interrupted by the crash: the head is still reserved. */
static void test_reserved_head(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	for (int i = 0; i < 4; i++)
		w_printk(w, 30);
	w_reserve(w, 30, false);		// never committed
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 0, 4);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	// Record 3 was finalized by the reservation of 4.
	CHECK_EQ_U64(w_sv(w, 3) >> w->sv_shift, ST_FINALIZED);
	collector_destroy(c);
	w_destroy(w);
}

static void test_reserved_head_le64(void) { test_reserved_head(&le64); }
static void test_reserved_head_be32(void) { test_reserved_head(&be32); }

/* The head slot still holds its previous wrap's ID (a miss). */
static void test_miss_at_head(void)
{
	struct writer *w = w_create(&le64, 2, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	for (int i = 0; i < 6; i++)
		w_printk(w, 20);
	r = w_printk(w, 20);
	w_set_sv(w, r.index, ST_REUSABLE, (r.id - 4) & w->id_mask);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	// Four descriptors: tail is seq 3, head (the miss) seq 6.
	check_run(w, c, 3, 3);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* level, flags, facility, caller_id and dev_info, in both bit orders. */
static void test_fields(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r = w_printk(w, 12);
	uint64_t info = w_info(w, r.index), dev = info + t->info_dev_info;
	static const char device[] = "+pci:0000:00:1f.2-with-a-name-of-48-bytes-exactl";

	// level 3, flags LOG_NEWLINE | LOG_CONT, as GCC lays out flags:5/level:3.
	uint8_t bits = t->f.byte_order == RD_LITTLE_ENDIAN ?
		       (uint8_t)(3 << 5 | 0x0a) : (uint8_t)(0x0a << 3 | 3);
	w_put(w, info + t->info_caller_id - 1, 1, bits);
	w_put(w, info + t->info_text_len + 2, 1, 23);
	w_put(w, info + t->info_caller_id, 4, 0x80000003);
	memcpy(w_ptr(w, dev + t->dev_subsystem), "pci\0junk", 8);
	CHECK_EQ_U64(sizeof(device) - 1, 48);
	memcpy(w_ptr(w, dev + t->dev_device), device, 48);	// no NUL
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 1);
	if (c->n == 1) {
		const struct got *g = &c->recs[0];

		CHECK_EQ_U64(g->rec.level, 3);
		CHECK_EQ_U64(g->rec.log_flags, PRINTK_LOG_NEWLINE | PRINTK_LOG_CONT);
		CHECK_EQ_U64(g->rec.facility, 23);
		CHECK_EQ_U64(g->rec.caller_id, 0x80000003);
		CHECK_EQ_U64(g->rec.subsystem_len, 3);
		CHECK(memcmp(g->subsystem, "pci", 3) == 0);
		CHECK_EQ_U64(g->rec.device_len, 48);
		CHECK(memcmp(g->device, device, 48) == 0);
		CHECK_EQ_U64(g->rec.ts_nsec, 7);
	}
	collector_destroy(c);
	w_destroy(w);
}

static void test_fields_le64(void) { test_fields(&le64); }
static void test_fields_be32(void) { test_fields(&be32); }

/* A descriptor lost in the middle (reusable): a gap, counted and noted. */
static void test_gap(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	w_printk(w, 20);
	r = w_printk(w, 20);
	w_printk(w, 20);
	w_set_state(w, &r, ST_RESERVED);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 2);
	CHECK_EQ_U64(st.lost, 1);
	CHECK_EQ_U64(st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 1);
	CHECK_STR(c->notes[0], "1 records lost before seq 2");
	collector_destroy(c);
	w_destroy(w);
}

/* The sink's error stops decoding and comes back as is. */
static void test_sink_error(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	for (int i = 0; i < 4; i++)
		w_printk(w, 20);
	c->fail_at = 2;
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_OS, "sink: disk full");
	CHECK_EQ_U64(c->n, 1);
	CHECK_EQ_U64(st.printed, 1);
	collector_destroy(c);
	w_destroy(w);
}

/* --since-clear with a plain u64 clear_seq (5.10-5.12). */
static void test_since_clear_u64(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_options opt = { .since_clear = true };
	struct printk_stats st;

	for (int i = 0; i < 6; i++)
		w_printk(w, 20);
	w_set_clear_u64(w, 4);
	CHECK_OK(run(w, NULL, opt, c, &st));
	check_run(w, c, 4, 2);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* 5.13+ latched_seq: val[sequence & 1], on both byte orders. */
static void test_since_clear_latched(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_options opt = { .since_clear = true };
	struct vi_opts o = { .latched = true };
	struct printk_stats st;

	for (int i = 0; i < 6; i++)
		w_printk(w, 20);
	w_set_clear_latched(w, 7, 3, 1);	// odd: val[1] = 3
	CHECK_OK(run(w, &o, opt, c, &st));
	check_run(w, c, 3, 3);
	c->n = c->n_notes = 0;
	w_set_clear_latched(w, 8, 5, 1);	// even: val[0] = 5
	CHECK_OK(run(w, &o, opt, c, &st));
	check_run(w, c, 5, 1);
	CHECK_EQ_U64(c->n_notes, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_since_clear_latched_le64(void) { test_since_clear_latched(&le64); }
static void test_since_clear_latched_be32(void) { test_since_clear_latched(&be32); }

/* clear_seq beyond the head is ignored; before the tail, noted. */
static void test_since_clear_out_of_range(void)
{
	struct writer *w = w_create(&le64, 2, 8, true);
	struct collector *c = collector_create();
	struct printk_options opt = { .since_clear = true };
	struct printk_stats st;

	for (int i = 0; i < 10; i++)
		w_printk(w, 20);
	w_set_clear_u64(w, 50);
	CHECK_OK(run(w, NULL, opt, c, &st));
	CHECK_EQ_U64(c->n_notes, 1);
	CHECK_STR(c->notes[0], "clear_seq 50 is beyond the next seq 10: printing the whole log");
	check_run(w, c, 6, 4);
	c->n = c->n_notes = 0;
	w_set_clear_u64(w, 10);		// cleared just before the crash
	CHECK_OK(run(w, NULL, opt, c, &st));
	CHECK_EQ_U64(c->n, 0);
	CHECK_EQ_U64(c->n_notes, 0);
	c->n = c->n_notes = 0;
	w_set_clear_u64(w, 2);
	CHECK_OK(run(w, NULL, opt, c, &st));
	CHECK_STR(c->notes[0], "clear_seq 2 is older than the oldest record, seq 6: printing from there");
	check_run(w, c, 6, 4);
	CHECK_EQ_U64(st.lost, 0);
	c->n = c->n_notes = 0;
	struct vi_opts o = { .omit = "SYMBOL(clear_seq)=" };
	CHECK_OK(run(w, &o, opt, c, &st));
	CHECK_STR(c->notes[0], "--since-clear: VMCOREINFO lacks SYMBOL(clear_seq): printing the whole log");
	check_run(w, c, 6, 4);
	collector_destroy(c);
	w_destroy(w);
}

/* ---- hostile rings ---- */

static void rb_put_count_bits(struct writer *w, uint32_t v)
{
	w_put(w, w->rb + w->t->rb_desc_ring + w->t->dr_count_bits, 4, v);
}

static void rb_put_size_bits(struct writer *w, uint32_t v)
{
	w_put(w, w->rb + w->t->rb_text_data_ring + w->t->tr_size_bits, 4, v);
}

static void test_bad_bits(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	w_printk(w, 10);
	rb_put_count_bits(w, 0);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: prb_desc_ring.count_bits 0 is out of range 1..8");
	rb_put_count_bits(w, 63);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: prb_desc_ring.count_bits 63 is out of range 1..8");
	rb_put_count_bits(w, 3);
	rb_put_size_bits(w, 40);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: prb_data_ring.size_bits 40 is out of range 5..31");
	rb_put_size_bits(w, 4);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: prb_data_ring.size_bits 4 is out of range 5..31");
	// 2^31 descriptors: legal shifts, far too many bytes.
	rb_put_count_bits(w, 31);
	rb_put_size_bits(w, 31);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_UNSUPPORTED,
		  "ringbuffer: 2147483648 descriptors of 24+88 bytes and a 2147483648-byte text ring exceed the limit of 2147483648 bytes");
	// A 2 GiB text ring alone is legal but above a --max-buffer.
	rb_put_count_bits(w, 26);
	struct printk_options small = { .max_buffer = 1 << 20 };
	CHECK_ERR(run(w, NULL, small, c, &st), CRASH_ERR_UNSUPPORTED,
		  "ringbuffer: 67108864 descriptors of 24+88 bytes and a 2147483648-byte text ring exceed the limit of 1048576 bytes");
	CHECK_EQ_U64(c->n, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* On 32 bits IDs have 30 bits: count_bits 30 would leave none for wraps. */
static void test_bad_bits_be32(void)
{
	struct writer *w = w_create(&be32, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	rb_put_count_bits(w, 30);
	rb_put_size_bits(w, 31);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: prb_desc_ring.count_bits 30 is out of range 1..29");
	collector_destroy(c);
	w_destroy(w);
}

/*
 * tail_id "after" head_id (the distance is not below count): both peers
 * loop forever here.  We note it, scan all slots by seq and print what is
 * valid.
 */
static void test_tail_beyond_head(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	char note[256];

	for (int i = 0; i < 20; i++)
		w_printk(w, 20);
	w->tail_id = (w->head_id + 5) & w->id_mask;
	w_sync(w);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	snprintf(note, sizeof(note),
		 "desc_ring: tail_id 0x%" PRIx64 " is 0x%" PRIx64 " IDs behind head_id 0x%" PRIx64 ", not fewer than the 8 descriptors: scanning every descriptor by seq",
		 w->tail_id, (w->head_id - w->tail_id) & w->id_mask, w->head_id);
	CHECK_EQ_U64(c->n_notes, 1);
	CHECK_STR(c->notes[0], note);
	check_run(w, c, 12, 8);
	CHECK_EQ_U64(st.lost + st.skipped, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_tail_beyond_head_le64(void) { test_tail_beyond_head(&le64); }
static void test_tail_beyond_head_be32(void) { test_tail_beyond_head(&be32); }

/* An lpos pair outside [tail_lpos, head_lpos]: that record only. */
static void test_lpos_outside_window(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	w_printk(w, 20);
	r = w_printk(w, 20);
	w_printk(w, 20);
	w_set_lpos(w, r.index, 0x1000, 0x1020);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 2);
	CHECK_EQ_U64(st.skipped, 1);
	CHECK_EQ_U64(st.lost, 0);
	CHECK_STR(st.first_skip_reason,
		  "seq 1: text_blk_lpos 0x1000-0x1020 lies outside the text ring window [0xffffffffffffff00, 0xffffffffffffff60]: skipped");
	CHECK_EQ_U64(c->n_notes, 1);
	collector_destroy(c);
	w_destroy(w);
}

/* Other illegal lpos values: misaligned, data-less, backwards, too big. */
static void test_lpos_illegal(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;
	uint64_t b0 = (uint64_t)-256;

	w_printk(w, 8);			// [-256, -240)
	r = w_printk(w, 8);		// [-240, -224)
	w_printk(w, 8);
	w_printk(w, 8);			// head_lpos -192
	w_set_lpos(w, r.index, b0 + 20, b0 + 32);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_STR(c->notes[0], "seq 1: text_blk_lpos 0xffffffffffffff14-0xffffffffffffff20 is not aligned to 8 bytes: skipped");
	c->n = c->n_notes = 0;
	w_set_lpos(w, r.index, 5, 5);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_STR(c->notes[0], "seq 1: text_blk_lpos 0x5-0x5 is data-less but neither FAILED_LPOS nor EMPTY_LINE_LPOS: skipped");
	c->n = c->n_notes = 0;
	w_set_lpos(w, r.index, b0 + 32, b0 + 16);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_STR(c->notes[0], "seq 1: text_blk_lpos 0xffffffffffffff20-0xffffffffffffff10 makes a 18446744073709551600-byte block, not between 9 and 128 bytes: skipped");
	c->n = c->n_notes = 0;
	w_set_lpos(w, r.index, b0 + 16, b0 + 16);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_STR(c->notes[0], "seq 1: text_blk_lpos 0xffffffffffffff10-0xffffffffffffff10 makes a 0-byte block, not between 9 and 128 bytes: skipped");
	CHECK_EQ_U64(c->n, 3);
	CHECK_EQ_U64(st.skipped, 1);
	collector_destroy(c);
	w_destroy(w);
}

/* A block at least half the ring is illegal (data_check_size(), 6.19). */
static void test_block_too_big(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	r = w_printk(w, 120);		// a 128-byte block: allowed
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	check_run(w, c, 0, 1);
	c->n = c->n_notes = 0;
	// Stretch it to 136 bytes (head_lpos too, so the window holds it).
	w->head_lpos = (w_begin(w, r.index) + 136) & w->wm;
	w_set_lpos(w, r.index, w_begin(w, r.index), w->head_lpos);
	w_sync(w);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 0);
	CHECK_STR(c->notes[0], "seq 0: text_blk_lpos 0xffffffffffffff00-0xffffffffffffff88 makes a 136-byte block, not between 9 and 128 bytes: skipped");
	collector_destroy(c);
	w_destroy(w);
}

/* The block was overwritten by a newer one: its ID does not match. */
static void test_block_id_mismatch(const struct tlayout *t)
{
	struct writer *w = w_create(t, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;
	char note[256];

	w_printk(w, 20);
	r = w_printk(w, 20);
	w_printk(w, 20);
	w_put(w, w->data + w_index(w, w_begin(w, r.index)), t->f.ptr_size,
	      r.id + 8);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	snprintf(note, sizeof(note),
		 "seq 1: text_blk_lpos 0x%" PRIx64 "-0x%" PRIx64 " holds block ID 0x%" PRIx64 ", not the descriptor's 0x%" PRIx64 ": skipped",
		 w_begin(w, r.index), w_next(w, r.index), r.id + 8, r.id);
	CHECK_STR(c->notes[0], note);
	CHECK_EQ_U64(c->n, 2);
	CHECK_EQ_U64(st.skipped, 1);
	CHECK_EQ_U64(st.lost, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_block_id_mismatch_le64(void) { test_block_id_mismatch(&le64); }
static void test_block_id_mismatch_be32(void) { test_block_id_mismatch(&be32); }

/* A wrapping block whose copy at index 0 was overwritten. */
static void test_wrapping_block_id_mismatch(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	for (int i = 0; i < 5; i++)
		w_printk(w, 40);
	r = w_printk(w, 40);
	w_put(w, w->data, 8, 0x1234);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(st.skipped, 1);
	CHECK(c->n_notes == 1 && strstr(c->notes[0], "holds block ID 0x1234") != NULL);
	CHECK(c->n == 0 || c->recs[c->n - 1].rec.seq != r.seq);
	collector_destroy(c);
	w_destroy(w);
}

/* info.seq not congruent to its index; then a duplicate/backwards seq. */
static void test_bad_seq(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;
	char note[256];

	w_printk(w, 20);
	r = w_printk(w, 20);
	w_printk(w, 20);
	w_put(w, w_info(w, r.index) + le64.info_seq, 8, 10);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	snprintf(note, sizeof(note), "desc_ring index 1 (id 0x%" PRIx64 "): info.seq 10 is not congruent to the index modulo 8: skipped",
		 r.id);
	CHECK_STR(c->notes[0], note);
	CHECK_EQ_U64(c->n, 2);
	CHECK_EQ_U64(st.skipped, 1);
	CHECK_EQ_U64(st.lost, 0);	// the skipped record fills the gap
	c->n = c->n_notes = 0;
	// Congruent to its index but 9 past seq 0 one ID later: skipped
	// alone, so record 2 still prints and nothing counts as lost.
	w_put(w, w_info(w, r.index) + le64.info_seq, 8, 9);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	snprintf(note, sizeof(note), "desc_ring index 1 (id 0x%" PRIx64 "): info.seq 9 is 9 past seq 0 but its ID only 1: skipped",
		 r.id);
	CHECK_STR(c->notes[0], note);
	CHECK_EQ_U64(c->n_notes, 1);
	CHECK(c->n == 2 && c->recs[1].rec.seq == 2);
	CHECK_EQ_U64(st.lost, 0);
	collector_destroy(c);
	w_destroy(w);

	// A seq going backwards: record 13 claims seq 5 (still ≡ 13 mod 8).
	w = w_create(&le64, 3, 9, true);
	c = collector_create();
	for (int i = 0; i < 16; i++)
		w_printk(w, 20);
	w_put(w, w_info(w, 13 & 7) + le64.info_seq, 8, 5);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	snprintf(note, sizeof(note), "desc_ring index 5 (id 0x%" PRIx64 "): info.seq 5 does not follow seq 12: skipped",
		 w_sv(w, 5) & w->id_mask);
	CHECK_STR(c->notes[0], note);
	CHECK_EQ_U64(c->n, 7);
	CHECK_EQ_U64(st.skipped, 1);
	CHECK_EQ_U64(st.lost, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* text_len 65535: clamped to the block's bytes, as the kernel does. */
static void test_text_len_huge(void)
{
	struct writer *w = w_create(&le64, 3, 9, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct wrec r;

	r = w_printk(w, 13);		// a 24-byte block: 16 text bytes
	w_put(w, w_info(w, r.index) + le64.info_text_len, 2, 65535);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK_EQ_U64(c->n, 1);
	CHECK(c->n == 1 && c->recs[0].rec.text_len == 16 &&
	      memcmp(c->recs[0].text, "<0>aaaaaaaaaa\0\0\0", 16) == 0);
	CHECK_STR(c->notes[0], "seq 0: text_len 65535 exceeds the 16 text bytes of its block: truncated");
	CHECK_EQ_U64(st.skipped, 0);
	collector_destroy(c);
	w_destroy(w);
}

/* The data window wider than the ring: noted and narrowed. */
static void test_window_too_wide(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;

	for (int i = 0; i < 30; i++)
		w_printk(w, 20);
	w->tail_lpos = (w->head_lpos - 4096) & w->wm;
	w_sync(w);
	CHECK_OK(run(w, NULL, no_opts, c, &st));
	CHECK(c->n_notes >= 1 && strstr(c->notes[0], "text_data_ring: head_lpos") &&
	      strstr(c->notes[0], "is 0x1000 bytes past tail_lpos"));
	CHECK(c->n > 0);
	CHECK_EQ_U64(st.next_seq, 30);
	CHECK_EQ_U64(st.skipped, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_null_descs(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct crash_error *err;

	w_printk(w, 10);
	w_put(w, w->rb + le64.rb_desc_ring + le64.dr_descs, 8, 0);
	err = run(w, NULL, no_opts, c, &st);
	CHECK(err && err->address == 0);
	CHECK_ERR(err, CRASH_ERR_FAULT,
		  "ringbuffer: prb_desc_ring.descs is a NULL pointer");
	// Unmapped rather than NULL: the reader's FAULT, with context.
	w_put(w, w->rb + le64.rb_desc_ring + le64.dr_descs, 8, 0xffffffffff000000);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_FAULT,
		  "ringbuffer: reading prb_desc_ring.descs (192 bytes) at 0xffffffffff000000: 0xffffffffff000000 is not in the dump");
	w_put(w, w->prb_var, 8, 0);
	CHECK_ERR(run(w, NULL, no_opts, c, &st), CRASH_ERR_FAULT,
		  "ringbuffer: prb at 0xffff888001000000 is a NULL pointer");
	CHECK_EQ_U64(c->n, 0);
	collector_destroy(c);
	w_destroy(w);
}

static void test_vmcoreinfo_errors(void)
{
	struct writer *w = w_create(&le64, 3, 8, true);
	struct collector *c = collector_create();
	struct printk_stats st;
	struct vi_opts o = { .omit = "OFFSET(prb_desc_ring.head_id)=" };

	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_UNSUPPORTED,
		  "ringbuffer: VMCOREINFO lacks OFFSET(prb_desc_ring.head_id)");
	o.omit = "LENGTH(printk_info_device)=";
	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_UNSUPPORTED,
		  "ringbuffer: VMCOREINFO lacks LENGTH(printk_info_device)");
	o.omit = "SYMBOL(prb)=";
	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_NOT_FOUND,
		  "ringbuffer: VMCOREINFO lacks SYMBOL(prb)");
	o.omit = NULL;
	o.prepend = "OFFSET(prb_desc.text_blk_lpos)=16\n";
	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: OFFSET(prb_desc.text_blk_lpos)=16 and its 16 bytes do not fit in SIZE(prb_desc)=24");
	o.prepend = "SIZE(printk_info)=100000\n";
	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: SIZE(printk_info)=100000 exceeds the 4096 bytes a ring structure may have");
	o.prepend = "OFFSET(printk_info.caller_id)=0\n";
	CHECK_ERR(run(w, &o, no_opts, c, &st), CRASH_ERR_CORRUPT,
		  "ringbuffer: OFFSET(printk_info.caller_id)=0 leaves no room for the flags and level byte before it");
	o.prepend = "SIZE(prb_desc)=2x4\n";
	struct crash_error *err = run(w, &o, no_opts, c, &st);
	CHECK(err && err->code == CRASH_ERR_CORRUPT &&
	      strncmp(err->message, "ringbuffer: ", 12) == 0 &&
	      strstr(err->message, "SIZE(prb_desc)") != NULL);
	crash_error_destroy(err);
	collector_destroy(c);
	w_destroy(w);
}

static void test_bad_ptr_size(void)
{
	static const struct tlayout odd = { .f = { RD_LITTLE_ENDIAN, 2 } };
	struct writer w = { .t = &odd };
	struct collector *c = collector_create();
	struct printk_stats st;
	struct vmcoreinfo *vi = NULL;
	struct printk_source src = { .format = &odd.f, .read_kv = img_read, .arg = &w };
	struct printk_sink sink = { .arg = c, .record = collect_record };

	CHECK_OK(vmcoreinfo_parse("SYMBOL(prb)=1000\n", 17, &vi));
	src.vmcoreinfo = vi;
	CHECK_ERR(printk_ringbuffer_decoder.decode(&src, &sink, &st),
		  CRASH_ERR_UNSUPPORTED, "ringbuffer: pointer size 2 is not 4 or 8");
	vmcoreinfo_destroy(vi);
	collector_destroy(c);
}

/* ---- many random rings, checked against the writer's own state ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_rings(void)
{
	unsigned bad = 0;

	for (uint64_t seed = 1; seed <= 400; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15ull;
		const struct tlayout *t = rnd(&s) & 1 ? &le64 : &be32;
		uint32_t cb = 1 + (uint32_t)(rnd(&s) % 5);
		uint32_t sb = cb + 4 + (uint32_t)(rnd(&s) % 4);
		struct writer *w = w_create(t, cb, sb, rnd(&s) & 1);
		struct collector *c = collector_create();
		struct printk_stats st;
		unsigned n = (unsigned)(rnd(&s) % 200);
		unsigned maxlen = (unsigned)(w->size / 4 - w->ptr);
		uint64_t lost = 0, prev = 0, printed = 0;
		bool have_prev = false, ok = true;
		size_t k = 0;

		for (unsigned i = 0; i < n; i++) {
			uint64_t r = rnd(&s) % 100;

			if (r < 3)
				w_printk_failed(w, 10);
			else
				w_printk(w, r < 8 ? 0 : (unsigned)(rnd(&s) % (maxlen + 1)));
		}
		if (n && rnd(&s) % 4 == 0)
			w_reserve(w, 8, false);
		if (run(w, NULL, no_opts, c, &st) != NULL)
			ok = false;
		// Expected: the readable descriptors from tail to head.
		for (uint64_t i = 0; ok && i <= ((w->head_id - w->tail_id) & w->id_mask); i++) {
			uint64_t id = (w->tail_id + i) & w->id_mask;
			uint64_t index = id & (w->count - 1), sv = w_sv(w, index);
			uint64_t seq = w_seq(w, index);
			unsigned state = (unsigned)(sv >> w->sv_shift);

			if ((sv & w->id_mask) != id ||
			    (state != ST_COMMITTED && state != ST_FINALIZED))
				continue;
			if (have_prev)
				lost += seq - prev - 1;
			have_prev = true;
			prev = seq;
			if (w_begin(w, index) == LPOS_FAILED) {
				lost++;
				continue;
			}
			printed++;
			if (k >= c->n || c->recs[k].rec.seq != seq ||
			    !got_is_self(w, &c->recs[k]))
				ok = false;
			k++;
		}
		if (!ok || k != c->n || st.printed != printed ||
		    st.lost != lost || st.skipped != 0) {
			if (bad++ < 5)
				fprintf(stderr, "random ring seed %" PRIu64 ": printed %" PRIu64 "/%" PRIu64 " lost %" PRIu64 "/%" PRIu64 " skipped %" PRIu64 "\n",
					seed, st.printed, printed, st.lost, lost,
					st.skipped);
		}
		collector_destroy(c);
		w_destroy(w);
	}
	CHECK_EQ_U64(bad, 0);
}

/*
 * Random corruption of a valid ring: any byte of the structs, arrays and
 * text may change.  The decoder must terminate without a sanitizer report,
 * never print more records than descriptors, and every record it prints
 * must lie inside the image (the sink copies it).
 */
static void test_random_corruption(void)
{
	unsigned bad = 0;

	for (uint64_t seed = 1; seed <= 2000; seed++) {
		uint64_t s = seed * 0xd1b54a32d192ed03ull;
		const struct tlayout *t = rnd(&s) & 1 ? &le64 : &be32;
		struct writer *w = w_create(t, 3, 8, rnd(&s) & 1);
		struct collector *c = collector_create();
		struct printk_stats st;
		struct printk_options opt = { .since_clear = rnd(&s) % 4 == 0 };
		struct vi_opts o = { .latched = rnd(&s) & 1 };
		struct crash_error *err;

		for (unsigned i = 0; i < 40; i++)
			w_printk(w, (unsigned)(rnd(&s) % 56));
		for (unsigned i = 0, flips = 1 + (unsigned)(rnd(&s) % 8); i < flips; i++) {
			uint64_t off = 0x100 + rnd(&s) % (w->mem_size - 0x100);

			if (rnd(&s) & 1)
				w->mem[off] ^= (uint8_t)(1u << (rnd(&s) % 8));
			else
				w->mem[off] = (uint8_t)rnd(&s);
		}
		w_put(w, w->clear_addr, 8, rnd(&s) % 64);
		err = run(w, &o, opt, c, &st);
		if (c->n > 8 || st.printed != c->n)
			bad++;
		crash_error_destroy(err);
		collector_destroy(c);
		w_destroy(w);
	}
	CHECK_EQ_U64(bad, 0);
}

int main(void)
{
	RUN(test_detect);
	RUN(test_empty_le64);
	RUN(test_empty_be32);
	RUN(test_simple_le64);
	RUN(test_simple_be32);
	RUN(test_wrapped_le64);
	RUN(test_wrapped_be32);
	RUN(test_exact_fit_le64);
	RUN(test_exact_fit_be32);
	RUN(test_exact_fit_legacy_writer);
	RUN(test_wrapping_block_le64);
	RUN(test_wrapping_block_be32);
	RUN(test_failed_lpos);
	RUN(test_empty_lines);
	RUN(test_reserved_head_le64);
	RUN(test_reserved_head_be32);
	RUN(test_miss_at_head);
	RUN(test_fields_le64);
	RUN(test_fields_be32);
	RUN(test_gap);
	RUN(test_sink_error);
	RUN(test_since_clear_u64);
	RUN(test_since_clear_latched_le64);
	RUN(test_since_clear_latched_be32);
	RUN(test_since_clear_out_of_range);
	RUN(test_bad_bits);
	RUN(test_bad_bits_be32);
	RUN(test_tail_beyond_head_le64);
	RUN(test_tail_beyond_head_be32);
	RUN(test_lpos_outside_window);
	RUN(test_lpos_illegal);
	RUN(test_block_too_big);
	RUN(test_block_id_mismatch_le64);
	RUN(test_block_id_mismatch_be32);
	RUN(test_wrapping_block_id_mismatch);
	RUN(test_bad_seq);
	RUN(test_text_len_huge);
	RUN(test_window_too_wide);
	RUN(test_null_descs);
	RUN(test_vmcoreinfo_errors);
	RUN(test_bad_ptr_size);
	RUN(test_random_rings);
	RUN(test_random_corruption);
	return test_summary("printk_ringbuffer_test");
}
