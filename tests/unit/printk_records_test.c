/*
 * printk_records_test.c - the 3.5-5.9 structured record decoder.
 *
 * A tiny writer (ring_store(), after the kernel's log_store() with
 * log_make_free_space() and the len == 0 wrap marker) fills a small
 * log_buf, a fake read_kv serves it with the kernel variables, and a
 * hand-written VMCOREINFO names them.  Record texts encode their number
 * (rec_text()), so every record read is checked against what was written.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../crashdmesg/printk.h"
#include "test.h"

enum {
	VARS_VADDR = 0xc0001000,	/* log_buf, log_buf_len, indexes */
	BUF_VADDR = 0xc0100000,		/* the log buffer */
	MAX_GOT = 600,
};

/* Where the writer puts the header fields, and what VMCOREINFO says. */
struct layout {
	const char *type;	/* SIZE(type)/OFFSET(type.*); NULL: 3.5 */
	unsigned size, ts, len, text_len, dict_len, caller;
	bool has_caller;
	unsigned align;		/* LOG_ALIGN */
};

static const struct layout layout_printk_log = {
	"printk_log", 16, 0, 8, 10, 12, 0, false, 4,
};
static const struct layout layout_log_align8 = {
	"log", 16, 0, 8, 10, 12, 0, false, 8,
};
static const struct layout layout_caller = {
	"printk_log", 20, 0, 8, 10, 12, 16, true, 4,
};
static const struct layout layout_3_5 = {
	NULL, 16, 0, 8, 10, 12, 0, false, 4,
};
/* A vendor header with a u64 magic first (as Qualcomm's LOG_BUF_MAGIC). */
static const struct layout layout_vendor = {
	"printk_log", 24, 8, 16, 18, 20, 0, false, 8,
};

struct ring {
	struct rd_format fmt;
	const struct layout *l;
	uint8_t *buf;
	uint32_t len, first, next, clear;
	uint64_t first_seq, next_seq;
	uint8_t vars[32];	/* log_buf@0 len@8 first@12 next@16 clear@20 */
	char vmcoreinfo[2048];
	bool no_clear_symbol;
	uint64_t log_buf;	/* the pointer stored in the log_buf variable */
	uint64_t buf_vaddr;	/* where the buffer is mapped */
};

static void ring_init(struct ring *r, enum rd_byte_order bo, unsigned ptr,
		      const struct layout *l, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->fmt.byte_order = bo;
	r->fmt.ptr_size = ptr;
	r->l = l;
	r->len = len;
	r->buf = calloc(1, len);
	r->log_buf = r->buf_vaddr = BUF_VADDR;
}

static void ring_fini(struct ring *r)
{
	free(r->buf);
}

static uint16_t hdr_len(const struct ring *r, uint32_t idx)
{
	return rd_u16(&r->fmt, r->buf + idx + r->l->len);
}

/* log_next(): past the record at @idx, through a wrap marker. */
static uint32_t ring_next(const struct ring *r, uint32_t idx)
{
	if (!hdr_len(r, idx))
		return hdr_len(r, 0);
	return idx + hdr_len(r, idx);
}

/* logbuf_has_space() */
static bool ring_has_space(const struct ring *r, uint32_t size, bool empty)
{
	uint32_t avail;

	if (r->next > r->first || empty)
		avail = r->len - r->next > r->first ? r->len - r->next : r->first;
	else
		avail = r->first - r->next;
	return avail >= size + r->l->size;
}

/* log_store() */
static void ring_store(struct ring *r, uint64_t ts, uint8_t level,
		       uint8_t facility, uint8_t flags, uint32_t caller,
		       const char *text, size_t text_len, const char *dict,
		       size_t dict_len)
{
	const struct layout *l = r->l;
	uint32_t size = (uint32_t)(l->size + text_len + dict_len);
	size = (size + l->align - 1) & ~(l->align - 1);

	while (r->first_seq < r->next_seq && !ring_has_space(r, size, false)) {
		r->first = ring_next(r, r->first);
		r->first_seq++;
	}
	if (!ring_has_space(r, size, r->first_seq == r->next_seq)) {
		fprintf(stderr, "test bug: record of %u bytes does not fit\n",
			size);
		abort();
	}
	if (r->next + size + l->size > r->len) {
		memset(r->buf + r->next, 0, l->size);
		r->next = 0;
	}
	uint8_t *p = r->buf + r->next;
	memset(p, 0, size);
	rd_put_uint(&r->fmt, p + l->ts, 8, ts);
	rd_put_uint(&r->fmt, p + l->len, 2, size);
	rd_put_uint(&r->fmt, p + l->text_len, 2, text_len);
	rd_put_uint(&r->fmt, p + l->dict_len, 2, dict_len);
	p[l->dict_len + 2] = facility;
	p[l->dict_len + 3] = r->fmt.byte_order == RD_LITTLE_ENDIAN
				     ? (uint8_t)(flags | level << 5)
				     : (uint8_t)(flags << 3 | level);
	if (l->has_caller)
		rd_put_uint(&r->fmt, p + l->caller, 4, caller);
	memcpy(p + l->size, text, text_len);
	memcpy(p + l->size + text_len, dict, dict_len);
	r->next += size;
	r->next_seq++;
}

