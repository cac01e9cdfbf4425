/* cli_size.c - see cli_size.h. */
#include "cli_size.h"

#include <errno.h>
#include <stdlib.h>

bool cli_parse_size(const char *text, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	// strtoull accepts a sign and wraps "-1": refuse both.
	if (errno || end == text || text[0] == '-' || text[0] == '+')
		return false;
	unsigned int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return false;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}
