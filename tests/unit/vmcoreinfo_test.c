/*
 * vmcoreinfo_test.c - splitting VMCOREINFO text and typed lookups: every
 * malformed value asserts its code and exact message.
 */
#include "../../lib/vmcoreinfo.h"

#include "test.h"

static struct vmcoreinfo *parse(const char *text, size_t size)
{
	struct vmcoreinfo *vi = NULL;
	struct crash_error *err = vmcoreinfo_parse(text, size, &vi);
	CHECK(err == NULL);
	if (err) {
		fprintf(stderr, "%s\n", err->message);
		crash_error_destroy(err);
	}
	return vi;
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1)

static void test_lines(void)
{
	// CRLF, a NUL inside, an empty line, no final newline.
	static const char text[] =
		"OSRELEASE=6.1.0\r\n"
		"PAGESIZE=4096\n"
		"\n"
		"SYMBOL(prb)=ffffffff82a1c0e0\0"
		"SIZE(printk_info)=88\0\0\0"
		"CRASHTIME=1700000000";
	struct vmcoreinfo *vi = PARSE(text);
	if (!vi)
		return;
	CHECK_STR(vmcoreinfo_get(vi, "OSRELEASE"), "6.1.0");
	CHECK_STR(vmcoreinfo_get(vi, "PAGESIZE"), "4096");
	CHECK_STR(vmcoreinfo_get(vi, "CRASHTIME"), "1700000000");
	CHECK(vmcoreinfo_has(vi, "SYMBOL(prb)"));
	CHECK(!vmcoreinfo_has(vi, "SYMBOL(log_buf)"));
	CHECK(vmcoreinfo_get(vi, "") == NULL);
	uint64_t v = 0;
	CHECK_OK(vmcoreinfo_symbol(vi, "prb", &v));
	CHECK_EQ_U64(v, 0xffffffff82a1c0e0);
	CHECK_OK(vmcoreinfo_size(vi, "printk_info", &v));
	CHECK_EQ_U64(v, 88);
	CHECK_OK(vmcoreinfo_decimal(vi, "CRASHTIME", &v));
	CHECK_EQ_U64(v, 1700000000);
	CHECK_EQ_U64(vmcoreinfo_bad_line_count(vi), 0);
	CHECK_EQ_U64(vmcoreinfo_duplicate_count(vi), 0);
	vmcoreinfo_destroy(vi);
}

static void test_bad_lines_and_duplicates(void)
{
	char text[10000];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "no equals sign\n=empty key\nKEY=first\n");
	// A line of 4097 bytes is skipped; one of exactly 4096 is kept.
	n += (size_t)snprintf(text + n, sizeof(text) - n, "LONG=");
	memset(text + n, 'a', 4091);
	n += 4091;
	text[n++] = '\n';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "LONGER=");
	memset(text + n, 'b', 4090);
	n += 4090;
	text[n++] = '\n';
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "KEY=second\nKEY=third\nA=1\nA=2\n");
	struct vmcoreinfo *vi = parse(text, n);
	if (!vi)
		return;
	CHECK_EQ_U64(vmcoreinfo_bad_line_count(vi), 3);
	CHECK_EQ_U64(vmcoreinfo_duplicate_count(vi), 3);
	CHECK_STR(vmcoreinfo_get(vi, "KEY"), "first");
	CHECK_STR(vmcoreinfo_get(vi, "A"), "1");
	CHECK(vmcoreinfo_has(vi, "LONG"));
	CHECK_EQ_U64(strlen(vmcoreinfo_get(vi, "LONG")), 4091);
	CHECK(!vmcoreinfo_has(vi, "LONGER"));
	vmcoreinfo_destroy(vi);
}

static void test_empty_and_too_big(void)
{
	struct vmcoreinfo *vi = parse("", 0);
	if (vi) {
		CHECK(!vmcoreinfo_has(vi, "OSRELEASE"));
		uint64_t v;
		CHECK(vmcoreinfo_symbol(vi, "prb", &v) == &crash_not_found);
		vmcoreinfo_destroy(vi);
	}
	vi = PARSE("\0\0\0\0");
	if (vi) {
		CHECK_EQ_U64(vmcoreinfo_bad_line_count(vi), 0);
		vmcoreinfo_destroy(vi);
	}
	vi = NULL;
	CHECK_ERR(vmcoreinfo_parse("x", VMCOREINFO_MAX_SIZE + 1, &vi),
		  CRASH_ERR_CORRUPT,
		  "vmcoreinfo: 1048577 bytes of text exceed the limit of 1048576");
	CHECK(vi == NULL);
	vmcoreinfo_destroy(NULL);
}