/* The text of record @n: its number, then a fill of varying length. */
static size_t rec_text(unsigned n, char *out, size_t size)
{
	int k = snprintf(out, size, "rec %u:", n);
	size_t fill = (n * 7) % 23;

	for (size_t i = 0; i < fill && (size_t)k + i + 1 < size; i++)
		out[k + i] = (char)('a' + (n + i) % 26);
	out[k + fill] = '\0';
	return (size_t)k + fill;
}

static uint64_t rec_ts(unsigned n)
{
	return 1000000000ull + n * 1234567ull;
}

/* Store record @n with the self-checking text and derived fields. */
static void ring_store_n(struct ring *r, unsigned n)
{
	char text[64];
	size_t len = rec_text(n, text, sizeof(text));

	ring_store(r, rec_ts(n), n % 8, n % 3, (n % 2) ? 2 : 0, n | 0x100,
		   text, len, "", 0);
}

/* Publish the variables and VMCOREINFO. */
static void ring_publish(struct ring *r, const char *extra)
{
	const struct layout *l = r->l;
	int k;

	rd_put_uint(&r->fmt, r->vars, r->fmt.ptr_size, r->log_buf);
	rd_put_uint(&r->fmt, r->vars + 8, 4, r->len);
	rd_put_uint(&r->fmt, r->vars + 12, 4, r->first);
	rd_put_uint(&r->fmt, r->vars + 16, 4, r->next);
	rd_put_uint(&r->fmt, r->vars + 20, 4, r->clear);
	k = snprintf(r->vmcoreinfo, sizeof(r->vmcoreinfo),
		     "OSRELEASE=4.19.0\n"
		     "SYMBOL(log_buf)=%x\nSYMBOL(log_buf_len)=%x\n"
		     "SYMBOL(log_first_idx)=%x\nSYMBOL(log_next_idx)=%x\n",
		     VARS_VADDR, VARS_VADDR + 8, VARS_VADDR + 12,
		     VARS_VADDR + 16);
	if (!r->no_clear_symbol)
		k += snprintf(r->vmcoreinfo + k, sizeof(r->vmcoreinfo) - k,
			      "SYMBOL(clear_idx)=%x\n", VARS_VADDR + 20);
	if (l->type) {
		k += snprintf(r->vmcoreinfo + k, sizeof(r->vmcoreinfo) - k,
			      "SIZE(%s)=%u\nOFFSET(%s.ts_nsec)=%u\n"
			      "OFFSET(%s.len)=%u\nOFFSET(%s.text_len)=%u\n"
			      "OFFSET(%s.dict_len)=%u\n",
			      l->type, l->size, l->type, l->ts, l->type, l->len,
			      l->type, l->text_len, l->type, l->dict_len);
		if (l->has_caller)
			k += snprintf(r->vmcoreinfo + k,
				      sizeof(r->vmcoreinfo) - k,
				      "OFFSET(%s.caller_id)=%u\n", l->type,
				      l->caller);
	}
	snprintf(r->vmcoreinfo + k, sizeof(r->vmcoreinfo) - k, "%s",
		 extra ? extra : "");
}

static struct crash_error *fake_read_kv(void *arg, uint64_t vaddr, void *buf,
					size_t size)
{
	struct ring *r = arg;
	struct { uint64_t base; const uint8_t *bytes; size_t size; } maps[] = {
		{ VARS_VADDR, r->vars, sizeof(r->vars) },
		{ r->buf_vaddr, r->buf, r->len },
	};

	for (size_t i = 0; i < 2; i++) {
		if (vaddr >= maps[i].base &&
		    rd_field_fits(vaddr - maps[i].base, size, maps[i].size)) {
			memcpy(buf, maps[i].bytes + (vaddr - maps[i].base), size);
			return NULL;
		}
	}
	return crash_error_fault(vaddr, "fake: 0x%" PRIx64 " is not mapped",
				 vaddr);
}

