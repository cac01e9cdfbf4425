/*
 * summary.c - collect the telling lines of a log and render the summary.
 *
 * What is kept (all bounded):
 *  - the last SUMMARY_TAIL records, as short escaped lines, in a ring;
 *  - the last "Kernel panic - not syncing" record, and a snapshot of the
 *    ring as it was just before it ("the last lines before the panic");
 *  - the first SUMMARY_NOTABLE records that carry an oops marker.
 * A multi-line record contributes its first line only; every kept line is
 * cut at SUMMARY_LINE_MAX bytes of escaped text.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "summary.h"

enum {
	SUMMARY_TAIL = 12,
	SUMMARY_NOTABLE = 12,
	SUMMARY_LINE_MAX = 200,
};

struct summary_line {
	bool used;
	bool has_ts;
	uint64_t ts_nsec;
	char text[SUMMARY_LINE_MAX + 1];
};

struct summary {
	uint64_t records;
	struct summary_line tail[SUMMARY_TAIL];
	size_t tail_next;
	bool has_panic;
	struct summary_line panic;
	struct summary_line before_panic[SUMMARY_TAIL];
	struct summary_line notable[SUMMARY_NOTABLE];
	size_t notable_count;
};

/*
 * Oops and crash markers, newest kernels first (printk-formats.md §4.7).
 * Matched at the start of the text, after any "[ ... ]" the text has.
 */
static const char *const summary_markers[] = {
	"BUG: ",
	"kernel BUG at ",
	"Oops",
	"general protection fault",
	"Unable to handle kernel ",
	"WARNING: CPU:",
	"watchdog: BUG: soft lockup",
	"INFO: task ",
	"Out of memory: Kill",
	"sysrq: Trigger a crash",
	"RIP: ",
	"pc : ",
	"NIP ",
	"Krnl PSW",
	"CPU: ",
};

static const char panic_marker[] = "Kernel panic - not syncing";

struct crash_error *summary_create(struct summary **ret)
{
	struct summary *s = calloc(1, sizeof(*s));
	if (!s)
		return &crash_enomem;
	*ret = s;
	return NULL;
}

void summary_destroy(struct summary *s)
{
	free(s);
}

/* First line of the record, escaped and cut to SUMMARY_LINE_MAX. */
static void summary_line_set(struct summary_line *line,
			     const struct printk_record *rec)
{
	size_t len = 0;
	while (len < rec->text_len && rec->text[len] != '\n' &&
	       len < SUMMARY_LINE_MAX)
		len++;
	char escaped[SUMMARY_LINE_MAX * 4];
	size_t n = output_escape_dmesg(escaped, rec->text, len);
	if (n > SUMMARY_LINE_MAX)
		n = SUMMARY_LINE_MAX;
	memcpy(line->text, escaped, n);
	line->text[n] = '\0';
	line->used = true;
	line->has_ts = rec->present & PRINTK_HAS_TS;
	line->ts_nsec = rec->ts_nsec;
}

static bool text_has(const struct printk_record *rec, const char *needle,
		     bool at_start)
{
	size_t n = strlen(needle);
	if (rec->text_len < n)
		return false;
	if (at_start)
		return memcmp(rec->text, needle, n) == 0;
	for (size_t i = 0; i + n <= rec->text_len; i++)
		if (memcmp(rec->text + i, needle, n) == 0)
			return true;
	return false;
}

struct crash_error *summary_add(struct summary *s,
				const struct printk_record *rec)
{
	s->records++;
	if (text_has(rec, panic_marker, false) &&
	    !text_has(rec, "---[ end ", true)) {
		s->has_panic = true;
		summary_line_set(&s->panic, rec);
		for (size_t i = 0; i < SUMMARY_TAIL; i++)
			s->before_panic[i] =
				s->tail[(s->tail_next + i) % SUMMARY_TAIL];
	}
	if (s->notable_count < SUMMARY_NOTABLE) {
		for (size_t i = 0; i < sizeof(summary_markers) /
					       sizeof(summary_markers[0]);
		     i++) {
			if (text_has(rec, summary_markers[i], true)) {
				summary_line_set(&s->notable[s->notable_count++],
						 rec);
				break;
			}
		}
	}
	summary_line_set(&s->tail[s->tail_next], rec);
	s->tail_next = (s->tail_next + 1) % SUMMARY_TAIL;
	return NULL;
}

