/*
 * vmcoreinfo.h - the VMCOREINFO note as typed lookups.
 *
 * The kernel writes KEY=VALUE lines (kernel/vmcore_info.c, crash_core.c):
 *   SYMBOL(name)=hex, no 0x         already relocated: do not add KERNELOFFSET
 *   SIZE(type)=decimal  OFFSET(type.member)=decimal  LENGTH(name)=decimal
 *   NUMBER(name)=decimal, possibly negative, on some arches 0x-prefixed hex
 *   KERNELOFFSET=hex  OSRELEASE=string  BUILD-ID=hex string  PAGESIZE=dec
 *   CRASHTIME=decimal epoch seconds (historically without a final newline)
 *
 * Parsing is lenient about lines (CRLF, NUL bytes, missing final newline,
 * over-long lines are skipped with a warning count) and strict about values:
 * a lookup consumes the whole value, checks the radix and the range, and a
 * malformed value is CRASH_ERR_CORRUPT quoting key and text, e.g.
 *   vmcoreinfo: SIZE(printk_info)="8x8" is not a decimal number
 * A missing key is the static crash_not_found.  The first of duplicate keys
 * wins (duplicates are counted).
 *
 * This layer knows no file: it is handed the text.
 */
#ifndef CRASHKIT_VMCOREINFO_H
#define CRASHKIT_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** VMCOREINFO is one page in the kernel; we accept up to this much text. */
enum { VMCOREINFO_MAX_SIZE = 1 << 20 };

struct vmcoreinfo;

/** vmcoreinfo_parse() - copy and split @text.  Errors: NOMEM, CORRUPT (too big). */
struct crash_error *vmcoreinfo_parse(const char *text, size_t size,
				     struct vmcoreinfo **ret);

void vmcoreinfo_destroy(struct vmcoreinfo *vi);

/** Does KEY exist (exact key text, e.g. "SYMBOL(prb)")? */
bool vmcoreinfo_has(const struct vmcoreinfo *vi, const char *key);

/** The raw value of KEY, NUL-terminated, borrowed; NULL if absent. */
const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key);

/** SYMBOL(@name): hex address. */
struct crash_error *vmcoreinfo_symbol(const struct vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** SIZE(@type): decimal, 0 < size <= 1 GiB. */
struct crash_error *vmcoreinfo_size(const struct vmcoreinfo *vi,
				    const char *type, uint64_t *ret);
/** OFFSET(@type.@member): decimal, < 1 GiB. */
struct crash_error *vmcoreinfo_offset(const struct vmcoreinfo *vi,
				      const char *type, const char *member,
				      uint64_t *ret);
/** LENGTH(@name): decimal. */
struct crash_error *vmcoreinfo_length(const struct vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
/** NUMBER(@name): decimal (signed) or 0x-hex; stored as two's complement. */
struct crash_error *vmcoreinfo_number(const struct vmcoreinfo *vi,
				      const char *name, int64_t *ret);
/** A plain hex key such as KERNELOFFSET, KERNELOFFPHYS, IDENTITYBASE. */
struct crash_error *vmcoreinfo_hex(const struct vmcoreinfo *vi,
				   const char *key, uint64_t *ret);
/** A plain decimal key such as PAGESIZE or CRASHTIME. */
struct crash_error *vmcoreinfo_decimal(const struct vmcoreinfo *vi,
				       const char *key, uint64_t *ret);

/** Lines skipped while splitting (too long, no '='), and duplicate keys. */
size_t vmcoreinfo_bad_line_count(const struct vmcoreinfo *vi);
size_t vmcoreinfo_duplicate_count(const struct vmcoreinfo *vi);

#endif
