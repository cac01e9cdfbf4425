/*
 * output.c - formatting records for each output mode (see output.h).
 *
 * Every mode formats one record into a line buffer and appends it to the
 * write buffer; nothing here interprets the record beyond the fields the
 * decoder validated.  The rules for each mode, with their sources:
 *
 *  dmesg (util-linux sys-utils/dmesg.c, kmsg path, C locale):
 *    1. the prefix is "[%5lu.%06lu] " from ts_nsec / 1000 (microseconds),
 *       then "[%*s] " with the caller when shown;
 *    2. a record with no text prints "\n" alone, without a prefix;
 *    3. each '\n' inside the text is followed by as many spaces as the
 *       prefix was wide, except a trailing one (it ends a blank line);
 *    4. bytes < 0x20 other than tab and newline, and bytes >= 0x7f, print as
 *       \xNN.  util-linux lets \r, \v and \f through; we do not, since a
 *       carriage return lets a hostile dump overwrite what the analyst sees.
 *    Legacy (<= 3.4) lines print as dmesg's syslog path does: the <N> prefix
 *    stripped and a parsed "[ sec.usec]" stamp reprinted as in rule 1.
 *
 *  vmcore-dmesg (kexec-tools util_lib/elf_info.c dump_record):
 *    "[%5llu.%06llu] " + text with !isprint && !isspace bytes as \xNN (C
 *    locale) + "\n"; no indentation.  Legacy buffers are written as stored
 *    (<N> kept), with the same escaping: vmcore-dmesg writes them unescaped,
 *    which lets a dump's ESC bytes reach the terminal.
 *
 *  kmsg (kernel/printk/printk.c info_print_ext_header / msg_add_ext_text):
 *    "%u,%llu,%llu,%c;" prio, seq, usec, 'c' for LOG_CONT else '-' (3.5-4.8:
 *    'c' opens a continuation, '+' goes on with one), with
 *    ",caller=T1" before ';' when shown; every byte < 0x20, >= 0x7f and '\'
 *    escaped \xNN; then " KEY=VALUE" lines for the dictionary or dev_info.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

enum { OUTPUT_BUFFER_SIZE = 1 << 16 };

struct output {
	int fd;
	const char *name;
	struct output_options options;
	uint64_t written;	/* bytes passed to write(2) or buffered */
	uint64_t seq;		/* record counter for records without a seq */
	uint8_t prev_log_flags;	/* for the 3.5-4.8 kmsg flag rule */
	size_t buffered;
	/* A formatted record: grown as needed, bounded by the record size. */
	char *line;
	size_t line_capacity;
	size_t line_len;
	char buffer[OUTPUT_BUFFER_SIZE];
};

struct crash_error *output_create(int fd, const char *name,
				  const struct output_options *options,
				  struct output **ret)
{
	// malloc, not calloc: the write buffer needs no clearing.
	struct output *out = malloc(sizeof(*out));
	if (!out)
		return &crash_enomem;
	memset(out, 0, offsetof(struct output, buffer));
	out->fd = fd;
	out->name = name;
	out->options = *options;
	*ret = out;
	return NULL;
}

void output_destroy(struct output *out)
{
	if (!out)
		return;
	free(out->line);
	free(out);
}

uint64_t output_bytes(const struct output *out)
{
	return out->written;
}

static struct crash_error *output_write_all(struct output *out,
					    const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(out->fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return crash_error_os(errno, "writing %s", out->name);
		}
		data += n;
		len -= (size_t)n;
	}
	return NULL;
}

struct crash_error *output_flush(struct output *out)
{
	struct crash_error *err = output_write_all(out, out->buffer,
						   out->buffered);
	out->buffered = 0;
	return err;
}

static struct crash_error *output_append(struct output *out, const char *data,
					 size_t len)
{
	if (out->options.max_bytes &&
	    (len > out->options.max_bytes ||
	     out->written > out->options.max_bytes - len))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "output to %s would exceed the %" PRIu64
					  "-byte output cap",
					  out->name, out->options.max_bytes);
	out->written += len;
	if (len >= OUTPUT_BUFFER_SIZE) {
		struct crash_error *err = output_flush(out);
		return err ? err : output_write_all(out, data, len);
	}
	if (OUTPUT_BUFFER_SIZE - out->buffered < len) {
		struct crash_error *err = output_flush(out);
		if (err)
			return err;
	}
	memcpy(out->buffer + out->buffered, data, len);
	out->buffered += len;
	return NULL;
}

