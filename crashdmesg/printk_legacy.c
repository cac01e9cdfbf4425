/*
 * printk_legacy.c - the byte ring of Linux 3.4 and older.
 *
 * (1) The structure.  Up to 3.4, printk kept its log as plain text in a
 * character ring, log_buf[log_buf_len], log_buf_len a power of two
 * (1 << CONFIG_LOG_BUF_SHIFT, or log_buf_len= rounded up).  emit_log_char()
 * stores each character at log_buf[log_end & (log_buf_len - 1)] and
 * increments log_end, a free-running counter never masked; logged_chars
 * counts characters since the last clear (dmesg -c), capped at
 * log_buf_len.  vprintk() begins each line with "<N>" (the caller's level,
 * or default_message_loglevel; /dev/kmsg writers can put multi-digit
 * "<13>") and, with printk_time, "[%5lu.%06lu] "; "<c>" and "<d>" are
 * stripped before storing.  A message with a level arriving on an
 * unterminated line first gets a '\n'.  3.5 replaced all this with
 * records (printk_records.c).
 *
 * (2) What we read.  VMCOREINFO from log_buf_kexec_setup() (present in
 * 3.0; VMCOREINFO itself dates from 2.6.24):
 *	SYMBOL(log_buf)		char *: the variable, dereferenced
 *	SYMBOL(log_buf_len)	int
 *	SYMBOL(log_end)		unsigned; unsigned long up to 2.6.24 (commit
 *				eed4a2aba7ff made it unsigned): read as 8 bytes
 *				when OSRELEASE is 2.6.24 or older on a 64-bit
 *				dump, else 4 (kexec-tools always reads 4, which
 *				takes the high half on 64-bit big-endian)
 *	SYMBOL(logged_chars)	unsigned, optional: used for since_clear and
 *				to see a 32-bit log_end that wrapped
 * The log is the last n bytes before log_end in ring order:
 *	log_end < log_buf_len	buf[0, log_end)
 *	otherwise		buf[idx, len) + buf[0, idx),
 *				idx = log_end & (log_buf_len - 1)
 * Then we split it into lines at '\n'.  Each line is a record: raw is the
 * line as stored including its '\n' (the newest may lack one); text
 * follows a leading "<N>" (1-3 digits: level = N & 7, facility = N >> 3,
 * PRINTK_HAS_LEVEL) and a leading "[ sec.usec]" stamp with exactly six
 * digits of microseconds and an optional space (PRINTK_HAS_TS), and stops
 * before the '\n'.  seq is the line's position, without PRINTK_HAS_SEQ.
 *
 * (3) Validity.
 *	V1  log_buf_len > 0 as a signed int (its type); a negative value
 *	    read as unsigned would be over 2 GiB
 *	V2  log_buf_len is a power of two (the kernel rounds it up); an int
 *	    power of two is at most 1 GiB, inside LOG_BUF_LEN_MAX
 *	V3  log_buf_len <= options.max_buffer
 *	V4  log_buf is not NULL
 *	V5  logged_chars <= log_buf_len (the kernel caps it); larger values
 *	    are capped and noted
 *	V6  the text holds no NUL: vprintk() stores the formatted string up
 *	    to its NUL, never the NUL itself
 *	V7  a line is at most LEGACY_LINE_MAX bytes (printk_buf is 1 KiB;
 *	    only endless continuations grow longer)
 * A 4-byte log_end wraps at 2^32, which is harmless: log_buf_len divides
 * 2^32, so log_end & (len - 1) is still the write position.  But after the
 * wrap log_end may be below log_buf_len on a full ring; logged_chars >
 * log_end can only mean that, and we then read the whole ring.  (If the
 * log was also cleared after the wrap, we see only [0, log_end), as every
 * other reader does.)
 *
 * (4) What a crash leaves half-done.  No record boundaries exist, so
 * nothing can be half-written in a way we could see: the newest line may
 * lack its '\n' (a continuation in progress, or the crash mid-line), and
 * a CPU stopped inside emit_log_char() may have stored a character without
 * advancing log_end yet: we miss that character.  A full ring's oldest
 * line is taken as starting mid-line (stats.torn_first_line), since the
 * byte before it is overwritten and we cannot tell: it gets no prefix
 * parsing.  With since_clear the byte before the window is still there
 * and decides.
 *
 * (5) What we repair and report.  V5: capped, one note, and then not
 * trusted to reveal a wrapped log_end.  V6: NUL bytes are
 * dropped (as crash's `log` does) and counted once in stats.skipped with a
 * note: they come from pages the capture could not read or memory that
 * never held the log.  vmcore-dmesg and makedumpfile copy them to the
 * output as they are, so our text differs there on purpose.  V7: the line
 * is cut into LEGACY_LINE_MAX pieces, noted once; pieces after the first
 * get no prefix parsing.  An all-0xff buffer is text as far as the format
 * can tell and comes out as such.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printk.h"

/* V7: cut lines longer than this. */
enum { LEGACY_LINE_MAX = 64 * 1024 };

