/*
 * printk_legacy_test.c - the <= 3.4 byte ring decoder.
 *
 * A tiny writer (lring_emit(), after the kernel's emit_log_char()) fills a
 * small log_buf through a free-running 64-bit log_end; the variables are
 * published with the widths the kernel used (log_end 4 bytes, or 8 for a
 * 64-bit 2.6.24).  Lines encode their number (line_text()), so the
 * decoder's output is checked against what was written.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../crashdmesg/printk.h"
#include "test.h"

enum {
	VARS_VADDR = 0xc0002000,	/* log_buf@0 len@8 end@16 logged@24 */
	BUF_VADDR = 0xc0400000,
	MAX_GOT = 400,
};

struct lring {
	struct rd_format fmt;
	uint8_t *buf;
	uint32_t len;
	int32_t len_field;	/* what log_buf_len says; defaults to len */
	uint64_t log_end;	/* the writer's count, never wrapped */
	uint32_t logged_chars;
	const char *osrelease;
	bool no_logged_symbol;
	uint64_t log_buf;
	uint8_t vars[32];
	char vmcoreinfo[1024];
};

static void lring_init(struct lring *r, enum rd_byte_order bo, unsigned ptr,
		       uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->fmt.byte_order = bo;
	r->fmt.ptr_size = ptr;
	r->len = len;
	r->len_field = (int32_t)len;
	r->buf = calloc(1, len);
	r->osrelease = "3.0.101";
	r->log_buf = BUF_VADDR;
}

/* emit_log_char() */
static void lring_emit(struct lring *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->buf[r->log_end & (r->len - 1)] = (uint8_t)s[i];
		r->log_end++;
		if (r->logged_chars < r->len)
			r->logged_chars++;
	}
}

static unsigned line_prefix(unsigned n)
{
	return (n % 3) * 8 + n % 8;
}

static uint64_t line_ts(unsigned n)
{
	return n * 1000000000ull + n * 7000ull;
}

/* The text of line @n after its prefixes, without the '\n'. */
static size_t line_text(unsigned n, char *out, size_t size)
{
	int k = snprintf(out, size, "line %u:", n);
	size_t fill = (n * 5) % 17;

	for (size_t i = 0; i < fill; i++)
		out[k + i] = (char)('A' + (n + i) % 26);
	out[k + fill] = '\0';
	return (size_t)k + fill;
}

/* The whole stored line @n, as vprintk() wrote it. */
static size_t line_raw(unsigned n, char *out, size_t size)
{
	char text[64];

	line_text(n, text, sizeof(text));
	return (size_t)snprintf(out, size, "<%u>[%5u.%06u] %s\n",
				line_prefix(n), n, n * 7, text);
}

static void lring_line(struct lring *r, unsigned n)
{
	char raw[128];
	size_t k = line_raw(n, raw, sizeof(raw));

	lring_emit(r, raw, k);
}

static void lring_publish(struct lring *r)
{
	bool long_end = r->osrelease && strncmp(r->osrelease, "2.6.2", 5) == 0;
	int k;

	rd_put_uint(&r->fmt, r->vars, r->fmt.ptr_size, r->log_buf);
	rd_put_uint(&r->fmt, r->vars + 8, 4, (uint32_t)r->len_field);
	if (long_end && r->fmt.ptr_size == 8)
		rd_put_uint(&r->fmt, r->vars + 16, 8, r->log_end);
	else
		rd_put_uint(&r->fmt, r->vars + 16, 4, (uint32_t)r->log_end);
	rd_put_uint(&r->fmt, r->vars + 24, 4, r->logged_chars);
	k = snprintf(r->vmcoreinfo, sizeof(r->vmcoreinfo),
		     "OSRELEASE=%s\nSYMBOL(log_buf)=%x\nSYMBOL(log_buf_len)=%x\n"
		     "SYMBOL(log_end)=%x\n",
		     r->osrelease, VARS_VADDR, VARS_VADDR + 8, VARS_VADDR + 16);
	if (!r->no_logged_symbol)
		snprintf(r->vmcoreinfo + k, sizeof(r->vmcoreinfo) - k,
			 "SYMBOL(logged_chars)=%x\n", VARS_VADDR + 24);
}

