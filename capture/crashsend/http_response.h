/*
 * http_response.h - parse the head of an HTTP/1.x response (status line
 * and header fields) from untrusted bytes.
 *
 * The parser never reads past the length it is given, never allocates and
 * keeps no state between calls: give it the bytes received so far; it says
 * whether the head is complete, needs more bytes, or is malformed.
 */
#ifndef CRASHKIT_HTTP_RESPONSE_H
#define CRASHKIT_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A longer head is refused: no real collector sends one. */
#define HTTP_HEAD_MAX 16384

enum http_parse_result {
	HTTP_PARSE_OK,		/* a complete head: *out is filled in */
	HTTP_PARSE_MORE,	/* the head is not complete yet */
	HTTP_PARSE_BAD,		/* not an HTTP/1.x response head: err says why */
};

struct http_response {
	int major, minor;		/* HTTP/major.minor */
	int status;			/* 100-999 */
	char reason[128];		/* the reason phrase, printable ASCII, truncated */
	size_t head_len;		/* bytes of the head, blank line included */
	int64_t content_length;		/* -1 when absent */
	bool chunked;			/* Transfer-Encoding ends in chunked */
	bool close;			/* Connection: close */
};

/*
 * Parse the response head at the start of buf[0..len).  On HTTP_PARSE_BAD
 * a one-line reason goes to err (errlen bytes, always NUL-terminated when
 * errlen > 0).
 */
enum http_parse_result http_response_parse(const uint8_t *buf, size_t len,
					   struct http_response *out,
					   char *err, size_t errlen);

#endif
