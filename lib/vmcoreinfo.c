/*
 * vmcoreinfo.c - the VMCOREINFO text as an index of KEY=VALUE lines.
 *
 * What it is: the kernel fills one page with lines "KEY=VALUE\n"
 * (kernel/vmcore_info.c since 6.10, kernel/crash_core.c 3.x-6.9,
 * kernel/kexec.c before); the dump carries it as the desc of the
 * "VMCOREINFO" note.  We are handed that text (vmcore.c finds it).
 *
 * Structure: vmcoreinfo_parse() copies the text once, cuts it into lines in
 * place (each line end and the first '=' of each line become NUL, so every
 * key and value is a C string inside the copy) and builds an array of
 * (key, value) sorted by key for bsearch.  Lookups are few (hundreds), so
 * nothing smarter is needed.
 *
 * Line rules (lenient, each case counted rather than fatal):
 *  1. A line ends at '\n' or at a NUL byte (the note is often NUL-padded);
 *     a '\r' before the '\n' is dropped (CRLF); the last line needs no
 *     newline (CRASHTIME was historically written without one).
 *  2. Empty lines are ignored silently (NUL padding produces many).
 *  3. A line longer than VMCOREINFO_LINE_MAX bytes, a line without '=' and a
 *     line with an empty key are skipped and counted in bad_line_count.
 *  4. Of duplicate keys the first wins; the others are counted.
 *
 * Value rules (strict, checked at lookup, since only the caller knows the
 * kind; drgn's parser checks the same way, but we quote key and text):
 *  1. The whole value is consumed: no sign, space or suffix where the kind
 *     has none.  An empty value is "is empty".
 *  2. SYMBOL and plain hex keys: hex digits, an optional 0x (the kernel
 *     writes none, but it cannot be misread), at most 64 bits.
 *  3. SIZE, OFFSET, LENGTH and plain decimal keys: decimal digits only, at
 *     most 64 bits; SIZE in [1, 1 GiB], OFFSET in [0, 1 GiB).
 *  4. NUMBER: an optional '-' and decimal in the int64_t range, or 0x-hex
 *     of at most 16 digits taken as two's complement (arm64 writes
 *     NUMBER(PHYS_OFFSET)=0x..., others %ld).
 * A value breaking these is CRASH_ERR_CORRUPT; the text is quoted with
 * non-printable bytes escaped as \xNN and cut at VALUE_QUOTE_MAX bytes,
 * since dump bytes must never reach a terminal raw.
 */
#include "vmcoreinfo.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Longest line we index; the kernel's longest are well under 200 bytes. */
enum { VMCOREINFO_LINE_MAX = 4096 };
/** How much of a bad value an error message quotes. */
enum { VALUE_QUOTE_MAX = 64 };
/** Lookup keys are built on the stack: "OFFSET(type.member)". */
enum { KEY_MAX = 512 };

static const uint64_t SIZE_MAX_VALUE = UINT64_C(1) << 30;
static const uint64_t OFFSET_LIMIT = UINT64_C(1) << 30;

struct vmcoreinfo_entry {
	const char *key;
	const char *value;
	size_t line;	/* position in the text, to keep the first duplicate */
};

struct vmcoreinfo {
	char *text;	/* the copy, cut into NUL-terminated keys and values */
	struct vmcoreinfo_entry *entries;
	size_t entry_count;
	size_t bad_line_count;
	size_t duplicate_count;
};

static int entry_compare(const void *a, const void *b)
{
	const struct vmcoreinfo_entry *ea = a, *eb = b;
	int r = strcmp(ea->key, eb->key);
	if (r)
		return r;
	return ea->line < eb->line ? -1 : ea->line > eb->line;
}