static struct crash_error *fake_read_kv(void *arg, uint64_t vaddr, void *buf,
					size_t size)
{
	struct lring *r = arg;
	struct { uint64_t base; const uint8_t *bytes; size_t size; } maps[] = {
		{ VARS_VADDR, r->vars, sizeof(r->vars) },
		{ BUF_VADDR, r->buf, r->len },
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

struct got_line {
	struct printk_record rec;	/* pointers cleared */
	char *raw;			/* NUL-terminated copies */
	char *text;
};

struct got {
	unsigned count;
	struct got_line r[MAX_GOT];
	unsigned note_count;
	char notes[4][256];
	unsigned fail_after;
	struct printk_stats stats;
};

static char *copy_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static struct crash_error *got_record(void *arg, const struct printk_record *rec)
{
	struct got *g = arg;

	if (g->fail_after && g->count + 1 == g->fail_after)
		return crash_error_create(CRASH_ERR_OS, "sink: broken pipe");
	if (g->count == MAX_GOT)
		return crash_error_create(CRASH_ERR_CORRUPT, "test: too many");
	// text lies inside raw
	if (rec->text < rec->raw ||
	    rec->text + rec->text_len > rec->raw + rec->raw_len)
		return crash_error_create(CRASH_ERR_CORRUPT, "test: text outside raw");
	struct got_line *gl = &g->r[g->count++];
	gl->rec = *rec;
	gl->raw = copy_bytes(rec->raw, rec->raw_len);
	gl->text = copy_bytes(rec->text, rec->text_len);
	gl->rec.raw = gl->rec.text = NULL;
	return NULL;
}

static void got_note(void *arg, const char *message)
{
	struct got *g = arg;

	if (g->note_count < 4)
		snprintf(g->notes[g->note_count], sizeof(g->notes[0]), "%s",
			 message);
	g->note_count++;
}

static void got_clear(struct got *g)
{
	for (unsigned i = 0; i < g->count; i++) {
		free(g->r[i].raw);
		free(g->r[i].text);
	}
	memset(g, 0, sizeof(*g));
}

static struct got *got_new(void)
{
	return calloc(1, sizeof(struct got));
}

static void got_free(struct got *g)
{
	got_clear(g);
	free(g);
}

static struct crash_error *decode_opts(struct lring *r, struct got *g,
				       struct printk_options opts)
{
	struct vmcoreinfo *vi;
	struct crash_error *err;

	got_clear(g);
	lring_publish(r);
	err = vmcoreinfo_parse(r->vmcoreinfo, strlen(r->vmcoreinfo), &vi);
	if (err)
		return err;
	struct printk_source src = {
		.vmcoreinfo = vi, .format = &r->fmt, .arg = r,
		.read_kv = fake_read_kv, .options = opts,
	};
	struct printk_sink sink = { g, got_record, got_note };
	err = printk_legacy_decoder.decode(&src, &sink, &g->stats);
	vmcoreinfo_destroy(vi);
	return err;
}

static struct crash_error *decode(struct lring *r, struct got *g)
{
	return decode_opts(r, g, (struct printk_options){ 0 });
}

/* Records @from.. of got are whole lines @first.. in order. */
static bool got_lines(const struct got *g, unsigned from, unsigned first,
		      unsigned count)
{
	bool ok = g->count == from + count;

	for (unsigned i = 0; ok && i < count; i++) {
		const struct got_line *gl = &g->r[from + i];
		unsigned n = first + i;
		char raw[128], text[64];

		line_raw(n, raw, sizeof(raw));
		line_text(n, text, sizeof(text));
		ok = strcmp(gl->raw, raw) == 0 && strcmp(gl->text, text) == 0 &&
		     gl->rec.present == (PRINTK_HAS_LEVEL | PRINTK_HAS_TS) &&
		     gl->rec.level == line_prefix(n) % 8 &&
		     gl->rec.facility == line_prefix(n) / 8 &&
		     gl->rec.ts_nsec == line_ts(n) && gl->rec.seq == from + i;
		if (!ok)
			fprintf(stderr, "record %u: got \"%s\" want \"%s\"\n",
				from + i, gl->raw, raw);
	}
	return ok;
}

/* Record 0 is the torn tail of line @n (the one before the first whole). */
static bool got_torn(const struct got *g, unsigned n)
{
	char raw[128];
	size_t k = line_raw(n, raw, sizeof(raw));

	if (!g->count)
		return false;
	size_t t = strlen(g->r[0].raw);
	return g->r[0].rec.present == 0 && t <= k &&
	       strcmp(raw + k - t, g->r[0].raw) == 0 &&
	       t == strlen(g->r[0].text) + 1;
}

static void test_detect(void)
{
	struct vmcoreinfo *vi;
	const char *yes = "SYMBOL(log_end)=c0400000\n";

	CHECK_OK(vmcoreinfo_parse(yes, strlen(yes), &vi));
	CHECK(printk_legacy_decoder.detect(vi));
	CHECK(!printk_records_decoder.detect(vi));
	vmcoreinfo_destroy(vi);
	CHECK_STR(printk_legacy_decoder.name, "legacy");
}

static void test_basic_le64(void)
{
	struct lring r;
	struct got *g = got_new();

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 4096);
	for (unsigned n = 0; n < 5; n++)
		lring_line(&r, n);
	lring_emit(&r, "<4>[    9.000001] unterminated", 30);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 6);
	CHECK(g->count == 6 && strcmp(g->r[5].raw, "<4>[    9.000001] unterminated") == 0);
	CHECK(g->count == 6 && strcmp(g->r[5].text, "unterminated") == 0);
	CHECK_EQ_U64(g->r[5].rec.ts_nsec, 9000001000ull);
	CHECK_EQ_U64(g->r[5].rec.level, 4);
	CHECK(!g->stats.torn_first_line);
	CHECK_STR(g->stats.format_name, "legacy");
	CHECK_EQ_U64(g->stats.printed, 6);
	CHECK_EQ_U64(g->stats.skipped, 0);
	CHECK_EQ_U64(g->stats.buffer_size, 4096);
	CHECK(g->stats.caller == PRINTK_CALLER_OFF);
	CHECK_EQ_U64(g->note_count, 0);

	// An empty log.
	memset(r.buf, 0, r.len);
	r.log_end = r.logged_chars = 0;
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	free(r.buf);
	got_free(g);
}