struct legacy_log {
	const struct printk_source *src;
	const struct printk_sink *sink;
	struct printk_stats *stats;
	uint64_t seq;
	bool line_cut_noted;
};

static bool legacy_detect(const struct vmcoreinfo *vi)
{
	return vmcoreinfo_has(vi, "SYMBOL(log_end)");
}

static void legacy_note(const struct legacy_log *lg, const char *msg)
{
	if (lg->sink->note)
		lg->sink->note(lg->sink->arg, msg);
}

/*
 * Is log_end an unsigned long (2.6.24 and older, see (2))?  Only OSRELEASE
 * "2.6.N" with N <= 24 says so; anything else, or no OSRELEASE, is newer.
 */
static bool legacy_log_end_is_long(const struct vmcoreinfo *vi)
{
	const char *rel = vmcoreinfo_get(vi, "OSRELEASE");
	unsigned minor = 0;
	size_t digits = 0;

	if (!rel || strncmp(rel, "2.6.", 4) != 0)
		return false;
	for (const char *p = rel + 4; *p >= '0' && *p <= '9' && digits < 3;
	     p++, digits++)
		minor = minor * 10 + (unsigned)(*p - '0');
	return digits > 0 && minor <= 24;
}

/* Parse "<N>" at @p (1-3 digits); returns its length or 0. */
static size_t legacy_parse_level(const uint8_t *p, size_t n, unsigned *ret)
{
	unsigned v = 0;
	size_t i = 1;

	if (n < 3 || p[0] != '<')
		return 0;
	for (; i < n && i <= 3 && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 1 || i >= n || p[i] != '>')
		return 0;
	*ret = v;
	return i + 1;
}

/*
 * Parse "[ sec.usec]" at @p, with an optional following space: any spaces,
 * 1-11 digits of seconds, '.', exactly six digits, ']'.  Returns its length
 * or 0; *@ret gets nanoseconds.  Eleven digits of seconds always fit in a
 * u64 of nanoseconds (1e11 * 1e9 < 2^64 / 100).
 */
static size_t legacy_parse_ts(const uint8_t *p, size_t n, uint64_t *ret)
{
	uint64_t sec = 0, usec = 0;
	size_t i = 1, digits = 0;

	if (n < 1 || p[0] != '[')
		return 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9' && digits < 11; i++, digits++)
		sec = sec * 10 + (p[i] - '0');
	if (!digits || i >= n || p[i] != '.')
		return 0;
	i++;
	for (digits = 0; i < n && p[i] >= '0' && p[i] <= '9' && digits < 6;
	     i++, digits++)
		usec = usec * 10 + (p[i] - '0');
	if (digits != 6 || i >= n || p[i] != ']')
		return 0;
	i++;
	if (i < n && p[i] == ' ')
		i++;
	*ret = sec * 1000000000 + usec * 1000;
	return i;
}

/*
 * Hand one line (or a V7 piece of one) to the sink.  @parse: look for the
 * "<N>" and "[ts]" prefixes (not on a torn first line or a later piece).
 */
