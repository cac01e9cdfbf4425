/*
 * lzo1x_page.c - an LZO1X encoder for one page, tuned for the dump path.
 *
 * Why our own: liblzo2's lzo1x_1_compress() clears its 32 KiB hash table
 * on every call, which on 4 KiB pages is a tenth of a -d 1 -l copy's CPU,
 * and it always compresses to the end even when the page will be stored
 * raw.  The readers (crash, makedumpfile, libkdumpfile) decode any valid
 * LZO1X stream with lzo1x_decompress_safe(), so the stream, not the
 * encoder, is the contract.
 *
 * The LZO1X stream (facts from the format, as documented in the Linux
 * tree's Documentation/staging/lzo.rst):
 *  F1. A stream is instructions.  Each match instruction carries, in the
 *      low two bits of its second-to-last byte, S = 0..3 literals that
 *      follow it; a longer literal run is an instruction of its own.
 *  F2. The first byte of a stream may be 18..255: 1..238 literals follow
 *      (byte - 17).  Byte 17 is never first (lzo-rle uses it).
 *  F3. Literal run after a match with S = 0, 4..18 literals: one byte
 *      (count - 3).  More: a 0 byte, then count - 18 as 0 bytes worth 255
 *      each and a last non-zero byte.
 *  F4. M2, length 3..8, distance 1..2048: byte (len - 1) << 5 |
 *      (d & 7) << 2 | S, then byte d >> 3, where d = distance - 1.
 *  F5. M3, distance 1..16384: byte 32 | (len - 2) for len 3..33, else
 *      byte 32 and len - 33 as in F3; then the 16-bit little-endian
 *      value d << 2 | S, d = distance - 1.
 *  F6. The end: 0x11 0x00 0x00 (an M4 of distance 16384).
 *
 * The search is the LZO1X-1 kind: one hash table slot per 4-byte prefix,
 * no chains, matches of 4 bytes and more, and a stride that grows with the
 * length of the current literal run, so incompressible data is skimmed.
 *
 * The table is not cleared per page (a 16 KiB memset per 4 KiB page costs
 * more than it saves); each call claims the next @len values of a 32-bit
 * base instead and stores base + position.  A slot from an earlier page
 * then reads as a position at or after the current one and is refused like
 * any other bad candidate, so a page compresses to the same stream whatever
 * the table saw before: one thread or many, the dump is byte for byte the
 * same.  The table is cleared only when the base wraps, every million
 * 4 KiB pages.  8 Ki slots of 4 bytes (32 KiB): 4 Ki were 6 % faster on
 * the bench core but lost to liblzo2's size on the unit test's pages
 * (0.05 % at 4 KiB, 0.07 % at 16 KiB); 16 Ki were 6 % slower for 0.02 %.
 *
 * The streams are not liblzo2's byte for byte.  On the bench core (a
 * filled 1280 MiB guest) they are 0.5 % smaller in total at -d 1 and take
 * four fifths of lzo1x_1_compress()'s time; tests/unit/lzo1x_page_test.c
 * holds the size to at most liblzo2's on its pages.
 */
#include "lzo1x_page.h"

#include <stdint.h>
#include <string.h>