/* Sweep: after every line into a 256-byte ring, exactly the kept lines. */
static void sweep(enum rd_byte_order bo, unsigned ptr, uint64_t log_end0,
		  const char *osrelease)
{
	struct lring r;
	struct got *g = got_new();
	unsigned bad = 0, torn = 0;
	uint64_t line_start[200];

	lring_init(&r, bo, ptr, 256);
	r.osrelease = osrelease;
	r.log_end = log_end0;
	for (unsigned n = 0; n < 200; n++) {
		line_start[n] = r.log_end;
		lring_line(&r, n);
		// A ring started high must fill before it means anything.
		if (log_end0 && r.log_end - log_end0 < r.len)
			continue;
		struct crash_error *err = decode(&r, g);
		bool wrapped = r.log_end >= r.len;
		uint64_t oldest = wrapped ? r.log_end - r.len : 0;
		unsigned first = 0;
		while (line_start[first] < oldest)
			first++;
		// A full ring's first line counts as torn even when whole.
		unsigned torn_line = line_start[first] != oldest ? first - 1
								 : first;
		bool ok = !err && g->stats.torn_first_line == wrapped;
		if (ok && wrapped)
			ok = got_torn(g, torn_line) &&
			     got_lines(g, 1, torn_line + 1, n - torn_line);
		else if (ok)
			ok = got_lines(g, 0, 0, n + 1);
		if (!ok) {
			fprintf(stderr, "after line %u: %s\n", n,
				err ? err->message : "mismatch");
			bad++;
		}
		crash_error_destroy(err);
		torn += wrapped && torn_line != first;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK(torn > 0);
	free(r.buf);
	got_free(g);
}

static void test_wrapped_le64(void)
{
	sweep(RD_LITTLE_ENDIAN, 8, 0, "3.0.101");
}

static void test_wrapped_be32(void)
{
	sweep(RD_BIG_ENDIAN, 4, 0, "2.6.32");
}

/*
 * log_end past 2^32: the 4-byte variable wraps, its low bits still index
 * the ring, and logged_chars > log_end shows the ring is full.
 */
static void test_log_end_past_4g(void)
{
	sweep(RD_LITTLE_ENDIAN, 8, (1ull << 32) - 3000, "3.2.0");
	sweep(RD_BIG_ENDIAN, 4, (1ull << 32) - 3000, "3.2.0");
}

/* 2.6.24 and older on 64-bit: an 8-byte log_end, also big-endian. */
static void test_log_end_long(void)
{
	sweep(RD_BIG_ENDIAN, 8, (1ull << 32) - 3000, "2.6.24");
	sweep(RD_LITTLE_ENDIAN, 8, 5ull << 32, "2.6.20-smp");
}

/*
 * Past 2^32 without SYMBOL(logged_chars): only [0, log_end) is visible,
 * as for every other reader (see (3) in printk_legacy.c).
 */
static void test_log_end_past_4g_no_logged(void)
{
	struct lring r;
	struct got *g = got_new();
	unsigned n = 0;

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 256);
	r.log_end = (1ull << 32) - 1000;
	while ((uint32_t)r.log_end < 40 || r.log_end < (1ull << 32))
		lring_line(&r, n++);
	r.no_logged_symbol = true;
	CHECK_OK(decode(&r, g));
	CHECK(!g->stats.torn_first_line);
	size_t total = 0;
	for (unsigned i = 0; i < g->count; i++)
		total += strlen(g->r[i].raw);
	CHECK_EQ_U64(total, (uint32_t)r.log_end);
	free(r.buf);
	got_free(g);
}

