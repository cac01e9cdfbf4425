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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* Read chunk @chunk of @a; a failure zero-fills it and is reported once. */
static void printk_array_load(struct printk_array *a, uint64_t chunk)
{
	uint64_t start = chunk * PRINTK_ARRAY_CHUNK;
	uint64_t len = a->size - start < PRINTK_ARRAY_CHUNK ?
			       a->size - start : PRINTK_ARRAY_CHUNK;
	struct crash_error *err =
		a->src->read_kv(a->src->arg, a->vaddr + start, a->buf + start,
				len);
	a->loaded[chunk] = 1;
	if (!err)
		return;
	memset(a->buf + start, 0, len);
	if (a->holes++ == 0) {
		char message[512];
		snprintf(message, sizeof(message),
			 "%s: bytes at 0x%" PRIx64 " unreadable (%s); records there are skipped",
			 a->what, a->vaddr + start, err->message);
		note(a->sink, message);
		a->stats->skipped++;
		printk_stats_first_skip(a->stats, message);
	}
	crash_error_destroy(err);
}

struct crash_error *printk_array_init(struct printk_array *a,
				      const struct printk_source *src,
				      const struct printk_sink *sink,
				      struct printk_stats *stats,
				      const char *what, uint64_t vaddr,
				      uint64_t size)
{
	uint64_t chunks = (size + PRINTK_ARRAY_CHUNK - 1) / PRINTK_ARRAY_CHUNK;

	memset(a, 0, sizeof(*a));
	if (size == 0 || size > SIZE_MAX)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "%s: a %" PRIu64 "-byte array", what,
					  size);
	void *buf = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		return &crash_enomem;
	a->loaded = calloc((size_t)chunks, 1);
	if (!a->loaded) {
		munmap(buf, (size_t)size);
		return &crash_enomem;
	}
	a->src = src;
	a->sink = sink;
	a->stats = stats;
	a->what = what;
	a->vaddr = vaddr;
	a->size = size;
	a->buf = buf;

	// Probe both ends, reading directly so that a wholly absent array is
	// an error rather than a noted hole.
	uint64_t last = chunks - 1;
	uint64_t first_len = size < PRINTK_ARRAY_CHUNK ? size : PRINTK_ARRAY_CHUNK;
	struct crash_error *err = src->read_kv(src->arg, vaddr, a->buf, first_len);
	if (!err) {
		a->loaded[0] = 1;
		if (src->options.whole_arrays)
			printk_array_get(a, 0, size);
		return NULL;
	}
	if (err->code == CRASH_ERR_NOMEM || last == 0) {
		printk_array_deinit(a);
		return crash_error_prefix(err, "reading %s (%" PRIu64
					  " bytes) at 0x%" PRIx64, what, size,
					  vaddr);
	}
	uint64_t start = last * PRINTK_ARRAY_CHUNK;
	struct crash_error *err2 = src->read_kv(src->arg, vaddr + start,
						a->buf + start, size - start);
	if (err2) {
		crash_error_destroy(err2);
		printk_array_deinit(a);
		return crash_error_prefix(err, "reading %s (%" PRIu64
					  " bytes) at 0x%" PRIx64, what, size,
					  vaddr);
	}
	crash_error_destroy(err);
	a->loaded[last] = 1;
	printk_array_load(a, 0);	// zero-fills and notes the hole
	if (src->options.whole_arrays)
		printk_array_get(a, 0, size);
	return NULL;
}

const uint8_t *printk_array_get(struct printk_array *a, uint64_t offset,
				uint64_t len)
{
	uint64_t first = offset / PRINTK_ARRAY_CHUNK;
	uint64_t last = len ? (offset + len - 1) / PRINTK_ARRAY_CHUNK : first;
	for (uint64_t c = first; c <= last; c++)
		if (!a->loaded[c])
			printk_array_load(a, c);
	return a->buf + offset;
}

void printk_array_deinit(struct printk_array *a)
{
	if (a->buf)
		munmap(a->buf, (size_t)a->size);
	free(a->loaded);
	memset(a, 0, sizeof(*a));
}
