/*
 * test.h - the unit-test harness: CHECK macros and a closing count.
 *
 * Each tests/unit/<file>_test.c defines `static void test_xxx(void)`
 * functions and a main() that runs them with RUN(test_xxx) and returns
 * test_summary().  Failures print file:line and the expression; the last
 * line is "<name>: N passed, N failed" (make check sums them).
 */
#ifndef CRASHKIT_TEST_H
#define CRASHKIT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/error.h"

static unsigned test_passed, test_failed;
static const char *test_current;

#define CHECK(expr)                                                          \
	do {                                                                 \
		if (expr) {                                                  \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",     \
				__FILE__, __LINE__, test_current, #expr);    \
		}                                                            \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                   \
	do {                                                                 \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);             \
		if (a_ == b_) {                                              \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr,                                      \
				"%s:%d: %s: %s == %s: 0x%" PRIx64            \
				" != 0x%" PRIx64 "\n",                       \
				__FILE__, __LINE__, test_current, #a, #b,    \
				a_, b_);                                     \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		if (a_ && b_ && strcmp(a_, b_) == 0) {                       \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: %s: \"%s\" != \"%s\"\n",     \
				__FILE__, __LINE__, test_current,            \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
		}                                                            \
	} while (0)

/* No error expected; a failure prints its message. */
#define CHECK_OK(call)                                                       \
	do {                                                                 \
		struct crash_error *e_ = (call);                             \
		if (!e_) {                                                   \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: %s: %s: unexpected error: %s\n", \
				__FILE__, __LINE__, test_current, #call,     \
				e_->message);                                \
			crash_error_destroy(e_);                             \
		}                                                            \
	} while (0)

/* An error with this code and exactly this message (drgn_ck_err()). */
#define CHECK_ERR(call, want_code, want_message)                             \
	do {                                                                 \
		struct crash_error *e_ = (call);                             \
		if (e_ && e_->code == (want_code) &&                         \
		    strcmp(e_->message, (want_message)) == 0) {              \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr,                                      \
				"%s:%d: %s: %s: want %s \"%s\", got %s \"%s\"\n", \
				__FILE__, __LINE__, test_current, #call,     \
				crash_error_code_name(want_code),            \
				(want_message),                              \
				e_ ? crash_error_code_name(e_->code) : "ok", \
				e_ ? e_->message : "");                      \
		}                                                            \
		crash_error_destroy(e_);                                     \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		test_current = #fn;                                          \
		fn();                                                        \
	} while (0)

static inline int test_summary(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