/*
 * Make room for @extra more bytes in the line buffer.  A record is at most
 * a few hundred KiB escaped (text <= 64 KiB from the decoders, x4 for \xNN,
 * plus indentation), so growth is bounded by the record.
 */
static bool line_reserve(struct output *out, size_t extra)
{
	if (out->line_capacity - out->line_len >= extra)
		return true;
	size_t want = out->line_len + extra;
	if (want < out->line_len)
		return false;
	size_t cap = out->line_capacity ? out->line_capacity : 4096;
	while (cap < want) {
		if (cap > SIZE_MAX / 2)
			return false;
		cap *= 2;
	}
	char *line = realloc(out->line, cap);
	if (!line)
		return false;
	out->line = line;
	out->line_capacity = cap;
	return true;
}

static bool line_printf(struct output *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool line_printf(struct output *out, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) || !line_reserve(out, (size_t)n))
		return false;
	memcpy(out->line + out->line_len, tmp, (size_t)n);
	out->line_len += (size_t)n;
	return true;
}

static bool line_bytes(struct output *out, const void *data, size_t len)
{
	if (!line_reserve(out, len))
		return false;
	memcpy(out->line + out->line_len, data, len);
	out->line_len += len;
	return true;
}

static const char hex_digits[] = "0123456789abcdef";

static size_t escape_byte(char *dst, uint8_t c)
{
	dst[0] = '\\';
	dst[1] = 'x';
	dst[2] = hex_digits[c >> 4];
	dst[3] = hex_digits[c & 15];
	return 4;
}

/*
 * Which bytes pass raw, per mode: one table each, so the hot loop is a
 * lookup.  Every other byte is written \xNN.
 *   dmesg (rule 4):  printable ASCII, tab, newline
 *   vmcore-dmesg:    C-locale isprint() || isspace(): adds \v \f \r
 *   kmsg:            printable ASCII except the backslash itself
 */
struct byte_class {
	bool safe[256];
};

static const struct byte_class dmesg_bytes = {
	.safe = {[0x20 ... 0x7e] = true, ['\t'] = true, ['\n'] = true},
};
static const struct byte_class vmcore_dmesg_bytes = {
	.safe = {[0x20 ... 0x7e] = true, ['\t' ... '\r'] = true},
};
static const struct byte_class kmsg_bytes = {
	.safe = {[0x20 ... 0x5b] = true, [0x5d ... 0x7e] = true},
};

size_t output_escape_dmesg(char *dst, const uint8_t *src, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (dmesg_bytes.safe[src[i]])
			dst[n++] = (char)src[i];
		else
			n += escape_byte(dst + n, src[i]);
	}
	return n;
}

/*
 * Append @len text bytes, escaping what @class rejects; after each newline
 * that is not the last byte, append @indent spaces (dmesg rule 3).  Runs of
 * plain bytes are copied at once.
 */
static bool line_text(struct output *out, const uint8_t *text, size_t len,
		      const struct byte_class *class, size_t indent)
{
	if (len > SIZE_MAX / 4 || !line_reserve(out, len * 4))
		return false;
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		while (run < len && class->safe[text[run]] && text[run] != '\n')
			run++;
		memcpy(out->line + out->line_len, text + i, run - i);
		out->line_len += run - i;
		if (run == len)
			break;
		uint8_t c = text[run];
		i = run + 1;
		if (c != '\n' || !class->safe[c]) {
			out->line_len += escape_byte(out->line + out->line_len, c);
			continue;
		}
		out->line[out->line_len++] = '\n';
		if (indent && i < len) {
			if (!line_reserve(out, indent + (len - i) * 4))
				return false;
			memset(out->line + out->line_len, ' ', indent);
			out->line_len += indent;
		}
	}
	return true;
}

void output_format_caller(char *buf, uint32_t caller_id)
{
	// kernel/printk/printk.c printk_caller_id(): bit 31 marks a CPU context.
	if (caller_id & 0x80000000u)
		snprintf(buf, 12, "C%" PRIu32, caller_id & 0x7fffffffu);
	else
		snprintf(buf, 12, "T%" PRIu32, caller_id);
}

