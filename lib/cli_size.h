/*
 * cli_size.h - sizes given on the command line ("64M", "2G", "4096").
 *
 * Shared by crashdmesg and crashcopy so that --max-buffer, --max-memory and
 * friends accept the same spellings.  Not for dump data: this parses text
 * the operator typed.
 */
#ifndef CRASHKIT_CLI_SIZE_H
#define CRASHKIT_CLI_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * cli_parse_size() - a decimal number with an optional k/K, m/M or g/G
 * suffix (binary units).  Returns false, leaving *@ret alone, for anything
 * else: a sign, trailing text, an empty string, or a value past 2^64.
 */
bool cli_parse_size(const char *text, uint64_t *ret);

#endif
