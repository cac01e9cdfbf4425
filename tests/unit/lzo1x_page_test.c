/*
 * lzo1x_page_test.c - our LZO1X encoder: every stream it writes decodes
 * with liblzo2's lzo1x_decompress_safe() (what crash, makedumpfile and
 * libkdumpfile call) to the page, on pages built to reach each instruction
 * form (F1-F6 in lzo1x_page.c); a page's stream does not depend on what
 * the table saw before (so threads do not change a dump), even across the
 * table's wrap; it returns 0 exactly when the page would not shrink; and
 * its sizes stay at or under liblzo2's lzo1x_1 on the same pages.
 */
#include <lzo/lzo1x.h>

#include "../../capture/crashcopy/lzo1x_page.h"
#include "test.h"

static uint32_t next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)next_random(&x);
}

enum page_shape {
	SHAPE_ZERO,		/* one literal, one long M3 (F5 count tail) */
	SHAPE_TEXT,		/* short matches and short literal runs (F1, F4) */
	SHAPE_RANDOM,		/* incompressible: 0 */
	SHAPE_HEAD_300,		/* 300 literals first (F2 over 238, F3) */
	SHAPE_GAPS,		/* runs of 1..700 literals between matches (F3) */
	SHAPE_FAR,		/* repeats 2047..2050 and 16000 bytes back (F4/F5) */
	SHAPE_LONG,		/* matches of 33, 34, 288, 289 and 600 bytes */
	SHAPE_TAIL,		/* a match, then 1..3 literals to the end (F1) */
	SHAPE_COUNT,
};

/* A page of @n bytes of @shape, varied by @seed. */
static void fill_shape(uint8_t *p, size_t n, enum page_shape shape,
		       uint32_t seed)
{
	uint32_t x = seed * 2246822519u + 7;
	switch (shape) {
	case SHAPE_ZERO:
		memset(p, 0, n);
		break;
	case SHAPE_TEXT:
		for (size_t i = 0; i < n; i++) {
			static const char words[] =
				"panic kernel page cache crashkit vmcore dump ";
			p[i] = (uint8_t)words[(i * 7 + i / 64 + seed) % (sizeof(words) - 1)];
			if (next_random(&x) % 17 == 0)
				p[i] = (uint8_t)next_random(&x);
		}
		break;
	case SHAPE_RANDOM:
		fill_random(p, n, seed);
		break;
	case SHAPE_HEAD_300:
		fill_random(p, n, seed);
		for (size_t i = 300; i + 64 <= n; i += 64)
			memcpy(p + i, p + 300 - 64, 32);
		break;
	case SHAPE_GAPS: {
		fill_random(p, n, seed);
		size_t i = 0, gap = 1 + seed % 5;
		while (i + 16 + gap < n) {
			memcpy(p + i + gap, "0123456789abcdef", 16);
			i += gap + 16;
			gap = gap * 3 % 701 + 1;
		}
		break;
	}
	case SHAPE_FAR:
		fill_random(p, n, seed);
		for (size_t back = 2047; back <= 2050; back++) {
			size_t at = 2100 + (back - 2047) * 400;
			if (at + 256 <= n)
				memcpy(p + at, p + at - back, 256);
		}
		if (n > 16100)
			memcpy(p + 16090, p + 90, 256);
		if (n < 4096)
			memcpy(p + 600, p + 100, 256);
		break;
	case SHAPE_LONG: {
		fill_random(p, n, seed);
		static const size_t lens[] = {33, 34, 288, 289, 600};
		size_t at = 64;
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			if (at + lens[k] + 40 > n)
				break;
			for (size_t i = 0; i < lens[k]; i++)
				p[at + i] = p[at - 40 - k + i];
			at += lens[k] + 40;
		}
		break;
	}
	case SHAPE_TAIL:
		memset(p, 'a', n);
		fill_random(p + n - 1 - seed % 3, 1 + seed % 3, seed);
		break;
	case SHAPE_COUNT:
		break;
	}
}

/*
 * Compress @page and check the result: 0, or a stream under @n bytes that
 * decodes to @page, written within LZO1X_PAGE_BOUND(@n) (ASan sees the
 * exact allocation).  Returns the size, @n when stored raw.
 */
