/*
 * output.h - how crashdmesg prints records.
 *
 * Modes (doc/crashdmesg.1 "OUTPUT"):
 *   dmesg         what util-linux dmesg (>= 2.40, C locale) prints from
 *                 /dev/kmsg: "[%5lu.%06lu] " + text, continuation lines of a
 *                 multi-line record indented by the prefix width, an empty
 *                 record a bare newline; legacy logs with <N> stripped.
 *   vmcore-dmesg  kexec-tools' vmcore-dmesg layout: no indent, legacy <N>
 *                 kept, empty records "[ts] "; minus its bugs (no line for a
 *                 data-lost record or a wrap marker).
 *   raw           dmesg -r: "<facility<<3|level>" before the timestamp.
 *   json          one object per line; strings carry bytes as code points
 *                 U+0000-U+00FF (Latin-1), so every byte survives.
 *   kmsg          /dev/kmsg record lines ("prio,seq,usec,flag;text").
 *
 * Terminal safety: in every mode no byte of a dump that could start a
 * terminal escape sequence is written raw: ESC, other control bytes and all
 * bytes >= 0x7f are written as \xNN (vmcore-dmesg mode keeps isspace()
 * bytes raw, as vmcore-dmesg does).
 *
 * Writes go through a buffer to a file descriptor with write(2); a write
 * error (EPIPE, ENOSPC, EIO) is returned as CRASH_ERR_OS and everything
 * written so far stays written.  Total output is capped (max_bytes).
 */
#ifndef CRASHKIT_OUTPUT_H
#define CRASHKIT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "printk.h"

enum output_mode {
	OUTPUT_DMESG,
	OUTPUT_VMCORE_DMESG,
	OUTPUT_RAW,
	OUTPUT_JSON,
	OUTPUT_KMSG,
};

struct output_options {
	enum output_mode mode;
	/* Print the caller id ([T123] / [C1]) of records that have one. */
	bool show_caller;
	/* Width of the caller field (util-linux: strlen of pid_max + 1). */
	unsigned int caller_width;
	/* Stop with an error after this many bytes; 0: no cap. */
	uint64_t max_bytes;
	/*
	 * kmsg flags as 3.5-4.8 printed them: 'c' opens a continuation, '+'
	 * continues one (it depends on the previous record's flags); 4.9+
	 * print 'c' for any LOG_CONT fragment.
	 */
	bool kmsg_flags_3_5;
};

struct output;

/** output_create() - write to @fd (not closed by output_destroy()). */
struct crash_error *output_create(int fd, const char *name,
				  const struct output_options *options,
				  struct output **ret);

/** output_record() - format and buffer one record. Errors: OS, CORRUPT (cap). */
struct crash_error *output_record(struct output *out,
				  const struct printk_record *rec);

/** output_flush() - write out what is buffered. Errors: OS. */
struct crash_error *output_flush(struct output *out);

/** Bytes written so far (including buffered). */
uint64_t output_bytes(const struct output *out);

void output_destroy(struct output *out);

/**
 * output_escape_dmesg() - append @len bytes of dump text to @dst as dmesg
 * prints them (\xNN for control bytes other than tab/newline and bytes >=
 * 0x7f).  @dst must hold 4 * @len bytes.  Returns the bytes appended.
 * Newlines are copied raw; callers that indent handle them first.
 */
size_t output_escape_dmesg(char *dst, const uint8_t *src, size_t len);

/** output_format_caller() - "T123" or "C4" into @buf (>= 12 bytes). */
void output_format_caller(char *buf, uint32_t caller_id);

#endif
