/*
 * lzo1x_page.h - an LZO1X encoder for one page (see lzo1x_page.c).
 */
#ifndef CRASHKIT_LZO1X_PAGE_H
#define CRASHKIT_LZO1X_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The largest input: every distance within a page must fit an M3 match
 * (16384 bytes back), and a position a 16-bit table slot.
 */
#define LZO1X_PAGE_MAX 16384

/*
 * The hash table: positions stored as base + position, so that a slot
 * written for an earlier page never passes for one of this page.  Zero it
 * once (lzo1x_page_table_init()); the encoder keeps it valid from then on.
 */
#define LZO1X_PAGE_TABLE_BITS 13
struct lzo1x_page_table {
	uint32_t base;
	uint32_t slot[1u << LZO1X_PAGE_TABLE_BITS];
};

void lzo1x_page_table_init(struct lzo1x_page_table *table);

/* The smallest input: LZO1X_PAGE_BOUND's slack assumes len / 16 >= 64. */
#define LZO1X_PAGE_MIN 1024

/*
 * Room the output needs: LZO1X's worst case (n + n / 16 + 64 + 3), which
 * also covers the fast path's over-copy.
 */
#define LZO1X_PAGE_BOUND(n) ((n) + (n) / 16 + 64 + 3)

/*
 * Compress the @len bytes at @src (LZO1X_PAGE_MIN to LZO1X_PAGE_MAX) into
 * an LZO1X stream at @dst (LZO1X_PAGE_BOUND(@len) bytes, all of which may
 * be written), as lzo1x_decompress_safe() reads it.  The stream depends on
 * the page alone, never on what @table saw before.  Returns the stream's
 * size, or 0 when it would not be strictly smaller than @len (the page is
 * stored raw then: compression stops as soon as that is known) or @len is
 * out of range.
 */
size_t lzo1x_page_compress(const uint8_t *src, size_t len, uint8_t *dst,
			   struct lzo1x_page_table *table);

#endif
