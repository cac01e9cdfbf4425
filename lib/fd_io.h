/*
 * fd_io.h - whole reads and writes on a file descriptor.
 *
 * read(2), write(2) and their positioned forms may move fewer bytes than
 * asked (a signal, a pipe, a file system's own limits) and fail with EINTR;
 * every caller that means "all of it" wants the same loop.  Each function
 * retries EINTR, continues short transfers, and returns 0 or an errno value
 * (never sets a crash_error: callers name the file in their own message).
 * Every loop is bounded: each pass moves at least one byte or returns.
 */
#ifndef CRASHKIT_FD_IO_H
#define CRASHKIT_FD_IO_H

#include <stddef.h>
#include <stdint.h>

/**
 * fd_pread_full() - pread() @size bytes at @offset; *@got is what arrived
 * before EOF (less than @size only at EOF; offsets past 2^63 read as EOF).
 */
int fd_pread_full(int fd, void *buf, size_t size, uint64_t offset,
		  size_t *got);

/** fd_read_full() - read() @size bytes; *@got as for fd_pread_full(). */
int fd_read_full(int fd, void *buf, size_t size, size_t *got);

/** fd_write_all() - write() all @size bytes; a write of 0 is EIO. */
int fd_write_all(int fd, const void *buf, size_t size);

/**
 * fd_pwrite_all() - pwrite() all @size bytes at @offset; EFBIG if they
 * would pass 2^63, a write of 0 is EIO.
 */
int fd_pwrite_all(int fd, const void *buf, size_t size, uint64_t offset);

#endif
