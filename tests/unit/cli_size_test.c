/* Unit tests for lib/cli_size.c. */
#include "../../lib/cli_size.h"
#include "test.h"

static void test_sizes(void)
{
	uint64_t v = 7;
	CHECK(cli_parse_size("4096", &v) && v == 4096);
	CHECK(cli_parse_size("64k", &v) && v == 64 << 10);
	CHECK(cli_parse_size("64M", &v) && v == 64 << 20);
	CHECK(cli_parse_size("2G", &v) && v == (uint64_t)2 << 30);
	CHECK(cli_parse_size("0", &v) && v == 0);
	v = 7;
	CHECK(!cli_parse_size("", &v));
	CHECK(!cli_parse_size("-1", &v));
	CHECK(!cli_parse_size("+1", &v));
	CHECK(!cli_parse_size("12x", &v));
	CHECK(!cli_parse_size("1MB", &v));
	CHECK(!cli_parse_size("18446744073709551616", &v));
	CHECK(!cli_parse_size("17179869184G", &v));
	CHECK(v == 7);
}

int main(void)
{
	RUN(test_sizes);
	return test_summary("cli_size");
}