/* A growing text buffer for rendering; on NOMEM it latches failure. */
struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void text_printf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if (t->cap - t->len <= (size_t)n) {
		size_t cap = (t->cap ? t->cap : 1024);
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		char *buf = realloc(t->buf, cap);
		if (!buf) {
			t->failed = true;
			return;
		}
		t->buf = buf;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* One 65-byte utsname field, escaped; "" if absent. */
static void uts_field(const uint8_t *uts, int index, char *dst)
{
	if (!uts) {
		dst[0] = '\0';
		return;
	}
	const uint8_t *field = uts + 65 * index;
	size_t len = 0;
	while (len < 64 && field[len])
		len++;
	size_t n = output_escape_dmesg(dst, field, len);
	dst[n] = '\0';
}

static void render_line(struct text *t, const char *indent,
			const struct summary_line *line)
{
	if (!line->used)
		return;
	if (line->has_ts) {
		uint64_t usec = line->ts_nsec / 1000;
		text_printf(t, "%s[%5" PRIu64 ".%06" PRIu64 "] %s\n", indent,
			    usec / 1000000, usec % 1000000, line->text);
	} else {
		text_printf(t, "%s%s\n", indent, line->text);
	}
}

struct crash_error *summary_render(const struct summary *s,
				   const struct summary_facts *f,
				   char **text_ret, size_t *size_ret)
{
	struct text t = {0};
	char nodename[65 * 4 + 1], version[65 * 4 + 1], release[65 * 4 + 1];

	uts_field(f->utsname, 1, nodename);
	uts_field(f->utsname, 2, release);
	uts_field(f->utsname, 3, version);

	text_printf(&t, "crash summary of %s\n", f->path);
	text_printf(&t, "  kernel:      %s %s%s(%s)\n",
		    f->osrelease ? f->osrelease : release, version,
		    version[0] ? " " : "", f->arch ? f->arch : "unknown arch");
	if (f->hypervisor)
		text_printf(&t, "  hypervisor:  %s; the kernel above is dom0\n",
			    f->hypervisor);
	text_printf(&t, "  hostname:    %s\n",
		    nodename[0] ? nodename : "(unknown: init_uts_ns not read)");
	if (f->has_crashtime) {
		time_t when = (time_t)f->crashtime;
		struct tm tm;
		char stamp[64] = "?";
		if (gmtime_r(&when, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC",
				 &tm);
		text_printf(&t, "  crash time:  %s (CRASHTIME %" PRIu64 ")\n",
			    stamp, f->crashtime);
	} else {
		text_printf(&t, "  crash time:  unknown (no CRASHTIME)\n");
	}
	text_printf(&t, "  cpus:        %u (NT_PRSTATUS notes)\n", f->cpu_count);
	if (f->build_id)
		text_printf(&t, "  build id:    %s\n", f->build_id);
	if (f->has_kernel_offset)
		text_printf(&t, "  kaslr:       kernel offset 0x%" PRIx64 "\n",
			    f->kernel_offset);
	if (f->xlat_method)
		text_printf(&t, "  translation: %s\n", f->xlat_method);
	if (f->stats) {
		const struct printk_stats *st = f->stats;
		text_printf(&t, "  log:         %s format, %" PRIu64
			    " records, %" PRIu64 " skipped, %" PRIu64 " lost",
			    st->format_name ? st->format_name : "?",
			    st->printed, st->skipped, st->lost);
		if (st->has_fail_count)
			text_printf(&t, ", %" PRIu64 " failed reservations",
				    st->fail_count);
		text_printf(&t, "\n");
	} else {
		text_printf(&t, "  log:         not read: %s\n",
			    f->log_error ? f->log_error : "unknown reason");
	}
	if (s->has_panic) {
		text_printf(&t, "panic:\n");
		render_line(&t, "  ", &s->panic);
	} else {
		text_printf(&t, "panic:       no \"%s\" line in the log\n",
			    panic_marker);
	}
	if (s->notable_count) {
		text_printf(&t, "oops/bug lines:\n");
		for (size_t i = 0; i < s->notable_count; i++)
			render_line(&t, "  ", &s->notable[i]);
	}
	const struct summary_line *last =
		s->has_panic ? s->before_panic : s->tail;
	size_t start = s->has_panic ? 0 : s->tail_next;
	text_printf(&t, "%s:\n", s->has_panic ? "last lines before the panic"
					      : "last lines");
	for (size_t i = 0; i < SUMMARY_TAIL; i++)
		render_line(&t, "  ", &last[(start + i) % SUMMARY_TAIL]);

	if (t.failed) {
		free(t.buf);
		return &crash_enomem;
	}
	*text_ret = t.buf;
	*size_ret = t.len;
	return NULL;
}