static struct crash_error *legacy_emit(struct legacy_log *lg,
				       const uint8_t *line, size_t raw_len,
				       size_t text_end, bool parse)
{
	struct printk_record rec = {
		.seq = lg->seq++,
		.raw = line,
		.raw_len = raw_len,
	};
	size_t pos = 0;

	if (parse) {
		unsigned level;
		size_t k = legacy_parse_level(line, text_end, &level);
		if (k) {
			rec.present |= PRINTK_HAS_LEVEL;
			rec.level = level & 7;
			rec.facility = (uint8_t)(level >> 3);
			pos = k;
		}
		k = legacy_parse_ts(line + pos, text_end - pos, &rec.ts_nsec);
		if (k) {
			rec.present |= PRINTK_HAS_TS;
			pos += k;
		}
	}
	rec.text = line + pos;
	rec.text_len = text_end - pos;
	struct crash_error *err = lg->sink->record(lg->sink->arg, &rec);
	if (!err)
		lg->stats->printed++;
	return err;
}

/* Split @n bytes of text into lines (see (2), V7) and emit them. */
static struct crash_error *legacy_split(struct legacy_log *lg,
					const uint8_t *text, size_t n,
					bool torn)
{
	bool parse = !torn;
	size_t pos = 0;

	// Each turn consumes at least one byte: at most n turns.
	while (pos < n) {
		size_t left = n - pos;
		size_t span = left < LEGACY_LINE_MAX ? left : LEGACY_LINE_MAX;
		const uint8_t *nl = memchr(text + pos, '\n', span);
		struct crash_error *err;

		if (nl) {
			size_t end = (size_t)(nl - (text + pos));
			err = legacy_emit(lg, text + pos, end + 1, end, parse);
			pos += end + 1;
			parse = true;
		} else if (left > LEGACY_LINE_MAX) {
			// valid V7
			if (!lg->line_cut_noted) {
				char msg[160];
				snprintf(msg, sizeof(msg),
					 "legacy: a line longer than %d bytes was cut into pieces",
					 LEGACY_LINE_MAX);
				legacy_note(lg, msg);
				lg->line_cut_noted = true;
			}
			err = legacy_emit(lg, text + pos, span, span, parse);
			pos += span;
			parse = false;
		} else {
			err = legacy_emit(lg, text + pos, left, left, parse);
			pos = n;
		}
		if (err)
			return err;
	}
	return NULL;
}

/*
 * Copy @count bytes of the ring from index @start, wrapping at @len.  Holes
 * (a truncated dump) read as NUL bytes, which the line splitter drops and
 * reports: the kernel never stores NUL.
 */
static struct crash_error *legacy_read_ring(const struct printk_source *src,
					    const struct printk_sink *sink,
					    struct printk_stats *stats,
					    uint64_t log_buf, uint64_t len,
					    uint64_t start, uint64_t count,
					    uint8_t *dst)
{
	uint64_t first = len - start < count ? len - start : count;
	struct crash_error *err = printk_read_bulk(src, sink, stats, "log_buf",
						   log_buf + start, dst, first);

	if (!err && count > first)
		err = printk_read_bulk(src, sink, stats, "log_buf", log_buf,
				       dst + first, count - first);
	return crash_error_prefix(err, "legacy");
}

static struct crash_error *legacy_decode(const struct printk_source *src,
					 const struct printk_sink *sink,
					 struct printk_stats *stats)
{
	struct legacy_log lg = { .src = src, .sink = sink, .stats = stats };
	uint64_t log_buf, len_raw, log_end, logged_chars = 0;
	bool has_logged;
	struct crash_error *err;
	char msg[200];

	memset(stats, 0, sizeof(*stats));
	stats->format_name = printk_legacy_decoder.name;
	stats->caller = PRINTK_CALLER_OFF;