static void test_symbol(void)
{
	struct vmcoreinfo *vi = PARSE(
		"SYMBOL(a)=ffffffff81000000\n"
		"SYMBOL(b)=0xABCdef\n"
		"SYMBOL(prb)=\n"
		"SYMBOL(c)=0x\n"
		"SYMBOL(d)=12g4\n"
		"SYMBOL(e)=10000000000000000\n"
		"SYMBOL(f)= 1\n"
		"SYMBOL(g)=\x1b[31m\n"
		"SYMBOL(h)=ffffffffffffffff\n");
	if (!vi)
		return;
	uint64_t v = 7;
	CHECK_OK(vmcoreinfo_symbol(vi, "a", &v));
	CHECK_EQ_U64(v, 0xffffffff81000000);
	CHECK_OK(vmcoreinfo_symbol(vi, "b", &v));
	CHECK_EQ_U64(v, 0xabcdef);
	CHECK_OK(vmcoreinfo_symbol(vi, "h", &v));
	CHECK_EQ_U64(v, UINT64_MAX);
	v = 7;
	CHECK_ERR(vmcoreinfo_symbol(vi, "prb", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(prb)=\"\" is empty");
	CHECK_ERR(vmcoreinfo_symbol(vi, "c", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(c)=\"0x\" is not a hexadecimal number");
	CHECK_ERR(vmcoreinfo_symbol(vi, "d", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(d)=\"12g4\" is not a hexadecimal number");
	CHECK_ERR(vmcoreinfo_symbol(vi, "e", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(e)=\"10000000000000000\" is out of range (more than 64 bits)");
	CHECK_ERR(vmcoreinfo_symbol(vi, "f", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(f)=\" 1\" is not a hexadecimal number");
	// Terminal escapes in a hostile dump are quoted as \xNN.
	CHECK_ERR(vmcoreinfo_symbol(vi, "g", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SYMBOL(g)=\"\\x1b[31m\" is not a hexadecimal number");
	CHECK(vmcoreinfo_symbol(vi, "missing", &v) == &crash_not_found);
	CHECK_EQ_U64(v, 7);	// untouched on failure
	vmcoreinfo_destroy(vi);
}

static void test_size_offset_length(void)
{
	struct vmcoreinfo *vi = PARSE(
		"SIZE(printk_info)=8x8\n"
		"SIZE(zero)=0\n"
		"SIZE(max)=1073741824\n"
		"SIZE(big)=1073741825\n"
		"SIZE(neg)=-8\n"
		"SIZE(hex)=0x10\n"
		"OFFSET(printk_info.seq)=0\n"
		"OFFSET(printk_info.text_len)=16\n"
		"OFFSET(x.y)=1073741824\n"
		"OFFSET(x.z)=99999999999999999999\n"
		"LENGTH(printk_rb_static)=18446744073709551615\n"
		"LENGTH(over)=18446744073709551616\n"
		"LENGTH(plus)=+1\n");
	if (!vi)
		return;
	uint64_t v = 0;
	CHECK_ERR(vmcoreinfo_size(vi, "printk_info", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(printk_info)=\"8x8\" is not a decimal number");
	CHECK_ERR(vmcoreinfo_size(vi, "zero", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(zero)=\"0\" is out of range (1 to 1073741824)");
	CHECK_OK(vmcoreinfo_size(vi, "max", &v));
	CHECK_EQ_U64(v, 1073741824);
	CHECK_ERR(vmcoreinfo_size(vi, "big", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(big)=\"1073741825\" is out of range (1 to 1073741824)");
	CHECK_ERR(vmcoreinfo_size(vi, "neg", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(neg)=\"-8\" is not a decimal number");
	CHECK_ERR(vmcoreinfo_size(vi, "hex", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(hex)=\"0x10\" is not a decimal number");
	CHECK(vmcoreinfo_size(vi, "absent", &v) == &crash_not_found);

	CHECK_OK(vmcoreinfo_offset(vi, "printk_info", "seq", &v));
	CHECK_EQ_U64(v, 0);
	CHECK_OK(vmcoreinfo_offset(vi, "printk_info", "text_len", &v));
	CHECK_EQ_U64(v, 16);
	CHECK_ERR(vmcoreinfo_offset(vi, "x", "y", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: OFFSET(x.y)=\"1073741824\" is out of range (0 to 1073741823)");
	CHECK_ERR(vmcoreinfo_offset(vi, "x", "z", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: OFFSET(x.z)=\"99999999999999999999\" is out of range (0 to 1073741823)");
	CHECK(vmcoreinfo_offset(vi, "printk_info", "absent", &v) ==
	      &crash_not_found);

	CHECK_OK(vmcoreinfo_length(vi, "printk_rb_static", &v));
	CHECK_EQ_U64(v, UINT64_MAX);
	CHECK_ERR(vmcoreinfo_length(vi, "over", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: LENGTH(over)=\"18446744073709551616\" is out of range (0 to 18446744073709551615)");
	CHECK_ERR(vmcoreinfo_length(vi, "plus", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: LENGTH(plus)=\"+1\" is not a decimal number");
	vmcoreinfo_destroy(vi);
}

static void test_number(void)
{
	struct vmcoreinfo *vi = PARSE(
		"NUMBER(a)=42\n"
		"NUMBER(b)=-1\n"
		"NUMBER(PHYS_OFFSET)=0xffff000000000000\n"
		"NUMBER(min)=-9223372036854775808\n"
		"NUMBER(max)=9223372036854775807\n"
		"NUMBER(phys_base)=0x\n"
		"NUMBER(over)=9223372036854775808\n"
		"NUMBER(under)=-9223372036854775809\n"
		"NUMBER(minus)=-\n"
		"NUMBER(neghex)=-0x10\n"
		"NUMBER(hexover)=0x10000000000000000\n"
		"NUMBER(empty)=\n"
		"NUMBER(space)=1 \n");
	if (!vi)
		return;
	int64_t v = 0;
	CHECK_OK(vmcoreinfo_number(vi, "a", &v));
	CHECK_EQ_U64(v, 42);
	CHECK_OK(vmcoreinfo_number(vi, "b", &v));
	CHECK(v == -1);
	CHECK_OK(vmcoreinfo_number(vi, "PHYS_OFFSET", &v));
	CHECK_EQ_U64(v, 0xffff000000000000);
	CHECK_OK(vmcoreinfo_number(vi, "min", &v));
	CHECK(v == INT64_MIN);
	CHECK_OK(vmcoreinfo_number(vi, "max", &v));
	CHECK(v == INT64_MAX);
	CHECK_ERR(vmcoreinfo_number(vi, "phys_base", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(phys_base)=\"0x\" is not a number");
	CHECK_ERR(vmcoreinfo_number(vi, "over", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(over)=\"9223372036854775808\" is out of range (-9223372036854775808 to 9223372036854775807)");
	CHECK_ERR(vmcoreinfo_number(vi, "under", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(under)=\"-9223372036854775809\" is out of range (-9223372036854775808 to 9223372036854775807)");
	CHECK_ERR(vmcoreinfo_number(vi, "minus", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(minus)=\"-\" is not a number");
	CHECK_ERR(vmcoreinfo_number(vi, "neghex", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(neghex)=\"-0x10\" is not a number");
	CHECK_ERR(vmcoreinfo_number(vi, "hexover", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(hexover)=\"0x10000000000000000\" is out of range (more than 64 bits)");
	CHECK_ERR(vmcoreinfo_number(vi, "empty", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(empty)=\"\" is empty");
	CHECK_ERR(vmcoreinfo_number(vi, "space", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: NUMBER(space)=\"1 \" is not a number");
	CHECK(vmcoreinfo_number(vi, "absent", &v) == &crash_not_found);
	vmcoreinfo_destroy(vi);
}

static void test_plain_keys(void)
{
	struct vmcoreinfo *vi = PARSE(
		"KERNELOFFSET=1c000000\n"
		"PAGESIZE=4096\n"
		"BADHEX=xyz\n"
		"BADDEC=4k\n");
	if (!vi)
		return;
	uint64_t v = 0;
	CHECK_OK(vmcoreinfo_hex(vi, "KERNELOFFSET", &v));
	CHECK_EQ_U64(v, 0x1c000000);
	CHECK_OK(vmcoreinfo_decimal(vi, "PAGESIZE", &v));
	CHECK_EQ_U64(v, 4096);
	CHECK_ERR(vmcoreinfo_hex(vi, "BADHEX", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: BADHEX=\"xyz\" is not a hexadecimal number");
	CHECK_ERR(vmcoreinfo_decimal(vi, "BADDEC", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: BADDEC=\"4k\" is not a decimal number");
	CHECK(vmcoreinfo_hex(vi, "KERNELOFFPHYS", &v) == &crash_not_found);
	CHECK(vmcoreinfo_decimal(vi, "CRASHTIME", &v) == &crash_not_found);
	vmcoreinfo_destroy(vi);
}

static void test_long_value_quote(void)
{
	char text[200];
	int n = snprintf(text, sizeof(text), "SIZE(t)=");
	memset(text + n, '9', 70);
	text[n + 70] = 'z';
	struct vmcoreinfo *vi = parse(text, (size_t)n + 71);
	if (!vi)
		return;
	uint64_t v;
	CHECK_ERR(vmcoreinfo_size(vi, "t", &v), CRASH_ERR_CORRUPT,
		  "vmcoreinfo: SIZE(t)=\"9999999999999999999999999999999999999999999999999999999999999999...\" is not a decimal number");
	vmcoreinfo_destroy(vi);
}

int main(void)
{
	RUN(test_lines);
	RUN(test_bad_lines_and_duplicates);
	RUN(test_empty_and_too_big);
	RUN(test_symbol);
	RUN(test_size_offset_length);
	RUN(test_number);
	RUN(test_plain_keys);
	RUN(test_long_value_quote);
	return test_summary("vmcoreinfo_test");
}