static size_t check_page(const uint8_t *page, size_t n,
			 struct lzo1x_page_table *table)
{
	uint8_t *dst = malloc(LZO1X_PAGE_BOUND(n));
	uint8_t *back = malloc(n);
	size_t got = lzo1x_page_compress(page, n, dst, table);
	if (got) {
		lzo_uint back_len = n;
		CHECK(got < n);
		CHECK(lzo1x_decompress_safe(dst, got, back, &back_len, NULL) ==
		      LZO_E_OK);
		CHECK_EQ_U64(back_len, n);
		CHECK(memcmp(back, page, n) == 0);
	}
	free(dst);
	free(back);
	return got ? got : n;
}

/* liblzo2's lzo1x_1 size for @page, @n when it does not shrink. */
static size_t liblzo2_size(const uint8_t *page, size_t n)
{
	uint8_t *dst = malloc(LZO1X_PAGE_BOUND(n));
	void *work = malloc(LZO1X_1_MEM_COMPRESS);
	lzo_uint got = LZO1X_PAGE_BOUND(n);
	if (lzo1x_1_compress(page, n, dst, &got, work) != LZO_E_OK)
		got = n;
	free(dst);
	free(work);
	return got < n ? got : n;
}

static void test_shapes(void)
{
	static const size_t sizes[] = {1024, 4096, 16384};
	CHECK(lzo_init() == LZO_E_OK);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		struct lzo1x_page_table *table = malloc(sizeof(*table));
		lzo1x_page_table_init(table);
		uint8_t *page = malloc(n);
		size_t ours = 0, theirs = 0;
		for (uint32_t seed = 0; seed < 12; seed++) {
			for (int shape = 0; shape < SHAPE_COUNT; shape++) {
				fill_shape(page, n, (enum page_shape)shape, seed);
				size_t got = check_page(page, n, table);
				if (shape == SHAPE_RANDOM)
					CHECK_EQ_U64(got, n);
				else if (got >= n)
					CHECK(!fprintf(stderr, "size %zu shape %d seed %u: raw\n",
						       n, shape, seed));
				ours += got;
				theirs += liblzo2_size(page, n);
			}
		}
		// The ratio: never worse than the library we replace.
		CHECK(ours <= theirs);
		free(page);
		free(table);
	}
}

/*
 * The table is never cleared between pages: a page's stream is the one a
 * fresh table gives, after any history (other pages, other sizes, the same
 * page) and across the base's wrap.  Slots of garbage (a table the caller
 * forgot to initialise) still give valid streams.
 */
