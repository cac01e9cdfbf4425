/*
 * codec.h - per-page compression for kdump-compressed dumps.
 *
 * Each page is compressed on its own (spec dump-formats.md §1.6): zlib as a
 * zlib stream at level 1 (readers call uncompress()), LZO1X-1, or one zstd
 * frame at level 1.  A page is stored raw (flags 0, size == page size)
 * unless its compressed form is strictly smaller.  One struct codec per
 * thread: it owns its work memory and output buffer.
 */
#ifndef CRASHKIT_CODEC_H
#define CRASHKIT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/error.h"

enum codec_kind {
	CODEC_NONE,
	CODEC_ZLIB,
	CODEC_LZO,
	CODEC_ZSTD,
};

/* Per-page descriptor flags and header status bits (diskdump_mod.h). */
enum {
	KDUMP_FLAG_ZLIB = 0x1,
	KDUMP_FLAG_LZO = 0x2,
	KDUMP_FLAG_SNAPPY = 0x4,
	KDUMP_FLAG_ZSTD = 0x20,
};

struct codec;

/** codec_create() - a context for @kind and pages of @page_size bytes. */
struct crash_error *codec_create(enum codec_kind kind, size_t page_size,
				 struct codec **ret);

/**
 * codec_page() - compress one page.  *@out_ret points at the payload to
 * store (the codec's buffer, or @page itself when stored raw), valid until
 * the next call; *@flags_ret is the descriptor flag (0 for raw).
 * Errors: NOMEM only (a compressor failure stores the page raw).
 */
struct crash_error *codec_page(struct codec *c, const uint8_t *page,
			       const uint8_t **out_ret, uint32_t *size_ret,
			       uint32_t *flags_ret);

/**
 * codec_bound() - the bytes codec_page_into() may write at @dst: the page
 * size, or the codec's worst case if larger (LZO1X writes without a bound).
 */
size_t codec_bound(const struct codec *c);

/**
 * codec_page_into() - codec_page() into the caller's @dst (codec_bound()
 * bytes): the compressed payload, or a copy of the page when stored raw.
 * Saves the copy out of the codec's buffer.  Errors: as codec_page().
 */
struct crash_error *codec_page_into(struct codec *c, const uint8_t *page,
				    uint8_t *dst, uint32_t *size_ret,
				    uint32_t *flags_ret);

/**
 * codec_compress_into() - compress @page into @dst (codec_bound() bytes).
 * Returns the compressed size when it is strictly smaller than a page (the
 * payload is then @dst, flagged codec_status_bit()), else 0: the page is to
 * be stored raw from wherever the caller holds it, and @dst holds nothing
 * of use.  For callers whose input stays valid until it is written: no
 * copy of a raw page is made.
 */
size_t codec_compress_into(struct codec *c, const uint8_t *page, uint8_t *dst);

/** The header status bit of @kind (0 for CODEC_NONE). */
uint32_t codec_status_bit(enum codec_kind kind);

/** The descriptor flag of @c's compressed pages (codec_status_bit()). */
uint32_t codec_flag(const struct codec *c);

/** "none", "zlib", "lzo", "zstd". */
const char *codec_name(enum codec_kind kind);

void codec_destroy(struct codec *c);

#endif