struct got_record {
	struct printk_record rec;	/* pointers cleared */
	char text[128];
	char dict[128];
};

struct got {
	unsigned count;
	struct got_record r[MAX_GOT];
	unsigned note_count;
	char notes[8][320];
	unsigned fail_after;		/* sink error on this record; 0: never */
	struct printk_stats stats;
};

static struct crash_error *got_record(void *arg, const struct printk_record *rec)
{
	struct got *g = arg;

	if (g->fail_after && g->count + 1 == g->fail_after)
		return crash_error_create(CRASH_ERR_OS, "sink: disk full");
	if (g->count == MAX_GOT)
		return crash_error_create(CRASH_ERR_CORRUPT, "test: too many");
	struct got_record *gr = &g->r[g->count++];
	gr->rec = *rec;
	gr->rec.text = gr->rec.dict = NULL;
	snprintf(gr->text, sizeof(gr->text), "%.*s", (int)rec->text_len,
		 (const char *)rec->text);
	memcpy(gr->dict, rec->dict,
	       rec->dict_len < sizeof(gr->dict) ? rec->dict_len : sizeof(gr->dict));
	return NULL;
}

static void got_note(void *arg, const char *message)
{
	struct got *g = arg;

	if (g->note_count < 8)
		snprintf(g->notes[g->note_count], sizeof(g->notes[0]), "%s",
			 message);
	g->note_count++;
}

static struct crash_error *decode_opts(struct ring *r, struct got *g,
				       struct printk_options opts)
{
	struct vmcoreinfo *vi;
	struct crash_error *err = vmcoreinfo_parse(r->vmcoreinfo,
						   strlen(r->vmcoreinfo), &vi);
	if (err)
		return err;
	struct printk_source src = {
		.vmcoreinfo = vi, .format = &r->fmt, .arg = r,
		.read_kv = fake_read_kv, .options = opts,
	};
	struct printk_sink sink = { g, got_record, got_note };
	err = printk_records_decoder.decode(&src, &sink, &g->stats);
	vmcoreinfo_destroy(vi);
	return err;
}

static struct crash_error *decode(struct ring *r, struct got *g)
{
	return decode_opts(r, g, (struct printk_options){ 0 });
}

static struct got *got_new(void)
{
	return calloc(1, sizeof(struct got));
}

/*
 * Check that got holds records @first..@first+@count-1 in order, with the
 * texts and fields ring_store_n() wrote.  Returns true if all match.
 */
static bool got_matches(const struct got *g, unsigned from, unsigned count,
			bool caller)
{
	bool ok = g->count == count;

	for (unsigned i = 0; ok && i < count; i++) {
		const struct got_record *gr = &g->r[i];
		unsigned n = from + i;
		char want[64];

		rec_text(n, want, sizeof(want));
		ok = strcmp(gr->text, want) == 0 &&
		     gr->rec.ts_nsec == rec_ts(n) && gr->rec.level == n % 8 &&
		     gr->rec.facility == n % 3 &&
		     gr->rec.log_flags == ((n % 2) ? 2 : 0) &&
		     gr->rec.caller_id == (caller ? (n | 0x100) : 0) &&
		     gr->rec.dict_len == 0 &&
		     gr->rec.present == (PRINTK_HAS_TS | PRINTK_HAS_LEVEL |
					 PRINTK_HAS_FLAGS |
					 (caller ? PRINTK_HAS_CALLER : 0));
		if (!ok)
			fprintf(stderr, "record %u: got \"%s\" want \"%s\"\n", i,
				gr->text, want);
	}
	return ok;
}

static void test_le64_basic(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 4096);
	for (unsigned n = 0; n < 5; n++)
		ring_store_n(&r, n);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK(got_matches(g, 0, 5, false));
	for (unsigned i = 0; i < g->count; i++)
		CHECK_EQ_U64(g->r[i].rec.seq, i);
	CHECK_STR(g->stats.format_name, "records");
	CHECK_EQ_U64(g->stats.printed, 5);
	CHECK_EQ_U64(g->stats.skipped, 0);
	CHECK_EQ_U64(g->stats.buffer_size, 4096);
	CHECK(!g->stats.has_seq_range);
	CHECK(g->stats.caller == PRINTK_CALLER_OFF);
	CHECK_EQ_U64(g->note_count, 0);
	CHECK(printk_records_decoder.detect != NULL);
	ring_fini(&r);
	free(g);
}