static void test_since_clear(void)
{
	struct lring r;
	struct got *g = got_new();
	struct printk_options clear = { .since_clear = true };

	lring_init(&r, RD_BIG_ENDIAN, 4, 512);
	for (unsigned n = 0; n < 30; n++) {
		lring_line(&r, n);
		if (n == 25)
			r.logged_chars = 0;	// dmesg -c
	}
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK(got_lines(g, 0, 26, 4));
	CHECK(!g->stats.torn_first_line);

	// Cleared mid-line: the first line is torn.
	r.logged_chars -= 3;
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK(g->stats.torn_first_line);
	CHECK(got_torn(g, 26) && got_lines(g, 1, 27, 3));

	// Nothing since the clear.
	r.logged_chars = 0;
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK_EQ_U64(g->count, 0);

	// No SYMBOL(logged_chars): the whole log, noted.
	r.no_logged_symbol = true;
	CHECK_OK(decode_opts(&r, g, clear));
	CHECK(g->stats.torn_first_line);
	CHECK_EQ_U64(g->note_count, 1);
	CHECK_STR(g->notes[0],
		  "legacy: VMCOREINFO has no SYMBOL(logged_chars): printing the whole log");
	free(r.buf);
	got_free(g);
}

static void test_prefixes(void)
{
	struct lring r;
	struct got *g = got_new();
	const char text[] =
		"<13>[12345678901.999999] from userspace\n"
		"<1234>not a level\n"
		"<6>no stamp\n"
		"[    1.000001]no space\n"
		"<3>[ 12.34] short usec\n"
		"<>empty\n"
		"\n"
		"plain\n";

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 1024);
	lring_emit(&r, text, sizeof(text) - 1);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 8);
	if (g->count != 8) {
		got_free(g);
		free(r.buf);
		return;
	}
	CHECK_STR(g->r[0].text, "from userspace");
	CHECK_EQ_U64(g->r[0].rec.level, 5);
	CHECK_EQ_U64(g->r[0].rec.facility, 1);
	CHECK_EQ_U64(g->r[0].rec.ts_nsec, 12345678901999999000ull);
	CHECK_STR(g->r[1].text, "<1234>not a level");
	CHECK_EQ_U64(g->r[1].rec.present, 0);
	CHECK_STR(g->r[2].text, "no stamp");
	CHECK_EQ_U64(g->r[2].rec.present, PRINTK_HAS_LEVEL);
	CHECK_STR(g->r[3].text, "no space");
	CHECK_EQ_U64(g->r[3].rec.present, PRINTK_HAS_TS);
	CHECK_EQ_U64(g->r[3].rec.ts_nsec, 1000001000);
	CHECK_STR(g->r[4].text, "[ 12.34] short usec");
	CHECK_EQ_U64(g->r[4].rec.present, PRINTK_HAS_LEVEL);
	CHECK_STR(g->r[5].text, "<>empty");
	CHECK_STR(g->r[6].raw, "\n");
	CHECK_EQ_U64(g->r[6].rec.text_len, 0);
	CHECK_STR(g->r[7].text, "plain");
	free(r.buf);
	got_free(g);
}

