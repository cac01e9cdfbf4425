/*
 * printk_read.c - reading a log array that may have holes.
 *
 * Dumps are cut short (a full disk, an interrupted copy) or miss pages the
 * capture could not read.  The log's arrays are read whole for speed, but a
 * failure of that one read must not lose every record: we fall back to
 * 4 KiB pages, zero-fill the ones that fail and let the decoders' own
 * validity checks reject what the zeros break.  See printk.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "printk.h"

enum { PRINTK_READ_PAGE_SIZE = 4096 };

void printk_stats_first_skip(struct printk_stats *stats, const char *reason)
{
	if (!stats->first_skip_reason[0])
		snprintf(stats->first_skip_reason,
			 sizeof(stats->first_skip_reason), "%.*s",
			 (int)sizeof(stats->first_skip_reason) - 1, reason);
}

struct crash_error *printk_read_var(const struct printk_source *src,
				    const char *decoder, const char *name,
				    size_t size, uint64_t *ret)
{
	uint8_t raw[8];
	uint64_t addr;
	struct crash_error *err = vmcoreinfo_symbol(src->vmcoreinfo, name,
						    &addr);

	if (crash_error_catch(&err, CRASH_ERR_NOT_FOUND))
		return crash_error_create(CRASH_ERR_NOT_FOUND,
					  "%s: VMCOREINFO has no SYMBOL(%s)",
					  decoder, name);
	if (err)
		return crash_error_prefix(err, "%s", decoder);
	err = src->read_kv(src->arg, addr, raw, size);
	if (err)
		return crash_error_prefix(err, "%s: reading %s at 0x%" PRIx64,
					  decoder, name, addr);
	*ret = rd_uint(src->format, raw, size);
	return NULL;
}

static void note(const struct printk_sink *sink, const char *message)
{
	if (sink->note)
		sink->note(sink->arg, message);
}

struct crash_error *printk_read_bulk(const struct printk_source *src,
				     const struct printk_sink *sink,
				     struct printk_stats *stats,
				     const char *what, uint64_t vaddr,
				     uint8_t *buf, uint64_t size)
{
	struct crash_error *first = src->read_kv(src->arg, vaddr, buf, size);
	if (!first)
		return NULL;
	if (first->code == CRASH_ERR_NOMEM)
		return first;

	// Page by page; the loop runs size / 4 KiB + 1 times at most.
	uint64_t holes = 0, hole_bytes = 0, first_hole = 0, done = 0;
	struct crash_error *first_page_err = NULL;
	while (done < size) {
		uint64_t addr = vaddr + done;
		uint64_t chunk = PRINTK_READ_PAGE_SIZE -
				 (addr & (PRINTK_READ_PAGE_SIZE - 1));
		if (chunk > size - done)
			chunk = size - done;
		struct crash_error *err =
			src->read_kv(src->arg, addr, buf + done, chunk);
		if (err) {
			if (err->code == CRASH_ERR_NOMEM) {
				crash_error_destroy(first);
				crash_error_destroy(first_page_err);
				return err;
			}
			memset(buf + done, 0, chunk);
			if (!holes) {
				first_hole = addr;
				first_page_err = err;
			} else {
				crash_error_destroy(err);
			}
			holes++;
			hole_bytes += chunk;
		}
		done += chunk;
	}
	if (hole_bytes == size) {
		crash_error_destroy(first_page_err);
		return crash_error_prefix(first, "reading %s (%" PRIu64
					  " bytes) at 0x%" PRIx64,
					  what, size, vaddr);
	}
	crash_error_destroy(first);

	char message[512];
	snprintf(message, sizeof(message),
		 "%s: %" PRIu64 " of %" PRIu64 " bytes at 0x%" PRIx64
		 " unreadable, from 0x%" PRIx64 " (%s); records there are skipped",
		 what, hole_bytes, size, vaddr, first_hole,
		 first_page_err ? first_page_err->message : "?");
	crash_error_destroy(first_page_err);
	note(sink, message);
	stats->skipped++;
	printk_stats_first_skip(stats, message);
	return NULL;
}