static void test_history(void)
{
	const size_t n = 4096;
	struct lzo1x_page_table *fresh = malloc(sizeof(*fresh));
	struct lzo1x_page_table *used = malloc(sizeof(*used));
	uint8_t *page = malloc(LZO1X_PAGE_MAX), *other = malloc(LZO1X_PAGE_MAX);
	uint8_t *a = malloc(LZO1X_PAGE_BOUND(n));
	uint8_t *b = malloc(LZO1X_PAGE_BOUND(LZO1X_PAGE_MAX));
	lzo1x_page_table_init(used);
	for (int shape = 0; shape < SHAPE_COUNT; shape++) {
		fill_shape(page, n, (enum page_shape)shape, 3);
		lzo1x_page_table_init(fresh);
		size_t want = lzo1x_page_compress(page, n, a, fresh);
		// A history: every shape at every size, this page included.
		for (int k = 0; k < SHAPE_COUNT; k++) {
			fill_shape(other, LZO1X_PAGE_MAX, (enum page_shape)k, 11);
			lzo1x_page_compress(other, LZO1X_PAGE_MAX, b, used);
			fill_shape(other, 1024, (enum page_shape)k, 12);
			lzo1x_page_compress(other, 1024, b, used);
			lzo1x_page_compress(page, n, b, used);
		}
		size_t got = lzo1x_page_compress(page, n, b, used);
		CHECK_EQ_U64(got, want);
		CHECK(memcmp(a, b, want) == 0);
	}
	// The wrap: a base near its end is reset, the stream unchanged.
	fill_shape(page, n, SHAPE_TEXT, 1);
	lzo1x_page_table_init(fresh);
	size_t want = lzo1x_page_compress(page, n, a, fresh);
	for (uint32_t back = 1; back <= 3 * LZO1X_PAGE_MAX; back += 4093) {
		used->base = UINT32_MAX - back;
		size_t got = lzo1x_page_compress(page, n, b, used);
		CHECK_EQ_U64(got, want);
		CHECK(memcmp(a, b, want) == 0);
		if (back < 2 * LZO1X_PAGE_MAX)
			CHECK(used->base <= 2 * LZO1X_PAGE_MAX);
		else
			CHECK_EQ_U64(used->base, UINT32_MAX - back + n);
		got = lzo1x_page_compress(page, n, b, used);
		CHECK(got == want && memcmp(a, b, want) == 0);
	}
	// Garbage: any slot values, any base.
	for (int fill = 0; fill < 4; fill++) {
		uint32_t x = (uint32_t)fill + 99;
		for (size_t i = 0; i < sizeof(used->slot) / sizeof(used->slot[0]); i++)
			used->slot[i] = fill == 0 ? 0 : fill == 1 ? UINT32_MAX
				      : fill == 2 ? (uint32_t)(n - 4)
				      : next_random(&x);
		used->base = fill == 3 ? next_random(&x) : 0;
		for (int shape = 0; shape < SHAPE_COUNT; shape++) {
			fill_shape(page, n, (enum page_shape)shape, (uint32_t)fill);
			check_page(page, n, used);
		}
	}
	free(a);
	free(b);
	free(page);
	free(other);
	free(fresh);
	free(used);
}

/*
 * 0 means "would not be smaller", and nothing else: random bytes with a
 * repeat of growing length near the start (the probes fall alike each
 * time: the stream depends on the page alone).  Each byte more of repeat saves a byte of
 * stream, so the sizes step down through n: raw until then, and the first
 * stream kept is n - 1 (n - 2 where a literal count's tail byte goes too).
 */
static void test_strictly_smaller(void)
{
	const size_t n = 4096;
	struct lzo1x_page_table *table = malloc(sizeof(*table));
	lzo1x_page_table_init(table);
	uint8_t *page = malloc(n);
	uint8_t *dst = malloc(LZO1X_PAGE_BOUND(n));
	size_t last = n, first_kept = 0;
	for (size_t rep = 0; rep < 200; rep++) {
		fill_random(page, n, 5);
		memcpy(page + 300, page, rep);
		size_t got = lzo1x_page_compress(page, n, dst, table);
		size_t size = got ? got : n;
		CHECK(size <= last);
		last = size;
		if (got && !first_kept)
			first_kept = got;
		if (got)
			check_page(page, n, table);
	}
	CHECK(first_kept == n - 1 || first_kept == n - 2);
	CHECK(last < n - 100);
	free(dst);
	free(page);
	free(table);
}

static void test_bad_lengths(void)
{
	struct lzo1x_page_table *table = malloc(sizeof(*table));
	lzo1x_page_table_init(table);
	uint8_t *page = calloc(1, LZO1X_PAGE_MAX + 1);
	uint8_t *dst = malloc(LZO1X_PAGE_BOUND(LZO1X_PAGE_MAX + 1));
	CHECK_EQ_U64(lzo1x_page_compress(page, LZO1X_PAGE_MIN - 1, dst, table), 0);
	CHECK_EQ_U64(lzo1x_page_compress(page, LZO1X_PAGE_MAX + 1, dst, table), 0);
	CHECK(lzo1x_page_compress(page, LZO1X_PAGE_MIN, dst, table) > 0);
	CHECK(lzo1x_page_compress(page, LZO1X_PAGE_MAX, dst, table) > 0);
	free(dst);
	free(page);
	free(table);
}

int main(void)
{
	RUN(test_shapes);
	RUN(test_history);
	RUN(test_strictly_smaller);
	RUN(test_bad_lengths);
	return test_summary("lzo1x_page_test");
}
