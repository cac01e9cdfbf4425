/*
 * http_response.c - the HTTP/1.x response head parser (see the header).
 *
 * Grammar accepted (RFC 9112, leniently where real servers are lenient):
 *   status-line = "HTTP/" DIGIT "." DIGIT SP 3DIGIT [ SP reason ] EOL
 *   field-line  = token ":" OWS value OWS EOL
 *   head        = status-line *field-line EOL
 * with EOL = CRLF or a bare LF.  Obsolete line folding, a field name with
 * blanks, a control byte in a value, a bad or repeated-and-different
 * Content-Length: malformed.
 */
#include "http_response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum http_parse_result bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum http_parse_result bad(char *err, size_t errlen, const char *fmt, ...)
{
	if (errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return HTTP_PARSE_BAD;
}

static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Does buf[0..len) equal the lowercase word w, ignoring case? */
static bool eq_nocase(const uint8_t *buf, size_t len, const char *w)
{
	size_t n = strlen(w);
	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(buf[i]) != (uint8_t)w[i])
			return false;
	return true;
}

/* Does buf[0..len) end with the word w (after a comma, blank or start)? */
static bool ends_with_token(const uint8_t *buf, size_t len, const char *w)
{
	size_t n = strlen(w);
	if (len < n || !eq_nocase(buf + len - n, n, w))
		return false;
	return len == n || buf[len - n - 1] == ',' || buf[len - n - 1] == ' ' ||
	       buf[len - n - 1] == '\t';
}

/* Find the end of the line starting at pos: the index of its LF, or len. */
static size_t line_end(const uint8_t *buf, size_t len, size_t pos)
{
	const uint8_t *lf = memchr(buf + pos, '\n', len - pos);
	return lf ? (size_t)(lf - buf) : len;
}

enum http_parse_result http_response_parse(const uint8_t *buf, size_t len,
					   struct http_response *out,
					   char *err, size_t errlen)
{
	struct http_response r;
	memset(&r, 0, sizeof(r));
	r.content_length = -1;
	if (errlen)
		err[0] = '\0';

	/* Reject early what can never become a status line. */
	static const char proto[] = "HTTP/";
	size_t cmp = len < 5 ? len : 5;
	if (memcmp(buf, proto, cmp) != 0)
		return bad(err, errlen, "the answer does not start with HTTP/");

	size_t eol = line_end(buf, len, 0);
	if (eol == len)
		return len >= HTTP_HEAD_MAX ? bad(err, errlen, "status line longer than %d bytes", HTTP_HEAD_MAX)
					    : HTTP_PARSE_MORE;
	size_t sl_len = eol;
	if (sl_len && buf[sl_len - 1] == '\r')
		sl_len--;
	/* "HTTP/1.1 200" is 12 bytes. */
	if (sl_len < 12 || buf[5] < '0' || buf[5] > '9' || buf[6] != '.' ||
	    buf[7] < '0' || buf[7] > '9' || buf[8] != ' ')
		return bad(err, errlen, "malformed status line");
	r.major = buf[5] - '0';
	r.minor = buf[7] - '0';
	if (r.major != 1)
		return bad(err, errlen, "HTTP/%d.%d is not HTTP/1.x", r.major, r.minor);
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return bad(err, errlen, "malformed status code");
		r.status = r.status * 10 + (buf[i] - '0');
	}
	if (r.status < 100)
		return bad(err, errlen, "status code %d out of range", r.status);
	if (sl_len > 12) {
		if (buf[12] != ' ')
			return bad(err, errlen, "malformed status line after the code");
		size_t o = 0;
		for (size_t i = 13; i < sl_len && o + 1 < sizeof(r.reason); i++)
			r.reason[o++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? (char)buf[i] : '?';
		r.reason[o] = '\0';
	}

	size_t pos = eol + 1;
	for (;;) {
		if (pos >= HTTP_HEAD_MAX)
			return bad(err, errlen, "response head longer than %d bytes", HTTP_HEAD_MAX);
		eol = line_end(buf, len, pos);
		if (eol == len)
			return len >= HTTP_HEAD_MAX ? bad(err, errlen, "response head longer than %d bytes", HTTP_HEAD_MAX)
						    : HTTP_PARSE_MORE;
		size_t end = eol;
		if (end > pos && buf[end - 1] == '\r')
			end--;
		if (end == pos) {	/* the blank line */
			r.head_len = eol + 1;
			break;
		}
		if (buf[pos] == ' ' || buf[pos] == '\t')
			return bad(err, errlen, "folded header line");
		size_t colon = pos;
		while (colon < end && is_tchar(buf[colon]))
			colon++;
		if (colon == pos || colon == end || buf[colon] != ':')
			return bad(err, errlen, "malformed header line");
		size_t vs = colon + 1, ve = end;
		while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
			vs++;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		for (size_t i = vs; i < ve; i++)
			if ((buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f)
				return bad(err, errlen, "control byte in a header value");
		const uint8_t *name = buf + pos, *val = buf + vs;
		size_t nlen = colon - pos, vlen = ve - vs;
		if (eq_nocase(name, nlen, "content-length")) {
			if (!vlen || vlen > 18)
				return bad(err, errlen, "bad Content-Length");
			int64_t v = 0;
			for (size_t i = 0; i < vlen; i++) {
				if (val[i] < '0' || val[i] > '9')
					return bad(err, errlen, "bad Content-Length");
				v = v * 10 + (val[i] - '0');
			}
			if (r.content_length >= 0 && r.content_length != v)
				return bad(err, errlen, "two different Content-Length values");
			r.content_length = v;
		} else if (eq_nocase(name, nlen, "transfer-encoding")) {
			r.chunked = ends_with_token(val, vlen, "chunked");
		} else if (eq_nocase(name, nlen, "connection")) {
			if (ends_with_token(val, vlen, "close") || eq_nocase(val, vlen, "close"))
				r.close = true;
		}
		pos = eol + 1;
	}
	*out = r;
	return HTTP_PARSE_OK;
}