static void test_detect(void)
{
	struct vmcoreinfo *vi;
	const char *yes = "SYMBOL(log_first_idx)=ffffffff81000000\n";
	const char *no = "SYMBOL(log_end)=ffffffff81000000\n";

	CHECK_OK(vmcoreinfo_parse(yes, strlen(yes), &vi));
	CHECK(printk_records_decoder.detect(vi));
	vmcoreinfo_destroy(vi);
	CHECK_OK(vmcoreinfo_parse(no, strlen(no), &vi));
	CHECK(!printk_records_decoder.detect(vi));
	vmcoreinfo_destroy(vi);
	CHECK_STR(printk_records_decoder.name, "records");
}

static void test_empty(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 256);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	CHECK_EQ_U64(g->stats.skipped, 0);

	// Equal indexes in the middle of a used buffer: also empty.
	for (unsigned n = 0; n < 4; n++)
		ring_store_n(&r, n);
	r.first = r.next;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	CHECK_EQ_U64(g->stats.skipped, 0);
	ring_fini(&r);
	free(g);
}

/*
 * After every store into a 256-byte ring, the decoder returns exactly the
 * records the writer kept.  Counts the states that matter: wrapped
 * (first > next) and first_idx on a wrap marker.
 */
static void ring_sweep(enum rd_byte_order bo, unsigned ptr,
		       const struct layout *l, unsigned records)
{
	struct ring r;
	struct got *g = got_new();
	unsigned wrapped = 0, on_marker = 0, bad = 0;

	ring_init(&r, bo, ptr, l, 256);
	for (unsigned n = 0; n < records; n++) {
		ring_store_n(&r, n);
		ring_publish(&r, NULL);
		memset(g, 0, sizeof(*g));
		struct crash_error *err = decode(&r, g);
		if (err || !got_matches(g, (unsigned)r.first_seq,
					(unsigned)(r.next_seq - r.first_seq),
					l->has_caller) ||
		    g->stats.skipped || g->note_count) {
			fprintf(stderr, "after store %u: %s, %u notes: %s\n",
				n, err ? err->message : "ok", g->note_count,
				g->notes[0]);
			bad++;
		}
		crash_error_destroy(err);
		wrapped += r.first > r.next;
		on_marker += hdr_len(&r, r.first) == 0;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK(wrapped > 0);
	CHECK(on_marker > 0);
	ring_fini(&r);
	free(g);
}

static void test_wrapped_le64(void)
{
	ring_sweep(RD_LITTLE_ENDIAN, 8, &layout_printk_log, 300);
}

static void test_wrapped_be32_log(void)
{
	ring_sweep(RD_BIG_ENDIAN, 4, &layout_log_align8, 300);
}

static void test_wrapped_caller(void)
{
	ring_sweep(RD_LITTLE_ENDIAN, 8, &layout_caller, 300);
}

static void test_wrapped_3_5(void)
{
	ring_sweep(RD_BIG_ENDIAN, 4, &layout_3_5, 300);
}

static void test_wrapped_vendor(void)
{
	ring_sweep(RD_LITTLE_ENDIAN, 8, &layout_vendor, 300);
}

static void test_be32_fields(void)
{
	struct ring r;
	struct got *g = got_new();
	const char dict[] = "SUBSYSTEM=pci\0DEVICE=+pci:0000:00:1f.2";

	ring_init(&r, RD_BIG_ENDIAN, 4, &layout_log_align8, 1024);
	ring_store(&r, 5000, 3, 1, PRINTK_LOG_NEWLINE | PRINTK_LOG_PREFIX, 0,
		   "ahci: link up", 13, dict, sizeof(dict) - 1);
	ring_store(&r, 6000, 7, 23, PRINTK_LOG_CONT, 0, "", 0, "", 0);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 2);
	CHECK_STR(g->r[0].text, "ahci: link up");
	CHECK_EQ_U64(g->r[0].rec.level, 3);
	CHECK_EQ_U64(g->r[0].rec.facility, 1);
	CHECK_EQ_U64(g->r[0].rec.log_flags, 6);
	CHECK_EQ_U64(g->r[0].rec.ts_nsec, 5000);
	CHECK_EQ_U64(g->r[0].rec.dict_len, sizeof(dict) - 1);
	CHECK(memcmp(g->r[0].dict, dict, sizeof(dict) - 1) == 0);
	CHECK_EQ_U64(g->r[1].rec.text_len, 0);
	CHECK_EQ_U64(g->r[1].rec.level, 7);
	CHECK_EQ_U64(g->r[1].rec.facility, 23);
	CHECK_EQ_U64(g->r[1].rec.log_flags, PRINTK_LOG_CONT);
	CHECK_EQ_U64(g->r[1].rec.seq, 1);
	ring_fini(&r);
	free(g);
}