	size_t end_size = src->format->ptr_size == 8 &&
				  legacy_log_end_is_long(src->vmcoreinfo) ? 8 : 4;
	if ((err = printk_read_var(src, "legacy", "log_buf",
				   src->format->ptr_size, &log_buf)) ||
	    (err = printk_read_var(src, "legacy", "log_buf_len", 4, &len_raw)) ||
	    (err = printk_read_var(src, "legacy", "log_end", end_size, &log_end)))
		return err;
	err = printk_read_var(src, "legacy", "logged_chars", 4, &logged_chars);
	has_logged = !err;
	if (err && err->code != CRASH_ERR_NOT_FOUND)
		return err;
	crash_error_destroy(err);

	int32_t len_int = (int32_t)(uint32_t)len_raw;
	// valid V1
	if (len_int == 0)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "legacy: log_buf_len is 0");
	if (len_int < 0)
		return crash_error_create(CRASH_ERR_CORRUPT,
			"legacy: log_buf_len %" PRId32 " (0x%" PRIx32 ") is negative",
			len_int, (uint32_t)len_int);
	uint64_t len = (uint64_t)len_int;
	stats->buffer_size = len;
	// valid V2
	if (len & (len - 1))
		return crash_error_create(CRASH_ERR_CORRUPT,
			"legacy: log_buf_len 0x%" PRIx64 " is not a power of two",
			len);
	// valid V3
	if (src->options.max_buffer && len > src->options.max_buffer)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
			"legacy: log_buf_len 0x%" PRIx64 " exceeds the buffer limit of 0x%" PRIx64 " bytes",
			len, src->options.max_buffer);
	// valid V4
	if (log_buf == 0)
		return crash_error_fault(0, "legacy: log_buf is a NULL pointer");
	// valid V5; a capped value proves nothing about a wrap (below)
	bool logged_ok = has_logged && logged_chars <= len;
	if (has_logged && logged_chars > len) {
		snprintf(msg, sizeof(msg),
			 "legacy: logged_chars %" PRIu64 " exceeds log_buf_len %" PRIu64 ": capped",
			 logged_chars, len);
		legacy_note(&lg, msg);
		logged_chars = len;
	}

	// See (3): logged_chars > log_end only after a 4-byte log_end wrapped.
	bool wrapped = log_end >= len || (logged_ok && logged_chars > log_end);
	uint64_t avail = wrapped ? len : log_end;
	uint64_t n = avail;
	if (src->options.since_clear) {
		if (has_logged)
			n = logged_chars < n ? logged_chars : n;
		else
			legacy_note(&lg, "legacy: VMCOREINFO has no SYMBOL(logged_chars): printing the whole log");
	}
	if (n == 0)
		return NULL;

	// One byte before the window, when it exists, tells whether the
	// first line is torn; a full ring has lost it.
	uint64_t mask = len - 1;
	bool have_before = n < avail;
	uint64_t start = (log_end - n - (have_before ? 1 : 0)) & mask;
	uint64_t count = n + (have_before ? 1 : 0);
	uint8_t *text = malloc(count);
	if (!text)
		return &crash_enomem;
	err = legacy_read_ring(src, sink, stats, log_buf, len, start, count,
			       text);
	if (err) {
		free(text);
		return err;
	}
	uint8_t *win = text + (have_before ? 1 : 0);
	stats->torn_first_line = have_before ? text[0] != '\n' : wrapped;

	// valid V6: squeeze out NUL bytes
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (win[i])
			win[kept++] = win[i];
	}
	if (kept < n) {
		snprintf(msg, sizeof(msg),
			 "legacy: dropped %" PRIu64 " NUL bytes, which the kernel never stores",
			 n - kept);
		snprintf(stats->first_skip_reason,
			 sizeof(stats->first_skip_reason), "%s", msg);
		stats->skipped++;
		legacy_note(&lg, msg);
	}
	err = legacy_split(&lg, win, kept, stats->torn_first_line);
	free(text);
	return err;
}

const struct printk_decoder printk_legacy_decoder = {
	.name = "legacy",
	.detect = legacy_detect,
	.decode = legacy_decode,
};
