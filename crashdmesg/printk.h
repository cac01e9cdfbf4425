/*
 * printk.h - the contract between crashdmesg's log decoders and its output.
 *
 * Three decoders read the three upstream log formats (doc/design.md):
 *   printk_legacy.c      <= 3.4   byte ring: log_buf, log_end, logged_chars
 *   printk_records.c     3.5-5.9  struct log / printk_log records
 *   printk_ringbuffer.c  5.10+    lockless printk_ringbuffer (prb)
 * Each exports one struct printk_decoder: a name, a detect function over
 * VMCOREINFO and a decode function that hands validated records to a sink
 * in log order.  Decoders never print: output.c formats.
 *
 * Decoders read kernel memory only through struct printk_source, so unit
 * tests can hand them an in-memory image; main.c wires it to xlat_read_kv().
 *
 * Partial success is a result: a decoder skips a corrupt record or region,
 * says why through sink->note (one line), counts it in struct printk_stats
 * and goes on.  decode() returns an error only when no log can be found at
 * all (CRASH_ERR_NOT_FOUND / UNSUPPORTED / CORRUPT / FAULT), or when the
 * sink failed (its error is returned as is, and decoding stops).
 */
#ifndef CRASHKIT_PRINTK_H
#define CRASHKIT_PRINTK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/rd.h"
#include "../lib/vmcoreinfo.h"

/** Bits of printk_record.present: which fields the format stored. */
enum printk_present {
	PRINTK_HAS_SEQ = 1 << 0,
	PRINTK_HAS_TS = 1 << 1,		/* ts_nsec valid */
	PRINTK_HAS_LEVEL = 1 << 2,	/* level and facility valid */
	PRINTK_HAS_CALLER = 1 << 3,	/* caller_id stored by the kernel */
	PRINTK_HAS_FLAGS = 1 << 4,	/* log_flags valid */
};

/** Kernel record flags (enum log_flags / printk_info_flags). */
enum printk_log_flags {
	PRINTK_LOG_NOCONS = 1,	/* 3.5-5.9; LOG_FORCE_CON on 6.14+ */
	PRINTK_LOG_NEWLINE = 2,
	PRINTK_LOG_PREFIX = 4,
	PRINTK_LOG_CONT = 8,
};

/**
 * One log record.  All pointers are borrowed and valid only during the
 * sink->record call.  Text and dictionary are bytes with a length: never
 * NUL-terminated, may contain any byte.
 */
struct printk_record {
	unsigned int present;		/* enum printk_present bits */
	uint64_t seq;
	uint64_t ts_nsec;
	uint8_t level;			/* 0-7 */
	uint8_t facility;		/* 0-255 (kernel: 0, /dev/kmsg writers: any) */
	uint8_t log_flags;		/* enum printk_log_flags */
	uint32_t caller_id;		/* T<pid>, or 0x80000000 | cpu */
	const uint8_t *text;
	size_t text_len;
	/* 3.5-5.9: KEY=VALUE pairs separated by NUL (last not terminated). */
	const uint8_t *dict;
	size_t dict_len;
	/* 5.10+ dev_printk_info, each cut at its first NUL. */
	const uint8_t *subsystem;
	size_t subsystem_len;
	const uint8_t *device;
	size_t device_len;
	/*
	 * Legacy (<= 3.4) only: the line exactly as stored, including a
	 * "<N>" prefix and "[ sec.usec] " stamp and the final '\n' if there
	 * is one.  text/text_len then point inside it, after those prefixes.
	 */
	const uint8_t *raw;
	size_t raw_len;
};

/** Whether the crashed kernel had CONFIG_PRINTK_CALLER. */
enum printk_caller_config {
	PRINTK_CALLER_UNKNOWN,	/* 5.10+: caller_id always stored */
	PRINTK_CALLER_OFF,
	PRINTK_CALLER_ON,	/* 5.1-5.9 with OFFSET(printk_log.caller_id) */
};

/** What a decoder learned about the log as a whole. */
struct printk_stats {
	const char *format_name;	/* the decoder's name */
	uint64_t printed;		/* records handed to the sink */
	uint64_t skipped;		/* records or regions skipped as corrupt */
	uint64_t lost;			/* seq gaps + data-lost records */
	bool has_fail_count;
	uint64_t fail_count;		/* prb->fail (5.10+) */
	bool has_seq_range;
	uint64_t first_seq, next_seq;	/* seqs of the records printed */
	uint64_t buffer_size;		/* log_buf_len or text ring size */
	enum printk_caller_config caller;
	bool torn_first_line;		/* legacy: the oldest line starts mid-line */
	char first_skip_reason[256];	/* why the first skip happened */
};

/** Options that change what is decoded (not how it is printed). */
struct printk_options {
	bool since_clear;	/* start at clear_seq/clear_idx/logged_chars */
	uint64_t max_buffer;	/* refuse to allocate more than this; 0: 2 GiB */
	/*
	 * Read every byte of the log's arrays, not only the pages the walk
	 * needs (struct printk_array), so that a --save-minimal core holds
	 * what other readers (vmcore-dmesg) read.
	 */
	bool whole_arrays;
};

