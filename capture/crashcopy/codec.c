/*
 * codec.c - compress one page for a kdump-compressed dump.
 *
 * What readers expect of a page payload (spec dump-formats.md §1.6,
 * diskdump_mod.h flags):
 *  C1. zlib (flag 0x1): a zlib stream (RFC 1950 header and adler32), since
 *      crash and libkdumpfile call uncompress().  We run deflate at level 1
 *      (Z_BEST_SPEED) on one z_stream reset per page: makedumpfile commit
 *      aa5ee50 measured a fresh context per page (compress2()) 30 % slower.
 *  C2. LZO (flag 0x2): an LZO1X stream, read back with
 *      lzo1x_decompress_safe.  Pages up to 16 KiB go through our encoder
 *      (lzo1x_page.c: no table clearing per page, stops once the page is
 *      known not to shrink); larger ones through liblzo2's
 *      lzo1x_1_compress, whose LZO1X_1_MEM_COMPRESS bytes of work memory
 *      the codec owns.  lzo_init() is called once per codec.
 *  C3. zstd (flag 0x20): one frame per page at level 1 from a reused
 *      ZSTD_CCtx (ZSTD_compressCCtx), read back with ZSTD_decompress.
 *  C4. Raw (flag 0, size == page size) unless the compressed form is
 *      strictly smaller than the page: crash rejects size > block_size and
 *      libkdumpfile wants a raw page to be exactly page-sized.  A compressor
 *      error also stores the page raw: the page is still in the dump.
 *
 * One codec per thread; codec_page()'s output stays valid until its next
 * call.  Nothing here reads dump bytes as structure: a page is opaque.
 */
#include "codec.h"
#include "lzo1x_page.h"

#include <inttypes.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

enum {
	// Kernel page sizes run from 4 KiB to 256 KiB (hexagon); the bounds
	// leave room on both sides and keep sizes within a u32.
	CODEC_MIN_PAGE_SIZE = 1 << 10,
	CODEC_MAX_PAGE_SIZE = 1 << 20,
	// C1, C3: level 1, as makedumpfile writes.
	CODEC_LEVEL = 1,
};

struct codec {
	enum codec_kind kind;
	size_t page_size;
	uint8_t *out;
	size_t out_size;
	// C2: our encoder's table for pages up to LZO1X_PAGE_MAX, liblzo2's
	// work memory for larger ones.
	struct lzo1x_page_table *lzo_table;
	void *lzo_wrkmem;
	// C1
	z_stream zs;
	bool zs_ready;
	// C3
	ZSTD_CCtx *cctx;
};

struct crash_error *codec_create(enum codec_kind kind, size_t page_size,
				 struct codec **ret)
{
	if (page_size < CODEC_MIN_PAGE_SIZE ||
	    page_size > CODEC_MAX_PAGE_SIZE ||
	    (page_size & (page_size - 1)) != 0)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "codec: page size %zu is not a power of two from %d to %d",
					  page_size, CODEC_MIN_PAGE_SIZE,
					  CODEC_MAX_PAGE_SIZE);
	if (kind != CODEC_NONE && kind != CODEC_ZLIB && kind != CODEC_LZO &&
	    kind != CODEC_ZSTD)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "codec: unknown compression %d",
					  (int)kind);

	struct codec *c = calloc(1, sizeof(*c));
	if (!c)
		return &crash_enomem;
	c->kind = kind;
	c->page_size = page_size;

	switch (kind) {
	case CODEC_NONE:
		break;
	case CODEC_ZLIB:
		c->out_size = compressBound((uLong)page_size);
		if (deflateInit(&c->zs, CODEC_LEVEL) != Z_OK)
			goto nomem;
		c->zs_ready = true;
		break;
	case CODEC_LZO:
		// C2: lzo_init() checks the library against its header.
		if (lzo_init() != LZO_E_OK) {
			codec_destroy(c);
			return crash_error_create(CRASH_ERR_UNSUPPORTED,
						  "codec: lzo_init failed: liblzo2 does not match its header");
		}
		// The worst case of LZO1X (lzo/doc/LZO.FAQ), which our encoder
		// keeps to as well.
		c->out_size = LZO1X_PAGE_BOUND(page_size);
		if (page_size <= LZO1X_PAGE_MAX) {
			c->lzo_table = malloc(sizeof(*c->lzo_table));
			if (!c->lzo_table)
				goto nomem;
			lzo1x_page_table_init(c->lzo_table);
		} else {
			c->lzo_wrkmem = malloc(LZO1X_1_MEM_COMPRESS);
			if (!c->lzo_wrkmem)
				goto nomem;
		}
		break;
	case CODEC_ZSTD:
		c->out_size = ZSTD_compressBound(page_size);
		c->cctx = ZSTD_createCCtx();
		if (!c->cctx)
			goto nomem;
		break;
	}
	if (c->out_size) {
		c->out = malloc(c->out_size);
		if (!c->out)
			goto nomem;
	}
	*ret = c;
	return NULL;