struct crash_error *vmcoreinfo_parse(const char *text, size_t size,
				     struct vmcoreinfo **ret)
{
	if (size > VMCOREINFO_MAX_SIZE)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "vmcoreinfo: %zu bytes of text exceed the limit of %d",
					  size, VMCOREINFO_MAX_SIZE);
	struct vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return &crash_enomem;
	vi->text = malloc(size + 1);
	if (!vi->text) {
		free(vi);
		return &crash_enomem;
	}
	if (size)
		memcpy(vi->text, text, size);
	vi->text[size] = '\0';

	// At most one entry per two bytes ("k=" is the shortest line).
	size_t capacity = 0;
	for (size_t i = 0; i < size; i++)
		capacity += vi->text[i] == '=';
	vi->entries = calloc(capacity ? capacity : 1, sizeof(*vi->entries));
	if (!vi->entries) {
		vmcoreinfo_destroy(vi);
		return &crash_enomem;
	}

	size_t pos = 0;
	while (pos < size) {
		char *line = vi->text + pos;
		size_t len = 0;
		// rule 1: '\n' or NUL ends a line; text[size] is NUL.
		while (line[len] != '\n' && line[len] != '\0')
			len++;
		pos += len + 1;
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0)
			continue;	// rule 2
		char *eq = memchr(line, '=', len);
		if (len > VMCOREINFO_LINE_MAX || !eq || eq == line) {
			vi->bad_line_count++;	// rule 3
			continue;
		}
		*eq = '\0';
		assert(vi->entry_count < capacity);
		vi->entries[vi->entry_count] = (struct vmcoreinfo_entry){
			.key = line,
			.value = eq + 1,
			.line = vi->entry_count,
		};
		vi->entry_count++;
	}

	qsort(vi->entries, vi->entry_count, sizeof(*vi->entries), entry_compare);
	// rule 4: sorted by (key, line), so the first of a run is the first.
	size_t kept = 0;
	for (size_t i = 0; i < vi->entry_count; i++) {
		if (kept && strcmp(vi->entries[kept - 1].key,
				   vi->entries[i].key) == 0) {
			vi->duplicate_count++;
			continue;
		}
		vi->entries[kept++] = vi->entries[i];
	}
	vi->entry_count = kept;
	*ret = vi;
	return NULL;
}

void vmcoreinfo_destroy(struct vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->entries);
	free(vi->text);
	free(vi);
}

static int key_compare(const void *key, const void *entry)
{
	return strcmp(key, ((const struct vmcoreinfo_entry *)entry)->key);
}

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key)
{
	const struct vmcoreinfo_entry *e =
		bsearch(key, vi->entries, vi->entry_count, sizeof(*e),
			key_compare);
	return e ? e->value : NULL;
}

bool vmcoreinfo_has(const struct vmcoreinfo *vi, const char *key)
{
	return vmcoreinfo_get(vi, key) != NULL;
}

size_t vmcoreinfo_bad_line_count(const struct vmcoreinfo *vi)
{
	return vi->bad_line_count;
}

size_t vmcoreinfo_duplicate_count(const struct vmcoreinfo *vi)
{
	return vi->duplicate_count;
}

/*
 * A CORRUPT error "vmcoreinfo: KEY="VALUE" <what>", the value escaped
 * (\xNN for anything but printable ASCII, '"' and '\\') and cut.
 */