static void test_caller(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_caller, 1024);
	ring_store(&r, 1, 6, 0, 2, 0x80000003, "on cpu 3", 8, "", 0);
	ring_store(&r, 2, 6, 0, 2, 1234, "task 1234", 9, "", 0);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 2);
	CHECK_EQ_U64(g->r[0].rec.caller_id, 0x80000003);
	CHECK_EQ_U64(g->r[1].rec.caller_id, 1234);
	CHECK(g->r[1].rec.present & PRINTK_HAS_CALLER);
	CHECK(!(g->r[1].rec.present & PRINTK_HAS_SEQ));
	CHECK(g->stats.caller == PRINTK_CALLER_ON);
	ring_fini(&r);
	free(g);
}

/* Both names exported (printk_log wins), and 3.5 without any. */
static void test_layout_names(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 512);
	for (unsigned n = 0; n < 3; n++)
		ring_store_n(&r, n);
	ring_publish(&r, "SIZE(log)=999\nOFFSET(log.len)=900\n");
	CHECK_OK(decode(&r, g));
	CHECK(got_matches(g, 0, 3, false));

	r.l = &layout_3_5;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode(&r, g));
	CHECK(got_matches(g, 0, 3, false));
	CHECK(!strstr(r.vmcoreinfo, "SIZE("));
	ring_fini(&r);
	free(g);
}

static void test_since_clear(void)
{
	struct ring r;
	struct got *g = got_new();
	struct printk_options clear = { .since_clear = true };

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 256);
	for (unsigned n = 0; n < 30; n++) {
		ring_store_n(&r, n);
		if (n == 24)
			r.clear = r.next;	// dmesg -c after record 24
	}
	CHECK(r.first > r.next);
	ring_publish(&r, NULL);
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK(got_matches(g, 25, 5, false));
	CHECK_EQ_U64(g->stats.skipped, 0);
	CHECK_EQ_U64(g->note_count, 0);

	// Without the option: everything.
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode(&r, g));
	CHECK(got_matches(g, (unsigned)r.first_seq,
			  (unsigned)(r.next_seq - r.first_seq), false));

	// clear_idx == log_next_idx: cleared just before the crash.
	r.clear = r.next;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK_EQ_U64(g->count, 0);

	// clear_idx in the overwritten gap: all records are newer.
	r.clear = r.next + 4;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK_EQ_U64(g->count, r.next_seq - r.first_seq);
	CHECK_EQ_U64(g->note_count, 1);
	char want[200];
	snprintf(want, sizeof(want),
		 "records: clear_idx 0x%x is outside the log 0x%x..0x%x: printing the whole log",
		 r.clear, r.first, r.next);
	CHECK_STR(g->notes[0], want);
	CHECK_EQ_U64(g->stats.skipped, 0);

	// No SYMBOL(clear_idx) (before 4.6).
	r.no_clear_symbol = true;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK_EQ_U64(g->count, r.next_seq - r.first_seq);
	CHECK_STR(g->notes[0],
		  "records: VMCOREINFO has no SYMBOL(clear_idx) (exported from 4.6): printing the whole log");
	ring_fini(&r);
	free(g);
}

static void test_sink_error(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 1024);
	for (unsigned n = 0; n < 5; n++)
		ring_store_n(&r, n);
	ring_publish(&r, NULL);
	g->fail_after = 3;
	CHECK_ERR(decode(&r, g), CRASH_ERR_OS, "sink: disk full");
	CHECK_EQ_U64(g->count, 2);
	CHECK_EQ_U64(g->stats.printed, 2);
	ring_fini(&r);
	free(g);
}

/* A ring of records 0..4 at known offsets; returns the offset of record 2. */
static uint32_t five_records(struct ring *r, enum rd_byte_order bo,
			     unsigned ptr, uint32_t *offsets)
{
	ring_init(r, bo, ptr, &layout_printk_log, 1024);
	for (unsigned n = 0; n < 5; n++) {
		offsets[n] = r->next;
		ring_store_n(r, n);
	}
	return offsets[2];
}