nomem:
	codec_destroy(c);
	return &crash_enomem;
}

/*
 * Compressed size into @dst (codec_bound() bytes), or 0 when the page is
 * to be stored raw (C4).
 */
static size_t codec_compress(struct codec *c, const uint8_t *page, uint8_t *dst)
{
	switch (c->kind) {
	case CODEC_NONE:
		return 0;
	case CODEC_ZLIB: {
		// C1: one zlib stream; a stream that does not finish within
		// page_size - 1 bytes is not strictly smaller (C4).
		if (deflateReset(&c->zs) != Z_OK)
			return 0;
		c->zs.next_in = (Bytef *)page;
		c->zs.avail_in = (uInt)c->page_size;
		c->zs.next_out = dst;
		c->zs.avail_out = (uInt)(c->page_size - 1);
		if (deflate(&c->zs, Z_FINISH) != Z_STREAM_END)
			return 0;
		return c->zs.total_out;
	}
	case CODEC_LZO: {
		if (c->lzo_table)
			return lzo1x_page_compress(page, c->page_size, dst,
						   c->lzo_table);
		lzo_uint out_len = c->out_size;
		if (lzo1x_1_compress(page, c->page_size, dst, &out_len,
				     c->lzo_wrkmem) != LZO_E_OK)
			return 0;
		return out_len;
	}
	case CODEC_ZSTD: {
		// Room for page_size - 1 bytes only: a frame that does not fit
		// is not strictly smaller (C4), and zstd stops early.
		size_t n = ZSTD_compressCCtx(c->cctx, dst, c->page_size - 1, page,
					     c->page_size, CODEC_LEVEL);
		return ZSTD_isError(n) ? 0 : n;
	}
	}
	return 0;
}

struct crash_error *codec_page(struct codec *c, const uint8_t *page,
			       const uint8_t **out_ret, uint32_t *size_ret,
			       uint32_t *flags_ret)
{
	size_t n = codec_compress(c, page, c->out);
	// C4: strictly smaller, else raw.
	if (n == 0 || n >= c->page_size) {
		*out_ret = page;
		*size_ret = (uint32_t)c->page_size;
		*flags_ret = 0;
		return NULL;
	}
	*out_ret = c->out;
	*size_ret = (uint32_t)n;
	*flags_ret = codec_status_bit(c->kind);
	return NULL;
}

size_t codec_bound(const struct codec *c)
{
	return c->out_size > c->page_size ? c->out_size : c->page_size;
}

size_t codec_compress_into(struct codec *c, const uint8_t *page, uint8_t *dst)
{
	size_t n = codec_compress(c, page, dst);
	// C4: strictly smaller, else raw.
	return n < c->page_size ? n : 0;
}

struct crash_error *codec_page_into(struct codec *c, const uint8_t *page,
				    uint8_t *dst, uint32_t *size_ret,
				    uint32_t *flags_ret)
{
	size_t n = codec_compress_into(c, page, dst);
	// C4: strictly smaller, else raw (copied, as the caller asked).
	if (n == 0) {
		memcpy(dst, page, c->page_size);
		*size_ret = (uint32_t)c->page_size;
		*flags_ret = 0;
		return NULL;
	}
	*size_ret = (uint32_t)n;
	*flags_ret = codec_status_bit(c->kind);
	return NULL;
}

uint32_t codec_status_bit(enum codec_kind kind)
{
	switch (kind) {
	case CODEC_ZLIB:
		return KDUMP_FLAG_ZLIB;
	case CODEC_LZO:
		return KDUMP_FLAG_LZO;
	case CODEC_ZSTD:
		return KDUMP_FLAG_ZSTD;
	case CODEC_NONE:
		break;
	}
	return 0;
}

uint32_t codec_flag(const struct codec *c)
{
	return codec_status_bit(c->kind);
}

const char *codec_name(enum codec_kind kind)
{
	switch (kind) {
	case CODEC_NONE:
		return "none";
	case CODEC_ZLIB:
		return "zlib";
	case CODEC_LZO:
		return "lzo";
	case CODEC_ZSTD:
		return "zstd";
	}
	return "unknown";
}

void codec_destroy(struct codec *c)
{
	if (!c)
		return;
	if (c->zs_ready)
		deflateEnd(&c->zs);
	ZSTD_freeCCtx(c->cctx);
	free(c->lzo_table);
	free(c->lzo_wrkmem);
	free(c->out);
	free(c);
}