static void test_nul_bytes(void)
{
	struct lring r;
	struct got *g = got_new();

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 256);
	lring_emit(&r, "<6>one\n<6>t\0\0\0wo\n\0", 18);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 2);
	CHECK_STR(g->r[1].raw, "<6>two\n");
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_STR(g->notes[0],
		  "legacy: dropped 4 NUL bytes, which the kernel never stores");
	CHECK_STR(g->stats.first_skip_reason, g->notes[0]);

	// All zero and wrapped three times: nothing but the note.
	memset(r.buf, 0, r.len);
	r.log_end = 3 * 256 + 17;
	r.logged_chars = 256;
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 0);
	CHECK_EQ_U64(g->stats.skipped, 1);
	CHECK_STR(g->notes[0],
		  "legacy: dropped 256 NUL bytes, which the kernel never stores");

	// All 0xff: text as far as the format can tell.
	memset(r.buf, 0xff, r.len);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 1);
	CHECK_EQ_U64(g->r[0].rec.raw_len, 256);
	CHECK_EQ_U64(g->r[0].rec.text_len, 256);
	CHECK(g->stats.torn_first_line);
	CHECK_EQ_U64(g->stats.skipped, 0);
	free(r.buf);
	got_free(g);
}

static void test_long_line(void)
{
	struct lring r;
	struct got *g = got_new();
	char *big = malloc(100001);

	memset(big, 'x', 100000);
	big[0] = '<';
	big[1] = '6';
	big[2] = '>';
	big[100000] = '\n';
	lring_init(&r, RD_LITTLE_ENDIAN, 8, 256 * 1024);
	lring_emit(&r, big, 100001);
	lring_emit(&r, "<5>after\n", 9);
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->count, 3);
	CHECK_EQ_U64(g->r[0].rec.raw_len, 65536);
	CHECK_EQ_U64(g->r[0].rec.text_len, 65533);
	CHECK_EQ_U64(g->r[0].rec.present, PRINTK_HAS_LEVEL);
	CHECK_EQ_U64(g->r[1].rec.raw_len, 100001 - 65536);
	CHECK_EQ_U64(g->r[1].rec.text_len, 100000 - 65536);
	CHECK_EQ_U64(g->r[1].rec.present, 0);
	CHECK(g->count == 3 && strcmp(g->r[2].text, "after") == 0);
	CHECK_EQ_U64(g->note_count, 1);
	CHECK_STR(g->notes[0],
		  "legacy: a line longer than 65536 bytes was cut into pieces");
	CHECK_EQ_U64(g->stats.skipped, 0);
	free(big);
	free(r.buf);
	got_free(g);
}