/* Decode, expect records 0, 1, 3, 4 and one note equal to @want_note. */
static void check_skips_record_2(struct ring *r, const char *want_note)
{
	struct got *g = got_new();

	ring_publish(r, NULL);
	CHECK_OK(decode(r, g));
	CHECK_EQ_U64(g->count, 4);
	char want1[64];
	rec_text(1, want1, sizeof(want1));
	CHECK_STR(g->r[1].text, want1);
	CHECK(g->count == 4 && strncmp(g->r[2].text, "rec 3:", 6) == 0);
	CHECK(g->count == 4 && strncmp(g->r[3].text, "rec 4:", 6) == 0);
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_EQ_U64(g->stats.printed, 4);
	CHECK_EQ_U64(g->note_count, 1);
	CHECK_STR(g->notes[0], want_note);
	CHECK_STR(g->stats.first_skip_reason, want_note);
	free(g);
}

static void test_hostile_record_len(void)
{
	struct ring r;
	uint32_t off[5];
	char want[320];

	// len < header
	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	rd_put_uint(&r.fmt, r.buf + off[2] + 8, 2, 8);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: len 8 is not a multiple of 4 of at least the 16-byte header; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], off[3] - off[2], off[3]);
	check_skips_record_2(&r, want);
	ring_fini(&r);

	// misaligned len (BE 32-bit)
	five_records(&r, RD_BIG_ENDIAN, 4, off);
	uint16_t len2 = rd_u16(&r.fmt, r.buf + off[2] + 8);
	rd_put_uint(&r.fmt, r.buf + off[2] + 8, 2, len2 + 1u);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: len %u is not a multiple of 4 of at least the 16-byte header; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], len2 + 1u, off[3] - off[2], off[3]);
	check_skips_record_2(&r, want);
	ring_fini(&r);

	// text_len > len
	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	rd_put_uint(&r.fmt, r.buf + off[2] + 10, 2, 0xfff0);
	len2 = rd_u16(&r.fmt, r.buf + off[2] + 8);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: text_len 65520 + dict_len 0 exceed len %u - header 16; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], len2, off[3] - off[2], off[3]);
	check_skips_record_2(&r, want);
	ring_fini(&r);

	// len running past log_next_idx
	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	rd_put_uint(&r.fmt, r.buf + off[2] + 8, 2, 0x800);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: len 2048 runs past log_next_idx 0x%x; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], r.next, off[3] - off[2], off[3]);
	check_skips_record_2(&r, want);
	ring_fini(&r);

	// len == 0 in the middle of a log that does not wrap
	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	rd_put_uint(&r.fmt, r.buf + off[2] + 8, 2, 0);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: a wrap marker (len 0) although log_first_idx <= log_next_idx; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], off[3] - off[2], off[3]);
	check_skips_record_2(&r, want);
	ring_fini(&r);
}

/* Misaligned log_first_idx: resync finds record 1. */
static void test_hostile_first_misaligned(void)
{
	struct ring r;
	uint32_t off[5];
	struct got *g = got_new();
	char want[320];

	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	r.first = 2;
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 4);
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK(g->count == 4 && strncmp(g->r[0].text, "rec 1:", 6) == 0);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x2: offset is not 4-aligned; skipped %u bytes to the next plausible record at 0x%x",
		 off[1] - 2, off[1]);
	CHECK_STR(g->notes[0], want);
	ring_fini(&r);
	free(g);
}

/*
 * Resync weighs timestamps: after a corrupt record 2, a record 3 stamped
 * more than a second before record 1 is not taken as the place to resume;
 * one within the second is.
 */
static void test_hostile_resync_ts(void)
{
	struct ring r;
	uint32_t off[5];
	struct got *g = got_new();
	char want[320];

	five_records(&r, RD_LITTLE_ENDIAN, 8, off);
	rd_put_uint(&r.fmt, r.buf + off[2] + 8, 2, 0x13);
	rd_put_uint(&r.fmt, r.buf + off[3], 8, rec_ts(1) - 1000000001);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 3);
	CHECK(g->count == 3 && strncmp(g->r[2].text, "rec 4:", 6) == 0);
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: len 19 is not a multiple of 4 of at least the 16-byte header; skipped %u bytes to the next plausible record at 0x%x",
		 off[2], off[4] - off[2], off[4]);
	CHECK_STR(g->notes[0], want);

	rd_put_uint(&r.fmt, r.buf + off[3], 8, rec_ts(1) - 999999999);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 4);
	CHECK(g->count == 4 && strncmp(g->r[2].text, "rec 3:", 6) == 0);
	ring_fini(&r);
	free(g);
}