/** Where a decoder reads from. */
struct printk_source {
	const struct vmcoreinfo *vmcoreinfo;
	const struct rd_format *format;
	void *arg;
	/* Read kernel-virtual memory.  FAULT if unmapped or absent. */
	struct crash_error *(*read_kv)(void *arg, uint64_t vaddr, void *buf,
				       size_t size);
	struct printk_options options;
};

/** Where a decoder writes to. */
struct printk_sink {
	void *arg;
	/* A validated record.  An error stops decoding and is returned. */
	struct crash_error *(*record)(void *arg,
				      const struct printk_record *rec);
	/* Why something was skipped or lost: one line, no newline. */
	void (*note)(void *arg, const char *message);
};

struct printk_decoder {
	const char *name;	/* "legacy", "records", "ringbuffer" */
	/* Does VMCOREINFO name this format's anchor symbol? */
	bool (*detect)(const struct vmcoreinfo *vi);
	struct crash_error *(*decode)(const struct printk_source *src,
				      const struct printk_sink *sink,
				      struct printk_stats *stats);
};

/**
 * printk_read_bulk() - read one of the log's arrays (a text ring, the
 * descriptors, the infos) of @size bytes at kernel-virtual @vaddr into @buf,
 * tolerating holes: a dump cut short, or a page the capture could not save,
 * must not cost the records that were saved.
 *
 * One read first; if it fails, 4 KiB page by page.  A page that cannot be
 * read is zero-filled: every decoder rejects zero-filled records (block IDs,
 * seqs, lengths no longer match), so they are skipped or counted lost, never
 * invented.  The holes are noted once through @sink (count and first
 * address) and counted as one skip in @stats, so the result is "partial".
 *
 * Errors: NOMEM; the first read's error (prefixed with @what) when no page
 * at all could be read.
 */
struct crash_error *printk_read_bulk(const struct printk_source *src,
				     const struct printk_sink *sink,
				     struct printk_stats *stats,
				     const char *what, uint64_t vaddr,
				     uint8_t *buf, uint64_t size);

/**
 * struct printk_array - one of the log's arrays, read on demand.
 *
 * A 5.10+ ring set up by log_buf_len= (or automatically on machines with
 * many CPUs) can hold hundreds of MiB of descriptors, infos and text while
 * the log uses a fraction of it.  Reading it whole costs time and memory a
 * 128 MiB capture kernel does not have.  A printk_array reserves address
 * space only (MAP_NORESERVE) and reads PRINTK_ARRAY_CHUNK-byte chunks the
 * first time printk_array_get() asks for them.  An unreadable chunk is
 * zero-filled and handled as printk_read_bulk() does: the decoders' checks
 * reject what it breaks, the first hole is noted and counted as one skip.
 */
struct printk_array {
	const struct printk_source *src;
	const struct printk_sink *sink;
	struct printk_stats *stats;
	const char *what;
	uint64_t vaddr;
	uint64_t size;
	uint8_t *buf;		/* size bytes of reserved address space */
	uint8_t *loaded;	/* one flag per chunk */
	uint64_t holes;		/* chunks that could not be read */
};

enum { PRINTK_ARRAY_CHUNK = 16384 };

/**
 * printk_array_init() - reserve @size (> 0) bytes for the array at @vaddr
 * and probe it: if neither its first nor its last chunk can be read, the
 * array is not in the dump at all, and that read's error is returned
 * (prefixed "reading @what ..."), as is NOMEM.  With
 * src->options.whole_arrays every chunk is read here.  @what is borrowed.
 */
struct crash_error *printk_array_init(struct printk_array *a,
				      const struct printk_source *src,
				      const struct printk_sink *sink,
				      struct printk_stats *stats,
				      const char *what, uint64_t vaddr,
				      uint64_t size);

/**
 * printk_array_get() - the bytes [@offset, @offset + @len) of the array,
 * read if need be.  The caller guarantees the range lies inside the array.
 * Never fails: holes read as zeros (see above).
 */
const uint8_t *printk_array_get(struct printk_array *a, uint64_t offset,
				uint64_t len);

/** printk_array_deinit() - release the array; a zeroed array is fine. */
void printk_array_deinit(struct printk_array *a);

/**
 * printk_read_var() - read the kernel variable SYMBOL(@name), an unsigned
 * value of @size (1, 2, 4 or 8) bytes in the dump's byte order.
 * Errors (prefixed with @decoder, e.g. "records"): NOT_FOUND "VMCOREINFO
 * has no SYMBOL(name)", CORRUPT (a malformed SYMBOL value), FAULT.
 */
struct crash_error *printk_read_var(const struct printk_source *src,
				    const char *decoder, const char *name,
				    size_t size, uint64_t *ret);

/** Record why the first skip happened (if none is recorded yet). */
void printk_stats_first_skip(struct printk_stats *stats, const char *reason);

extern const struct printk_decoder printk_legacy_decoder;
extern const struct printk_decoder printk_records_decoder;
extern const struct printk_decoder printk_ringbuffer_decoder;

/** Largest log buffer we accept: LOG_BUF_LEN_MAX in kernel/printk/printk.c. */
#define PRINTK_LOG_BUF_MAX ((uint64_t)1 << 31)

#endif
