/*
 * error.h - the one error type of crashkit.
 *
 * A lib function that can fail returns a struct crash_error *, NULL on
 * success; its results go through out-parameters named ret (or *_ret), last,
 * which are left untouched on failure.  A function that cannot fail returns
 * its value directly.
 *
 * Codes are few; data is attached (errno and path for OS, the address for
 * FAULT).  The message is one line, lowercase, no final period, and names
 * the file, the field, the value and what was expected.  Context is added on
 * the way up with crash_error_prefix(); only main() prints, once.
 *
 * Running out of memory never allocates: crash_enomem is a static error.
 * Optional lookups return the static crash_not_found, which callers test
 * with crash_error_catch().  Destroying a static error is a no-op.
 */
#ifndef CRASHKIT_ERROR_H
#define CRASHKIT_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum crash_error_code {
	CRASH_ERR_NOMEM = 1,	/* allocation failed */
	CRASH_ERR_OS,		/* a system call failed: errnum, path */
	CRASH_ERR_CORRUPT,	/* the dump contradicts itself or its container */
	CRASH_ERR_UNSUPPORTED,	/* well-formed, not understood */
	CRASH_ERR_NOT_FOUND,	/* an optional item is absent */
	CRASH_ERR_FAULT,	/* an address is not in the dump: address */
};

struct crash_error {
	enum crash_error_code code;
	/* For CRASH_ERR_OS: the errno value. */
	int errnum;
	/* For CRASH_ERR_FAULT: the address that could not be read. */
	uint64_t address;
	/* One line, no trailing newline.  Owned by the error. */
	char *message;
	/* True for the static errors below: never freed. */
	bool is_static;
};

/** The static out-of-memory error. */
extern struct crash_error crash_enomem;
/** The static "not found" error for optional lookups. */
extern struct crash_error crash_not_found;

/**
 * crash_error_create() - a new error with a printf-formatted message.
 * Returns &crash_enomem if the error itself cannot be allocated.
 */
struct crash_error *crash_error_create(enum crash_error_code code,
				       const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** crash_error_vcreate() - crash_error_create() with a va_list. */
struct crash_error *crash_error_vcreate(enum crash_error_code code,
					const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/**
 * crash_error_os() - an OS error: "<message>: <strerror(errnum)>".
 * @path is mentioned by the caller in the message; it is not stored.
 */
struct crash_error *crash_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** crash_error_fault() - a FAULT error for @address. */
struct crash_error *crash_error_fault(uint64_t address, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * crash_error_prefix() - put the outer layer's words in front of @err's
 * message: "<prefix>: <message>".  Returns @err (possibly reallocated) or,
 * for a static error other than crash_enomem, a new heap copy carrying the
 * same code.  Never returns NULL when @err is not NULL; returns NULL for a
 * NULL @err so it can wrap a call: return crash_error_prefix(f(), "...").
 */
struct crash_error *crash_error_prefix(struct crash_error *err,
				       const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** crash_error_destroy() - free @err; NULL and static errors are ignored. */
void crash_error_destroy(struct crash_error *err);

/**
 * crash_error_catch() - if *@err has @code, destroy it, set *@err to NULL
 * and return true; otherwise return false and leave it.
 */
bool crash_error_catch(struct crash_error **err, enum crash_error_code code);

/** crash_error_code_name() - "corrupt", "fault", ... for messages and tests. */
const char *crash_error_code_name(enum crash_error_code code);

#endif