static struct crash_error *value_error(const char *key, const char *value,
				       const char *what)
{
	char quoted[VALUE_QUOTE_MAX * 4 + 4];
	size_t n = 0;
	size_t i;
	for (i = 0; value[i] && i < VALUE_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			quoted[n++] = (char)c;
		else
			n += (size_t)snprintf(quoted + n, sizeof(quoted) - n,
					      "\\x%02x", c);
	}
	if (value[i])
		n += (size_t)snprintf(quoted + n, sizeof(quoted) - n, "...");
	quoted[n] = '\0';
	return crash_error_create(CRASH_ERR_CORRUPT,
				  "vmcoreinfo: %s=\"%s\" %s", key, quoted, what);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse all of @s as digits of @base (10 or 16), nothing else, at least
 * one.  Returns 0 and *ret, -1 for a non-digit, -2 for more than 64 bits.
 */
static int parse_digits(const char *s, unsigned int base, uint64_t *ret)
{
	uint64_t v = 0;
	bool overflow = false;
	if (!*s)
		return -1;
	// A stray character is the more telling error: scan to the end.
	for (; *s; s++) {
		int d = hex_digit(*s);
		if (d < 0 || (unsigned int)d >= base)
			return -1;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			overflow = true;
	}
	if (overflow)
		return -2;
	*ret = v;
	return 0;
}

/* Find @key; NOT_FOUND if absent, CORRUPT if its value is empty. */
static struct crash_error *lookup_value(const struct vmcoreinfo *vi,
					const char *key, const char **ret)
{
	const char *value = vmcoreinfo_get(vi, key);
	if (!value)
		return &crash_not_found;
	if (!*value)
		return value_error(key, value, "is empty");
	*ret = value;
	return NULL;
}

/* Value rule 2. */
static struct crash_error *lookup_hex(const struct vmcoreinfo *vi,
				      const char *key, uint64_t *ret)
{
	const char *value = NULL;
	struct crash_error *err = lookup_value(vi, key, &value);
	if (err)
		return err;
	const char *digits = value;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		digits += 2;
	switch (parse_digits(digits, 16, ret)) {
	case 0:
		return NULL;
	case -2:
		return value_error(key, value, "is out of range (more than 64 bits)");
	default:
		return value_error(key, value, "is not a hexadecimal number");
	}
}

/* Value rule 3: decimal in [min, max]. */
static struct crash_error *lookup_decimal(const struct vmcoreinfo *vi,
					  const char *key, uint64_t min,
					  uint64_t max, uint64_t *ret)
{
	const char *value = NULL;
	struct crash_error *err = lookup_value(vi, key, &value);
	if (err)
		return err;
	uint64_t v = 0;
	int r = parse_digits(value, 10, &v);
	if (r == -1)
		return value_error(key, value, "is not a decimal number");
	if (r == -2 || v < min || v > max) {
		char what[96];
		snprintf(what, sizeof(what),
			 "is out of range (%llu to %llu)",
			 (unsigned long long)min, (unsigned long long)max);
		return value_error(key, value, what);
	}
	*ret = v;
	return NULL;
}

/* Build "PREFIX(a)" or "PREFIX(a.b)"; false if it does not fit. */
static bool make_key(char *buf, const char *prefix, const char *a,
		     const char *b)
{
	int n = b ? snprintf(buf, KEY_MAX, "%s(%s.%s)", prefix, a, b)
		  : snprintf(buf, KEY_MAX, "%s(%s)", prefix, a);
	return n > 0 && n < KEY_MAX;
}

struct crash_error *vmcoreinfo_symbol(const struct vmcoreinfo *vi,
				      const char *name, uint64_t *ret)
{
	char key[KEY_MAX];
	if (!make_key(key, "SYMBOL", name, NULL))
		return &crash_not_found;	// longer than any line we index
	return lookup_hex(vi, key, ret);
}

struct crash_error *vmcoreinfo_size(const struct vmcoreinfo *vi,
				    const char *type, uint64_t *ret)
{
	char key[KEY_MAX];
	if (!make_key(key, "SIZE", type, NULL))
		return &crash_not_found;
	return lookup_decimal(vi, key, 1, SIZE_MAX_VALUE, ret);
}

struct crash_error *vmcoreinfo_offset(const struct vmcoreinfo *vi,
				      const char *type, const char *member,
				      uint64_t *ret)
{
	char key[KEY_MAX];
	if (!make_key(key, "OFFSET", type, member))
		return &crash_not_found;
	return lookup_decimal(vi, key, 0, OFFSET_LIMIT - 1, ret);
}

struct crash_error *vmcoreinfo_length(const struct vmcoreinfo *vi,
				      const char *name, uint64_t *ret)
{
	char key[KEY_MAX];
	if (!make_key(key, "LENGTH", name, NULL))
		return &crash_not_found;
	return lookup_decimal(vi, key, 0, UINT64_MAX, ret);
}

/* Value rule 4. */
struct crash_error *vmcoreinfo_number(const struct vmcoreinfo *vi,
				      const char *name, int64_t *ret)
{
	char key[KEY_MAX];
	if (!make_key(key, "NUMBER", name, NULL))
		return &crash_not_found;
	const char *value = NULL;
	struct crash_error *err = lookup_value(vi, key, &value);
	if (err)
		return err;
	uint64_t v = 0;
	if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
		int r = parse_digits(value + 2, 16, &v);
		if (r == -1)
			return value_error(key, value, "is not a number");
		if (r == -2)
			return value_error(key, value,
					   "is out of range (more than 64 bits)");
		*ret = (int64_t)v;	// two's complement, as the kernel's %lx
		return NULL;
	}
	bool negative = value[0] == '-';
	int r = parse_digits(value + negative, 10, &v);
	if (r == -1)
		return value_error(key, value, "is not a number");
	uint64_t limit = negative ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
	if (r == -2 || v > limit)
		return value_error(key, value,
				   "is out of range (-9223372036854775808 to 9223372036854775807)");
	// -(2^63) has no positive int64_t: negate v - 1, then subtract 1.
	if (!negative)
		*ret = (int64_t)v;
	else
		*ret = v == 0 ? 0 : -(int64_t)(v - 1) - 1;
	return NULL;
}

struct crash_error *vmcoreinfo_hex(const struct vmcoreinfo *vi,
				   const char *key, uint64_t *ret)
{
	return lookup_hex(vi, key, ret);
}

struct crash_error *vmcoreinfo_decimal(const struct vmcoreinfo *vi,
				       const char *key, uint64_t *ret)
{
	return lookup_decimal(vi, key, 0, UINT64_MAX, ret);
}
