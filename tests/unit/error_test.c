/*
 * error_test.c - the error type: constructors, prefixing, the static
 * errors and crash_error_catch().
 */
#include <errno.h>

#include "test.h"

static void test_create(void)
{
	struct crash_error *err =
		crash_error_create(CRASH_ERR_CORRUPT, "field %s is %d", "x", 42);
	CHECK(err != NULL);
	CHECK(!err->is_static);
	CHECK_EQ_U64(err->code, CRASH_ERR_CORRUPT);
	CHECK_STR(err->message, "field x is 42");
	crash_error_destroy(err);

	// NOMEM is always the static error.
	CHECK(crash_error_create(CRASH_ERR_NOMEM, "ignored") == &crash_enomem);
}

static void test_os(void)
{
	struct crash_error *err = crash_error_os(ENOENT, "open %s", "/nope");
	CHECK_EQ_U64(err->code, CRASH_ERR_OS);
	CHECK_EQ_U64(err->errnum, ENOENT);
	CHECK_STR(err->message, "open /nope: No such file or directory");
	crash_error_destroy(err);
}

static void test_fault(void)
{
	struct crash_error *err =
		crash_error_fault(0x1000, "address 0x%x missing", 0x1000);
	CHECK_EQ_U64(err->code, CRASH_ERR_FAULT);
	CHECK_EQ_U64(err->address, 0x1000);
	CHECK_STR(err->message, "address 0x1000 missing");
	crash_error_destroy(err);
}

static void test_prefix(void)
{
	CHECK(crash_error_prefix(NULL, "outer") == NULL);

	struct crash_error *err =
		crash_error_create(CRASH_ERR_UNSUPPORTED, "inner");
	err = crash_error_prefix(err, "middle %d", 2);
	err = crash_error_prefix(err, "outer");
	CHECK_ERR(err, CRASH_ERR_UNSUPPORTED, "outer: middle 2: inner");

	// A prefixed fault keeps its address.
	err = crash_error_prefix(crash_error_fault(0xabc, "gone"), "reading");
	CHECK_EQ_U64(err->address, 0xabc);
	CHECK_ERR(err, CRASH_ERR_FAULT, "reading: gone");

	// The static not-found error becomes a heap copy; the static stays.
	err = crash_error_prefix(&crash_not_found, "SYMBOL(prb)");
	CHECK(err != &crash_not_found);
	CHECK(!err->is_static);
	CHECK_ERR(err, CRASH_ERR_NOT_FOUND, "SYMBOL(prb): not found");
	CHECK_STR(crash_not_found.message, "not found");

	// Out of memory is never copied or changed.
	CHECK(crash_error_prefix(&crash_enomem, "x") == &crash_enomem);
	CHECK_STR(crash_enomem.message, "out of memory");
}

static void test_static(void)
{
	CHECK(crash_enomem.is_static);
	CHECK_EQ_U64(crash_enomem.code, CRASH_ERR_NOMEM);
	CHECK_STR(crash_enomem.message, "out of memory");
	CHECK(crash_not_found.is_static);
	CHECK_EQ_U64(crash_not_found.code, CRASH_ERR_NOT_FOUND);
	CHECK_STR(crash_not_found.message, "not found");
	// Destroying statics and NULL is a no-op.
	crash_error_destroy(&crash_enomem);
	crash_error_destroy(&crash_not_found);
	crash_error_destroy(NULL);
	CHECK_STR(crash_enomem.message, "out of memory");
}

static void test_catch(void)
{
	struct crash_error *err = NULL;
	CHECK(!crash_error_catch(&err, CRASH_ERR_NOT_FOUND));

	err = &crash_not_found;
	CHECK(crash_error_catch(&err, CRASH_ERR_NOT_FOUND));
	CHECK(err == NULL);

	err = crash_error_create(CRASH_ERR_CORRUPT, "bad");
	CHECK(!crash_error_catch(&err, CRASH_ERR_NOT_FOUND));
	CHECK(err != NULL);
	CHECK(crash_error_catch(&err, CRASH_ERR_CORRUPT));
	CHECK(err == NULL);
}

static void test_code_names(void)
{
	CHECK_STR(crash_error_code_name(CRASH_ERR_NOMEM), "nomem");
	CHECK_STR(crash_error_code_name(CRASH_ERR_OS), "os");
	CHECK_STR(crash_error_code_name(CRASH_ERR_CORRUPT), "corrupt");
	CHECK_STR(crash_error_code_name(CRASH_ERR_UNSUPPORTED), "unsupported");
	CHECK_STR(crash_error_code_name(CRASH_ERR_NOT_FOUND), "not found");
	CHECK_STR(crash_error_code_name(CRASH_ERR_FAULT), "fault");
	CHECK_STR(crash_error_code_name((enum crash_error_code)99), "unknown");
}

int main(void)
{
	RUN(test_create);
	RUN(test_os);
	RUN(test_fault);
	RUN(test_prefix);
	RUN(test_static);
	RUN(test_catch);
	RUN(test_code_names);
	return test_summary("error_test");
}
