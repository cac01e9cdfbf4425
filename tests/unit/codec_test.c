/*
 * codec_test.c - per-page compression: each codec's output decompresses
 * with the call the readers use (uncompress, lzo1x_decompress_safe,
 * ZSTD_decompress) to the page, and a page that does not shrink is raw.
 */
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include "../../capture/crashcopy/codec.h"
#include "test.h"

/* A deterministic page: @kind 0 zeros, 1 text-like, 2 random. */
static void fill_page(uint8_t *page, size_t size, int kind, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < size; i++) {
		switch (kind) {
		case 0:
			page[i] = 0;
			break;
		case 1:
			page[i] = (uint8_t)("crashkit page "[i % 14] + (i / 512) % 3);
			break;
		default:
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			page[i] = (uint8_t)x;
			break;
		}
	}
}

/* Decompress @out with the reader's call for @flags; true if it is @page. */
static bool roundtrip(uint32_t flags, const uint8_t *out, uint32_t size,
		      const uint8_t *page, size_t page_size)
{
	uint8_t *back = malloc(page_size);
	bool ok = false;
	if (!back)
		return false;
	if (flags == KDUMP_FLAG_ZLIB) {
		uLongf n = page_size;
		ok = uncompress(back, &n, out, size) == Z_OK && n == page_size;
	} else if (flags == KDUMP_FLAG_LZO) {
		lzo_uint n = page_size;
		ok = lzo1x_decompress_safe(out, size, back, &n, NULL) == LZO_E_OK &&
		     n == page_size;
	} else if (flags == KDUMP_FLAG_ZSTD) {
		size_t n = ZSTD_decompress(back, page_size, out, size);
		ok = !ZSTD_isError(n) && n == page_size;
	}
	ok = ok && memcmp(back, page, page_size) == 0;
	free(back);
	return ok;
}

static void check_codec(enum codec_kind kind, size_t page_size)
{
	struct codec *c = NULL;
	CHECK_OK(codec_create(kind, page_size, &c));
	if (!c)
		return;
	uint8_t *page = malloc(page_size);
	for (int pk = 0; pk < 3; pk++) {
		fill_page(page, page_size, pk, (uint32_t)(pk + 7));
		const uint8_t *out;
		uint32_t size = 0, flags = 99;
		CHECK_OK(codec_page(c, page, &out, &size, &flags));
		if (pk == 2 || kind == CODEC_NONE) {
			// Random data does not shrink: raw, the page itself.
			CHECK_EQ_U64(flags, 0);
			CHECK_EQ_U64(size, page_size);
			CHECK(out == page);
		} else {
			CHECK_EQ_U64(flags, codec_status_bit(kind));
			CHECK(size > 0 && size < page_size);
			CHECK(roundtrip(flags, out, size, page, page_size));
			if (kind == CODEC_ZLIB)
				// A zlib stream (RFC 1950): CMF 0x78.
				CHECK_EQ_U64(out[0], 0x78);
			if (kind == CODEC_ZSTD)
				// One frame: the zstd magic 0xfd2fb528 (LE).
				CHECK_EQ_U64(out[0] | out[1] << 8 | out[2] << 16 |
						     (uint32_t)out[3] << 24,
					     0xfd2fb528);
		}
	}
	// The context is reused: a second page after a raw one still works.
	fill_page(page, page_size, 1, 3);
	page[5] = 'Z';
	const uint8_t *out;
	uint32_t size, flags;
	CHECK_OK(codec_page(c, page, &out, &size, &flags));
	if (kind != CODEC_NONE)
		CHECK(roundtrip(flags, out, size, page, page_size));
	free(page);
	codec_destroy(c);
}

static void test_roundtrip(void)
{
	static const enum codec_kind kinds[] = { CODEC_NONE, CODEC_ZLIB,
						 CODEC_LZO, CODEC_ZSTD };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		check_codec(kinds[i], 4096);
		check_codec(kinds[i], 65536);
	}
}

/*
 * codec_page_into() writes what codec_page() returns, into the caller's
 * buffer, raw pages included, and never past codec_bound().
 */
static void test_page_into(void)
{
	static const enum codec_kind kinds[] = {CODEC_NONE, CODEC_ZLIB, CODEC_LZO,
						CODEC_ZSTD};
	const size_t ps = 4096;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct codec *a = NULL, *b = NULL;
		CHECK_OK(codec_create(kinds[k], ps, &a));
		CHECK_OK(codec_create(kinds[k], ps, &b));
		if (!a || !b)
			return;
		size_t bound = codec_bound(b);
		CHECK(bound >= ps);
		uint8_t *page = malloc(ps), *dst = malloc(bound + 64);
		for (int kind = 0; kind < 4; kind++) {
			fill_page(page, ps, kind, (uint32_t)(kind * 7 + 1));
			memset(dst, 0xa5, bound + 64);
			const uint8_t *out;
			uint32_t size, flags, size2, flags2;
			CHECK_OK(codec_page(a, page, &out, &size, &flags));
			CHECK_OK(codec_page_into(b, page, dst, &size2, &flags2));
			CHECK(size == size2 && flags == flags2 &&
			      memcmp(out, dst, size) == 0);
			for (size_t i = bound; i < bound + 64; i++)
				CHECK(dst[i] == 0xa5);
			// codec_compress_into(): the same payload, 0 exactly
			// when codec_page() stores the page raw, and then no
			// byte of @dst written.
			memset(dst, 0xa5, bound + 64);
			size_t n = codec_compress_into(b, page, dst);
			if (flags == 0) {
				CHECK_EQ_U64(n, 0);
				if (kinds[k] == CODEC_NONE)
					for (size_t i = 0; i < bound + 64; i++)
						CHECK(dst[i] == 0xa5);
			} else {
				CHECK_EQ_U64(n, size);
				CHECK(memcmp(out, dst, size) == 0);
				CHECK_EQ_U64(codec_flag(b), flags);
			}
		}
		free(page);
		free(dst);
		codec_destroy(a);
		codec_destroy(b);
	}
}

static void test_names_and_bits(void)
{
	CHECK_STR(codec_name(CODEC_NONE), "none");
	CHECK_STR(codec_name(CODEC_ZLIB), "zlib");
	CHECK_STR(codec_name(CODEC_LZO), "lzo");
	CHECK_STR(codec_name(CODEC_ZSTD), "zstd");
	CHECK_EQ_U64(codec_status_bit(CODEC_NONE), 0);
	CHECK_EQ_U64(codec_status_bit(CODEC_ZLIB), 0x1);
	CHECK_EQ_U64(codec_status_bit(CODEC_LZO), 0x2);
	CHECK_EQ_U64(codec_status_bit(CODEC_ZSTD), 0x20);
}

static void test_bad_arguments(void)
{
	struct codec *c = NULL;
	CHECK_ERR(codec_create(CODEC_LZO, 3000, &c), CRASH_ERR_UNSUPPORTED,
		  "codec: page size 3000 is not a power of two from 1024 to 1048576");
	CHECK_ERR(codec_create(CODEC_LZO, 512, &c), CRASH_ERR_UNSUPPORTED,
		  "codec: page size 512 is not a power of two from 1024 to 1048576");
	CHECK_ERR(codec_create((enum codec_kind)9, 4096, &c),
		  CRASH_ERR_UNSUPPORTED, "codec: unknown compression 9");
	CHECK(c == NULL);
	codec_destroy(NULL);
}

int main(void)
{
	RUN(test_roundtrip);
	RUN(test_page_into);
	RUN(test_names_and_bits);
	RUN(test_bad_arguments);
	return test_summary("codec_test");
}