/*
 * A wrapping log whose record at 0 is a zero header: following markers
 * would loop for ever (the cycle peers abort on).  We stop once.
 */
static void test_hostile_cycle(void)
{
	struct ring r;
	struct got *g = got_new();
	unsigned n = 0;

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 256);
	while (!(r.first > r.next && hdr_len(&r, r.first) != 0 && r.next > 64))
		ring_store_n(&r, n++);
	// The wrap marker follows the records of the first segment.
	uint32_t marker = r.first;
	while (hdr_len(&r, marker))
		marker += hdr_len(&r, marker);
	uint32_t after0 = hdr_len(&r, 0);
	memset(r.buf, 0, 16);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	unsigned before_wrap = 0;
	for (uint32_t i = r.first; i != marker; i += hdr_len(&r, i))
		before_wrap++;
	CHECK_EQ_U64(g->stats.skipped, 1);
	// Records before the marker, then those after the zeroed one at 0.
	unsigned after_wrap = 0;
	for (uint32_t i = after0; i != r.next; i += hdr_len(&r, i))
		after_wrap++;
	CHECK_EQ_U64(g->count, before_wrap + after_wrap);
	char want[320];
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x0: a second wrap marker (len 0); skipped %u bytes to the next plausible record at 0x%x",
		 after0, after0);
	CHECK_STR(g->notes[0], want);
	ring_fini(&r);
	free(g);
}

/* A corrupt last record before the marker: resync crosses the wrap. */
static void test_hostile_resync_across_wrap(void)
{
	struct ring r;
	struct got *g = got_new();
	unsigned n = 0;

	ring_init(&r, RD_BIG_ENDIAN, 4, &layout_printk_log, 256);
	while (!(r.first > r.next && r.next > 64 && hdr_len(&r, r.first)))
		ring_store_n(&r, n++);
	uint32_t last = r.first;
	unsigned count = 0;
	while (last + hdr_len(&r, last) < r.len &&
	       hdr_len(&r, last + hdr_len(&r, last))) {
		last += hdr_len(&r, last);
		count++;
	}
	// count records before `last`; corrupt `last` (text_len too big).
	rd_put_uint(&r.fmt, r.buf + last + 10, 2, 0x7777);
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_EQ_U64(g->count, r.next_seq - r.first_seq - 1);
	unsigned first_n = (unsigned)r.first_seq;
	bool ok = true;
	for (unsigned i = 0; i < g->count; i++) {
		char want[64];
		rec_text(first_n + i + (i >= count ? 1 : 0), want, sizeof(want));
		ok = ok && strcmp(g->r[i].text, want) == 0;
	}
	CHECK(ok);
	char want[320];
	snprintf(want, sizeof(want),
		 "records: record at log_buf+0x%x: text_len 30583 + dict_len 0 exceed len %u - header 16; skipped %u bytes to the next plausible record at 0x0",
		 last, hdr_len(&r, last), r.len - last);
	CHECK_STR(g->notes[0], want);
	ring_fini(&r);
	free(g);
}

static void test_hostile_fill(void)
{
	struct ring r;
	struct got *g = got_new();

	// All zero, indexes 0 and 0x40.
	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 256);
	r.next = 0x40;
	ring_publish(&r, NULL);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_STR(g->notes[0],
		  "records: record at log_buf+0x0: a wrap marker (len 0) although log_first_idx <= log_next_idx; no plausible record before log_next_idx 0x40");

	// All 0xff, wrapping indexes.
	memset(r.buf, 0xff, r.len);
	r.first = 0x80;
	r.next = 0x40;
	ring_publish(&r, NULL);
	memset(g, 0, sizeof(*g));
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_STR(g->notes[0],
		  "records: record at log_buf+0x80: len 65535 is not a multiple of 4 of at least the 16-byte header; no plausible record before log_next_idx 0x40");
	ring_fini(&r);
	free(g);
}

