/*
 * fuzz_http_response.c - libFuzzer harness for crashsend's HTTP response
 * head parser: any bytes, any prefix length; the parser must not read out
 * of bounds and its result must be consistent with its input.
 */
#include "../../capture/crashsend/http_response.c"

#include <assert.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct http_response r;
	char err[96];
	enum http_parse_result pr = http_response_parse(buf, size, &r, err, sizeof(err));
	if (pr == HTTP_PARSE_OK) {
		assert(r.head_len <= size);
		assert(r.status >= 100 && r.status <= 999);
		assert(r.major == 1);
		assert(memchr(r.reason, '\0', sizeof(r.reason)) != NULL);
		/* A longer buffer with the same head parses to the same head. */
		struct http_response r2;
		assert(http_response_parse(buf, r.head_len, &r2, err, sizeof(err)) == HTTP_PARSE_OK);
		assert(r2.status == r.status && r2.head_len == r.head_len);
	} else if (pr == HTTP_PARSE_BAD) {
		assert(memchr(err, '\0', sizeof(err)) != NULL && err[0]);
	}
	/* Every prefix: never out of bounds (checked by ASan). */
	if (size < 512)
		for (size_t n = 0; n < size; n++)
			(void)http_response_parse(buf, n, &r, err, sizeof(err));
	free(buf);
	return 0;
}
