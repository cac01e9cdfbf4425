/*
 * rd.h - reading multi-byte values from dump bytes.
 *
 * Every multi-byte value of a dump is read through these accessors: they
 * memcpy and swap by the *dump's* byte order and pointer width (struct
 * rd_format), never the host's.  No struct is ever laid over file bytes.
 *
 * struct rd_cursor walks a byte range and checks before it moves: a read
 * that does not fit returns false and leaves the cursor where it was, so the
 * caller's error can name the offending offset (rd_cursor_offset()).
 */
#ifndef CRASHKIT_RD_H
#define CRASHKIT_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum rd_byte_order { RD_LITTLE_ENDIAN, RD_BIG_ENDIAN };

/** How the crashed machine stored values: byte order and pointer width. */
struct rd_format {
	enum rd_byte_order byte_order;
	/* sizeof(long) and sizeof(void *) of the crashed kernel: 4 or 8. */
	unsigned int ptr_size;
};

static inline uint16_t rd_u16(const struct rd_format *f, const void *p)
{
	const uint8_t *b = p;
	if (f->byte_order == RD_LITTLE_ENDIAN)
		return (uint16_t)(b[0] | b[1] << 8);
	return (uint16_t)(b[1] | b[0] << 8);
}

static inline uint32_t rd_u32(const struct rd_format *f, const void *p)
{
	const uint8_t *b = p;
	if (f->byte_order == RD_LITTLE_ENDIAN)
		return (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		       (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return (uint32_t)b[3] | (uint32_t)b[2] << 8 |
	       (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}

static inline uint64_t rd_u64(const struct rd_format *f, const void *p)
{
	const uint8_t *b = p;
	uint32_t lo = rd_u32(f, f->byte_order == RD_LITTLE_ENDIAN ? b : b + 4);
	uint32_t hi = rd_u32(f, f->byte_order == RD_LITTLE_ENDIAN ? b + 4 : b);
	return (uint64_t)hi << 32 | lo;
}

/** A pointer or a long of the crashed kernel: 4 or 8 bytes, zero-extended. */
static inline uint64_t rd_ptr(const struct rd_format *f, const void *p)
{
	return f->ptr_size == 4 ? rd_u32(f, p) : rd_u64(f, p);
}

/** Read an unsigned field of @size (1, 2, 4 or 8) bytes. */
static inline uint64_t rd_uint(const struct rd_format *f, const void *p,
			       size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: return rd_u16(f, p);
	case 4: return rd_u32(f, p);
	default: return rd_u64(f, p);
	}
}

/** Store @v in the dump's byte order (used by writers and generators). */
static inline void rd_put_uint(const struct rd_format *f, void *p, size_t size,
			       uint64_t v)
{
	uint8_t *b = p;
	for (size_t i = 0; i < size; i++) {
		size_t shift = f->byte_order == RD_LITTLE_ENDIAN ? i : size - 1 - i;
		b[i] = (uint8_t)(v >> (8 * shift));
	}
}

struct rd_cursor {
	const uint8_t *start;
	const uint8_t *pos;
	const uint8_t *end;
	const struct rd_format *format;
};

static inline void rd_cursor_init(struct rd_cursor *c, const struct rd_format *f,
				  const void *buf, size_t size)
{
	c->start = c->pos = buf;
	c->end = c->start + size;
	c->format = f;
}

static inline size_t rd_cursor_left(const struct rd_cursor *c)
{
	return (size_t)(c->end - c->pos);
}

static inline size_t rd_cursor_offset(const struct rd_cursor *c)
{
	return (size_t)(c->pos - c->start);
}

/** Advance by @n bytes; false (cursor unmoved) if fewer are left. */
static inline bool rd_cursor_skip(struct rd_cursor *c, size_t n)
{
	if (rd_cursor_left(c) < n)
		return false;
	c->pos += n;
	return true;
}

/** Borrow @n bytes at the cursor and advance; false if fewer are left. */
static inline bool rd_cursor_bytes(struct rd_cursor *c, size_t n,
				   const uint8_t **ret)
{
	if (rd_cursor_left(c) < n)
		return false;
	*ret = c->pos;
	c->pos += n;
	return true;
}

static inline bool rd_cursor_u32(struct rd_cursor *c, uint32_t *ret)
{
	if (rd_cursor_left(c) < 4)
		return false;
	*ret = rd_u32(c->format, c->pos);
	c->pos += 4;
	return true;
}

static inline bool rd_cursor_u64(struct rd_cursor *c, uint64_t *ret)
{
	if (rd_cursor_left(c) < 8)
		return false;
	*ret = rd_u64(c->format, c->pos);
	c->pos += 8;
	return true;
}

static inline bool rd_cursor_ptr(struct rd_cursor *c, uint64_t *ret)
{
	if (rd_cursor_left(c) < c->format->ptr_size)
		return false;
	*ret = rd_ptr(c->format, c->pos);
	c->pos += c->format->ptr_size;
	return true;
}

/**
 * rd_field_fits() - does a field of @field_size at @offset lie inside an
 * object of @object_size?  Compared by subtraction, so it cannot wrap.
 */
static inline bool rd_field_fits(uint64_t offset, uint64_t field_size,
				 uint64_t object_size)
{
	return offset <= object_size && object_size - offset >= field_size;
}

#endif