static void test_hostile_vars(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_printk_log, 256);
	ring_store_n(&r, 0);

	r.first = 256;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: log_first_idx 0x100 is not below log_buf_len 0x100");
	r.first = 0;
	r.next = 0xfffffff0;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: log_next_idx 0xfffffff0 is not below log_buf_len 0x100");
	r.next = 0x20;

	uint32_t len = r.len;
	r.len = 0;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT, "records: log_buf_len is 0");
	r.len = 0x80000004;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: log_buf_len 0x80000004 exceeds the kernel's maximum of 0x80000000 bytes");
	r.len = 12;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: log_buf_len 0xc cannot hold one 16-byte header");
	r.len = len;
	ring_publish(&r, NULL);
	CHECK_ERR(decode_opts(&r, g, (struct printk_options){ .max_buffer = 128 }),
		  CRASH_ERR_UNSUPPORTED,
		  "records: log_buf_len 0x100 exceeds the buffer limit of 0x80 bytes");

	r.log_buf = 0;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "records: log_buf is a NULL pointer");
	r.log_buf = 0xc0200000;
	ring_publish(&r, NULL);
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "records: reading log_buf (256 bytes) at 0xc0200000: fake: 0xc0200000 is not mapped");
	r.log_buf = BUF_VADDR;

	// The variables themselves unmapped / not named.
	ring_publish(&r, NULL);
	char *p = strstr(r.vmcoreinfo, "SYMBOL(log_next_idx)=");
	memcpy(p, "SYMBOL(log_next_idy)=", 21);
	CHECK_ERR(decode(&r, g), CRASH_ERR_NOT_FOUND,
		  "records: VMCOREINFO has no SYMBOL(log_next_idx)");
	ring_publish(&r, "");
	p = strstr(r.vmcoreinfo, "SYMBOL(log_buf_len)=");
	memcpy(p + 20, "00000010", 8);
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "records: reading log_buf_len at 0x10: fake: 0x10 is not mapped");
	ring_fini(&r);
	free(g);
}

static void test_hostile_layout(void)
{
	struct ring r;
	struct got *g = got_new();

	ring_init(&r, RD_LITTLE_ENDIAN, 8, &layout_3_5, 256);
	ring_store_n(&r, 0);

	ring_publish(&r, "SIZE(log)=2000\nOFFSET(log.ts_nsec)=0\nOFFSET(log.len)=8\n"
			 "OFFSET(log.text_len)=10\nOFFSET(log.dict_len)=12\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: SIZE(log)=2000 is outside the plausible 16..1024 bytes");
	ring_publish(&r, "SIZE(log)=8\nOFFSET(log.ts_nsec)=0\nOFFSET(log.len)=8\n"
			 "OFFSET(log.text_len)=10\nOFFSET(log.dict_len)=12\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: SIZE(log)=8 is outside the plausible 16..1024 bytes");
	ring_publish(&r, "SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
			 "OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n"
			 "OFFSET(printk_log.dict_len)=14\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: OFFSET(printk_log.dict_len)=14 leaves no room for its 4 bytes in SIZE(printk_log)=16");
	ring_publish(&r, "SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
			 "OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n"
			 "OFFSET(printk_log.dict_len)=12\nOFFSET(printk_log.caller_id)=16\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: OFFSET(printk_log.caller_id)=16 leaves no room for its 4 bytes in SIZE(printk_log)=16");
	ring_publish(&r, "SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
			 "OFFSET(printk_log.text_len)=10\nOFFSET(printk_log.dict_len)=12\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: VMCOREINFO has SIZE(printk_log) but no OFFSET(printk_log.len)");

	// A malformed value: vmcoreinfo.c's message behind our prefix.
	ring_publish(&r, "SIZE(log)=0\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: vmcoreinfo: SIZE(log)=\"0\" is out of range (1 to 1073741824)");
	ring_publish(&r, "SIZE(printk_log)=1x6\n");
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "records: vmcoreinfo: SIZE(printk_log)=\"1x6\" is not a decimal number");
	ring_fini(&r);
	free(g);
}

int main(void)
{
	RUN(test_detect);
	RUN(test_le64_basic);
	RUN(test_empty);
	RUN(test_wrapped_le64);
	RUN(test_wrapped_be32_log);
	RUN(test_wrapped_caller);
	RUN(test_wrapped_3_5);
	RUN(test_wrapped_vendor);
	RUN(test_be32_fields);
	RUN(test_caller);
	RUN(test_layout_names);
	RUN(test_since_clear);
	RUN(test_sink_error);
	RUN(test_hostile_record_len);
	RUN(test_hostile_first_misaligned);
	RUN(test_hostile_resync_ts);
	RUN(test_hostile_cycle);
	RUN(test_hostile_resync_across_wrap);
	RUN(test_hostile_fill);
	RUN(test_hostile_vars);
	RUN(test_hostile_layout);
	return test_summary("printk_records_test");
}