/* "[%5lu.%06lu] " of ts_nsec / 1000, formatted by hand: it is per record. */
static bool line_timestamp(struct output *out, uint64_t ts_nsec)
{
	uint64_t usec = ts_nsec / 1000, sec = usec / 1000000;
	uint32_t frac = (uint32_t)(usec % 1000000);
	char tmp[40];
	char *p = tmp + sizeof(tmp);
	int digits = 0;

	*--p = ' ';
	*--p = ']';
	for (int i = 0; i < 6; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	*--p = '.';
	do {
		*--p = (char)('0' + sec % 10);
		sec /= 10;
		digits++;
	} while (sec);
	while (digits++ < 5)
		*--p = ' ';
	*--p = '[';
	return line_bytes(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static bool record_shows_caller(const struct output *out,
				const struct printk_record *rec)
{
	return out->options.show_caller && (rec->present & PRINTK_HAS_CALLER);
}

static unsigned int record_prio(const struct printk_record *rec)
{
	if (!(rec->present & PRINTK_HAS_LEVEL))
		return 4;	/* default_message_loglevel */
	return (unsigned int)rec->facility << 3 | (rec->level & 7);
}

/* dmesg and raw modes. */
static bool format_dmesg(struct output *out, const struct printk_record *rec,
			 bool raw)
{
	if (rec->raw && raw) {
		// dmesg -r on a legacy log prints the buffer as stored.
		return line_text(out, rec->raw, rec->raw_len, &dmesg_bytes,
				 0);
	}
	if (rec->raw && !(rec->present & PRINTK_HAS_TS)) {
		// A legacy line without a stamp (torn, or printk.time=0).
		return line_text(out, rec->text, rec->text_len,
				 &dmesg_bytes, 0) &&
		       line_bytes(out, "\n", 1);
	}
	if (rec->text_len == 0 && !raw && !rec->raw)
		return line_bytes(out, "\n", 1);	/* rule 2 */
	if (raw && !line_printf(out, "<%u>", record_prio(rec)))
		return false;
	if (!line_timestamp(out, rec->ts_nsec))
		return false;
	if (record_shows_caller(out, rec)) {
		char caller[12];
		output_format_caller(caller, rec->caller_id);
		if (!line_printf(out, "[%*s] ", (int)out->options.caller_width,
				 caller))
			return false;
	}
	size_t indent = out->line_len;
	return line_text(out, rec->text, rec->text_len, &dmesg_bytes,
			 indent) &&
	       line_bytes(out, "\n", 1);
}

static bool format_vmcore_dmesg(struct output *out,
				const struct printk_record *rec)
{
	if (rec->raw)
		return line_text(out, rec->raw, rec->raw_len,
				 &vmcore_dmesg_bytes, 0);
	return line_timestamp(out, rec->ts_nsec) &&
	       line_text(out, rec->text, rec->text_len,
			 &vmcore_dmesg_bytes, 0) &&
	       line_bytes(out, "\n", 1);
}

/* Dictionary pairs (NUL-separated) or dev_info, as " KEY=VALUE\n" lines. */
static bool format_kmsg_dict(struct output *out,
			     const struct printk_record *rec)
{
	if (rec->subsystem_len &&
	    !(line_bytes(out, " SUBSYSTEM=", 11) &&
	      line_text(out, rec->subsystem, rec->subsystem_len,
			&kmsg_bytes, 0) &&
	      line_bytes(out, "\n", 1)))
		return false;
	if (rec->device_len &&
	    !(line_bytes(out, " DEVICE=", 8) &&
	      line_text(out, rec->device, rec->device_len, &kmsg_bytes,
			0) &&
	      line_bytes(out, "\n", 1)))
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= rec->dict_len; i++) {
		if (i < rec->dict_len && rec->dict[i] != '\0')
			continue;
		if (i > start &&
		    !(line_bytes(out, " ", 1) &&
		      line_text(out, rec->dict + start, i - start,
				&kmsg_bytes, 0) &&
		      line_bytes(out, "\n", 1)))
			return false;
		start = i + 1;
	}
	return true;
}

static bool format_kmsg(struct output *out, const struct printk_record *rec,
			uint64_t seq)
{
	uint8_t flags = (rec->present & PRINTK_HAS_FLAGS) ? rec->log_flags : 0;
	char flag = (flags & PRINTK_LOG_CONT) ? 'c' : '-';
	if (out->options.kmsg_flags_3_5) {
		// msg_print_ext_header() of 3.5-4.8.
		uint8_t prev = out->prev_log_flags;
		if ((flags & PRINTK_LOG_CONT) && !(prev & PRINTK_LOG_CONT))
			flag = 'c';
		else if ((flags & PRINTK_LOG_CONT) ||
			 ((prev & PRINTK_LOG_CONT) && !(flags & PRINTK_LOG_PREFIX)))
			flag = '+';
		else
			flag = '-';
	}
	out->prev_log_flags = flags;
	if (!line_printf(out, "%u,%" PRIu64 ",%" PRIu64 ",%c", record_prio(rec),
			 seq, rec->ts_nsec / 1000, flag))
		return false;
	if (record_shows_caller(out, rec)) {
		char caller[12];
		output_format_caller(caller, rec->caller_id);
		if (!line_printf(out, ",caller=%s", caller))
			return false;
	}
	return line_bytes(out, ";", 1) &&
	       line_text(out, rec->text, rec->text_len, &kmsg_bytes, 0) &&
	       line_bytes(out, "\n", 1) && format_kmsg_dict(out, rec);
}

/* A JSON string of bytes, each byte one code point (Latin-1). */
static bool line_json_string(struct output *out, const uint8_t *s, size_t len)
{
	if (len > SIZE_MAX / 6 - 2 || !line_reserve(out, len * 6 + 2))
		return false;
	out->line[out->line_len++] = '"';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		char *dst = out->line + out->line_len;
		if (c == '"' || c == '\\') {
			dst[0] = '\\';
			dst[1] = (char)c;
			out->line_len += 2;
		} else if (c >= 0x20 && c < 0x7f) {
			dst[0] = (char)c;
			out->line_len += 1;
		} else {
			memcpy(dst, "\\u00", 4);
			dst[4] = hex_digits[c >> 4];
			dst[5] = hex_digits[c & 15];
			out->line_len += 6;
		}
	}
	out->line[out->line_len++] = '"';
	return true;
}

static bool format_json(struct output *out, const struct printk_record *rec,
			uint64_t seq)
{
	if (!line_printf(out, "{\"seq\":%" PRIu64, seq))
		return false;
	if (rec->present & PRINTK_HAS_TS) {
		if (!line_printf(out, ",\"ts_nsec\":%" PRIu64, rec->ts_nsec))
			return false;
	} else if (!line_printf(out, ",\"ts_nsec\":null")) {
		return false;
	}
	if (rec->present & PRINTK_HAS_LEVEL) {
		if (!line_printf(out, ",\"level\":%u,\"facility\":%u",
				 rec->level & 7, rec->facility))
			return false;
	} else if (!line_printf(out, ",\"level\":null,\"facility\":null")) {
		return false;
	}
	if (rec->present & PRINTK_HAS_CALLER) {
		char caller[12];
		output_format_caller(caller, rec->caller_id);
		if (!line_printf(out, ",\"caller\":\"%s\"", caller))
			return false;
	} else if (!line_printf(out, ",\"caller\":null")) {
		return false;
	}
	if (!line_printf(out, ",\"text\":") ||
	    !line_json_string(out, rec->text, rec->text_len))
		return false;
	if (rec->subsystem_len || rec->device_len) {
		if (!line_printf(out, ",\"dev_info\":{\"subsystem\":") ||
		    !line_json_string(out, rec->subsystem, rec->subsystem_len) ||
		    !line_printf(out, ",\"device\":") ||
		    !line_json_string(out, rec->device, rec->device_len) ||
		    !line_printf(out, "}"))
			return false;
	} else if (!line_printf(out, ",\"dev_info\":null")) {
		return false;
	}
	if (rec->dict_len) {
		bool first = true;
		size_t start = 0;
		if (!line_printf(out, ",\"dict\":["))
			return false;
		for (size_t i = 0; i <= rec->dict_len; i++) {
			if (i < rec->dict_len && rec->dict[i] != '\0')
				continue;
			if (i > start) {
				if (!first && !line_bytes(out, ",", 1))
					return false;
				if (!line_json_string(out, rec->dict + start,
						      i - start))
					return false;
				first = false;
			}
			start = i + 1;
		}
		if (!line_bytes(out, "]", 1))
			return false;
	}
	return line_bytes(out, "}\n", 2);
}

struct crash_error *output_record(struct output *out,
				  const struct printk_record *rec)
{
	uint64_t seq = (rec->present & PRINTK_HAS_SEQ) ? rec->seq : out->seq;
	bool ok;

	out->seq++;
	out->line_len = 0;
	switch (out->options.mode) {
	case OUTPUT_VMCORE_DMESG:
		ok = format_vmcore_dmesg(out, rec);
		break;
	case OUTPUT_RAW:
		ok = format_dmesg(out, rec, true);
		break;
	case OUTPUT_JSON:
		ok = format_json(out, rec, seq);
		break;
	case OUTPUT_KMSG:
		ok = format_kmsg(out, rec, seq);
		break;
	case OUTPUT_DMESG:
	default:
		ok = format_dmesg(out, rec, false);
		break;
	}
	if (!ok)
		return &crash_enomem;
	return output_append(out, out->line, out->line_len);
}