static void test_sink_error(void)
{
	struct lring r;
	struct got *g = got_new();

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 1024);
	for (unsigned n = 0; n < 5; n++)
		lring_line(&r, n);
	lring_publish(&r);
	struct vmcoreinfo *vi;
	CHECK_OK(vmcoreinfo_parse(r.vmcoreinfo, strlen(r.vmcoreinfo), &vi));
	struct printk_source src = {
		.vmcoreinfo = vi, .format = &r.fmt, .arg = &r,
		.read_kv = fake_read_kv,
	};
	struct printk_sink sink = { g, got_record, got_note };
	g->fail_after = 2;
	CHECK_ERR(printk_legacy_decoder.decode(&src, &sink, &g->stats),
		  CRASH_ERR_OS, "sink: broken pipe");
	CHECK_EQ_U64(g->count, 1);
	CHECK_EQ_U64(g->stats.printed, 1);
	vmcoreinfo_destroy(vi);
	free(r.buf);
	got_free(g);
}

static void test_hostile_vars(void)
{
	struct lring r;
	struct got *g = got_new();

	lring_init(&r, RD_LITTLE_ENDIAN, 8, 256);
	lring_line(&r, 0);

	r.len_field = 0;
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT, "legacy: log_buf_len is 0");
	r.len_field = -4096;
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "legacy: log_buf_len -4096 (0xfffff000) is negative");
	r.len_field = INT32_MIN;
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "legacy: log_buf_len -2147483648 (0x80000000) is negative");
	r.len_field = 1000;
	CHECK_ERR(decode(&r, g), CRASH_ERR_CORRUPT,
		  "legacy: log_buf_len 0x3e8 is not a power of two");
	r.len_field = 256;
	CHECK_ERR(decode_opts(&r, g, (struct printk_options){ .max_buffer = 128 }),
		  CRASH_ERR_UNSUPPORTED,
		  "legacy: log_buf_len 0x100 exceeds the buffer limit of 0x80 bytes");

	r.log_buf = 0;
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "legacy: log_buf is a NULL pointer");
	r.log_buf = 0xc0800000;
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "legacy: reading log_buf (26 bytes) at 0xc0800000: fake: 0xc0800000 is not mapped");
	r.log_buf = BUF_VADDR;

	// A ring larger than what is mapped: the second half faults.
	r.len_field = 512;
	r.log_end = 600;
	CHECK_ERR(decode(&r, g), CRASH_ERR_FAULT,
		  "legacy: reading log_buf (424 bytes) at 0xc0400058: fake: 0xc0400058 is not mapped");
	r.len_field = 256;
	r.log_end = 10;

	r.logged_chars = 5000;
	CHECK_OK(decode(&r, g));
	CHECK_EQ_U64(g->note_count, 1);
	CHECK_STR(g->notes[0], "legacy: logged_chars 5000 exceeds log_buf_len 256: capped");
	CHECK_EQ_U64(g->stats.skipped, 0);
	r.logged_chars = 10;

	lring_publish(&r);
	struct vmcoreinfo *vi;
	char *p = strstr(r.vmcoreinfo, "SYMBOL(log_end)");
	memcpy(p, "SYMBOL(log_enD)", 15);
	CHECK_OK(vmcoreinfo_parse(r.vmcoreinfo, strlen(r.vmcoreinfo), &vi));
	struct printk_source src = {
		.vmcoreinfo = vi, .format = &r.fmt, .arg = &r,
		.read_kv = fake_read_kv,
	};
	struct printk_sink sink = { g, got_record, got_note };
	CHECK_ERR(printk_legacy_decoder.decode(&src, &sink, &g->stats),
		  CRASH_ERR_NOT_FOUND, "legacy: VMCOREINFO has no SYMBOL(log_end)");
	vmcoreinfo_destroy(vi);
	free(r.buf);
	got_free(g);
}

int main(void)
{
	RUN(test_detect);
	RUN(test_basic_le64);
	RUN(test_wrapped_le64);
	RUN(test_wrapped_be32);
	RUN(test_log_end_past_4g);
	RUN(test_log_end_long);
	RUN(test_log_end_past_4g_no_logged);
	RUN(test_since_clear);
	RUN(test_prefixes);
	RUN(test_nul_bytes);
	RUN(test_long_line);
	RUN(test_sink_error);
	RUN(test_hostile_vars);
	return test_summary("printk_legacy_test");
}
