/*
 * error.c - the one error type (see error.h for the convention).
 *
 * Structure: a heap error is one struct crash_error plus one message
 * allocated by vasprintf(); two static errors, crash_enomem and
 * crash_not_found, carry fixed messages and are never freed.
 *
 * Rules this file keeps:
 *  1. Out of memory never allocates: every constructor falls back to
 *     &crash_enomem when it cannot build the error it was asked for.
 *  2. crash_error_prefix() never loses the code: if it cannot allocate the
 *     longer message it returns the error unchanged (without the prefix),
 *     because the inner message is the more precise one.
 *  3. Destroying NULL or a static error does nothing.
 */
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct crash_error crash_enomem = {
	.code = CRASH_ERR_NOMEM,
	.message = (char *)"out of memory",
	.is_static = true,
};

struct crash_error crash_not_found = {
	.code = CRASH_ERR_NOT_FOUND,
	.message = (char *)"not found",
	.is_static = true,
};

/* Wrap an already formatted, heap-allocated @message; takes ownership. */
static struct crash_error *error_from_message(enum crash_error_code code,
					      char *message)
{
	if (!message)
		return &crash_enomem;
	struct crash_error *err = calloc(1, sizeof(*err));
	if (!err) {
		free(message);
		return &crash_enomem;
	}
	err->code = code;
	err->message = message;
	return err;
}

struct crash_error *crash_error_vcreate(enum crash_error_code code,
					const char *fmt, va_list ap)
{
	if (code == CRASH_ERR_NOMEM)
		return &crash_enomem;
	char *message;
	if (vasprintf(&message, fmt, ap) < 0)
		return &crash_enomem;
	return error_from_message(code, message);
}

struct crash_error *crash_error_create(enum crash_error_code code,
				       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct crash_error *err = crash_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

struct crash_error *crash_error_os(int errnum, const char *fmt, ...)
{
	char *what;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &crash_enomem;
	// GNU strerror_r: thread-safe, returns the text (maybe not in buf).
	char buf[128];
	const char *reason = strerror_r(errnum, buf, sizeof(buf));
	char *message;
	n = asprintf(&message, "%s: %s", what, reason);
	free(what);
	if (n < 0)
		return &crash_enomem;
	struct crash_error *err = error_from_message(CRASH_ERR_OS, message);
	if (!err->is_static)
		err->errnum = errnum;
	return err;
}

struct crash_error *crash_error_fault(uint64_t address, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct crash_error *err = crash_error_vcreate(CRASH_ERR_FAULT, fmt, ap);
	va_end(ap);
	if (!err->is_static)
		err->address = address;
	return err;
}

struct crash_error *crash_error_prefix(struct crash_error *err,
				       const char *fmt, ...)
{
	if (!err || err == &crash_enomem)
		return err;
	char *prefix;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;	// rule 2
	char *message;
	n = asprintf(&message, "%s: %s", prefix, err->message);
	free(prefix);
	if (n < 0)
		return err;	// rule 2
	if (err->is_static) {
		struct crash_error *copy = calloc(1, sizeof(*copy));
		if (!copy) {
			free(message);
			return err;	// rule 2
		}
		*copy = *err;
		copy->is_static = false;
		copy->message = message;
		return copy;
	}
	free(err->message);
	err->message = message;
	return err;
}

void crash_error_destroy(struct crash_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}

bool crash_error_catch(struct crash_error **err, enum crash_error_code code)
{
	if (!*err || (*err)->code != code)
		return false;
	crash_error_destroy(*err);
	*err = NULL;
	return true;
}

const char *crash_error_code_name(enum crash_error_code code)
{
	switch (code) {
	case CRASH_ERR_NOMEM: return "nomem";
	case CRASH_ERR_OS: return "os";
	case CRASH_ERR_CORRUPT: return "corrupt";
	case CRASH_ERR_UNSUPPORTED: return "unsupported";
	case CRASH_ERR_NOT_FOUND: return "not found";
	case CRASH_ERR_FAULT: return "fault";
	}
	return "unknown";
}