enum {
	HASH_BITS = LZO1X_PAGE_TABLE_BITS,
	MIN_MATCH = 4,
	// F2: the first byte can say up to 238 literals.
	FIRST_LITERALS_MAX = 238,
	// F4, F5
	M2_MAX_LEN = 8,
	M2_MAX_DIST = 2048,
	M3_MAX_LEN = 33,
	// The stride: one more byte for every 32 literals in the run.
	SKIP_SHIFT = 5,
	END_MARKER_SIZE = 3,
};

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Multiplicative hash of a 4-byte prefix (Knuth's golden-ratio constant). */
static inline uint32_t hash4(uint32_t v)
{
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/*
 * How many bytes at @a equal those at @b, @b running up to @end (@a < @b:
 * the two may overlap, which is how runs repeat).
 */
static inline size_t common_length(const uint8_t *a, const uint8_t *b,
				   const uint8_t *end)
{
	const uint8_t *start = b;
	while (end - b >= 8) {
		uint64_t x = load64(a) ^ load64(b);
		if (x) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return (size_t)(b - start) + (size_t)(__builtin_ctzll(x) >> 3);
#else
			return (size_t)(b - start) + (size_t)(__builtin_clzll(x) >> 3);
#endif
		}
		a += 8;
		b += 8;
	}
	while (b < end && *a == *b) {
		a++;
		b++;
	}
	return (size_t)(b - start);
}

/* Bytes of an F3 count tail: 0 bytes worth 255 each, then the rest. */
static inline size_t count_tail_size(size_t count)
{
	return (count - 1) / 255 + 1;
}

/* Instruction bytes for @t literals (F2, F3; S bits cost nothing). */
static inline size_t literal_header_size(size_t t, bool first)
{
	if (t == 0)
		return 0;
	if (first && t <= FIRST_LITERALS_MAX)
		return 1;
	if (t <= 3)
		return 0;
	if (t <= 18)
		return 1;
	return 1 + count_tail_size(t - 18);
}

/* Writes the count tail of F3 (@count > 0). */
static inline uint8_t *put_count_tail(uint8_t *op, size_t count)
{
	while (count > 255) {
		count -= 255;
		*op++ = 0;
	}
	*op++ = (uint8_t)count;
	return op;
}

/*
 * @t literals from @lit, after the output so far [@dst, @op).  Room was
 * checked by the caller.
 */
static inline uint8_t *put_literals(uint8_t *op, const uint8_t *dst,
				    const uint8_t *lit, size_t t)
{
	if (t == 0)
		return op;
	if (op == dst && t <= FIRST_LITERALS_MAX)
		*op++ = (uint8_t)(17 + t);		// F2
	else if (t <= 3)
		op[-2] |= (uint8_t)t;			// F1: the match's S bits
	else if (t <= 18)
		*op++ = (uint8_t)(t - 3);		// F3
	else {
		*op++ = 0;				// F3
		op = put_count_tail(op, t - 18);
	}
	memcpy(op, lit, t);
	return op + t;
}

/* One match, S = 0 (put_literals() may set it later). */
static inline uint8_t *put_match(uint8_t *op, size_t len, size_t dist)
{
	size_t d = dist - 1;
	if (len <= M2_MAX_LEN && dist <= M2_MAX_DIST) {	// F4
		*op++ = (uint8_t)((len - 1) << 5 | (d & 7) << 2);
		*op++ = (uint8_t)(d >> 3);
		return op;
	}
	if (len <= M3_MAX_LEN) {				// F5
		*op++ = (uint8_t)(32 | (len - 2));
	} else {
		*op++ = 32;
		op = put_count_tail(op, len - M3_MAX_LEN);
	}
	*op++ = (uint8_t)(d << 2);
	*op++ = (uint8_t)(d >> 6);
	return op;
}

/* Copies 16 bytes, for literal runs of up to 16 (see the fast path). */
static inline void copy16(uint8_t *d, const uint8_t *s)
{
	uint64_t a = load64(s), b = load64(s + 8);
	memcpy(d, &a, sizeof(a));
	memcpy(d + 8, &b, sizeof(b));
}

void lzo1x_page_table_init(struct lzo1x_page_table *table)
{
	memset(table->slot, 0, sizeof(table->slot));
	// Above 0: a zeroed slot is then "before this call", never position 0.
	table->base = LZO1X_PAGE_MAX;
}

size_t lzo1x_page_compress(const uint8_t *src, size_t len, uint8_t *dst,
			   struct lzo1x_page_table *table)
{
	size_t pos = 0;		// the position being looked up
	size_t lit = 0;		// start of the pending literal run
	uint8_t *op = dst;
	// The stream must be strictly smaller than the page (codec.c C4).
	const uint8_t *op_full = dst + len;

	if (len < LZO1X_PAGE_MIN || len > LZO1X_PAGE_MAX)
		return 0;
	// This call's values are [base, base + len); earlier calls' are below.
	if (table->base > UINT32_MAX - 2 * LZO1X_PAGE_MAX)
		lzo1x_page_table_init(table);
	uint32_t base = table->base;
	table->base += (uint32_t)len;
	// A match needs 4 bytes to hash: the last start is len - 4.
	while (pos <= len - MIN_MATCH) {
		uint32_t v = load32(src + pos);
		uint32_t *slot = &table->slot[hash4(v)];
		// An earlier call's value wraps to a huge offset here.
		size_t cand = (uint32_t)(*slot - base);
		*slot = base + (uint32_t)pos;
		// Only an earlier position of this page whose bytes agree.  A
		// candidate at or after @pos reads position 0 instead, without
		// a branch: "cand < pos" is a coin toss the branch predictor
		// loses (measured on the bench core's pages: 1.3x liblzo2's
		// time with the branch, 0.75-0.8x without).
		size_t before = (size_t)0 - (size_t)(cand < pos);
		if ((load32(src + (cand & before)) != v) | !before) {
			pos += 1 + ((pos - lit) >> SKIP_SHIFT);
			continue;
		}
		size_t mlen = MIN_MATCH + common_length(src + cand + MIN_MATCH,
							src + pos + MIN_MATCH,
							src + len);
		size_t t = pos - lit;
		if (t <= 16 && op != dst && len - lit >= 16) {
			// The common case, without a call or a size check: the
			// output so far is under len bytes, so a header byte,
			// 16 copied bytes and a match (at most 4 + len / 255
			// bytes) stay within LZO1X_PAGE_BOUND(len).
			if (t <= 3)
				op[-2] |= (uint8_t)t;		// F1
			else
				*op++ = (uint8_t)(t - 3);	// F3
			copy16(op, src + lit);
			op += t;
		} else {
			if ((size_t)(op_full - op) <=
			    literal_header_size(t, op == dst) + t)
				return 0;
			op = put_literals(op, dst, src + lit, t);
		}
		op = put_match(op, mlen, pos - cand);
		if (op >= op_full)
			return 0;
		pos += mlen;
		lit = pos;
	}
	size_t t = len - lit;
	if ((size_t)(op_full - op) <=
	    literal_header_size(t, op == dst) + t + END_MARKER_SIZE)
		return 0;
	op = put_literals(op, dst, src + lit, t);
	*op++ = 0x11;					// F6
	*op++ = 0;
	*op++ = 0;
	return (size_t)(op - dst);
}
