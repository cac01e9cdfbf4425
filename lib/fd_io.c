/*
 * fd_io.c - whole reads and writes on a file descriptor (fd_io.h).
 *
 * One read loop and one write loop; @at says whether they use the file
 * position (read/write) or an offset of their own (pread/pwrite).
 */
#include "fd_io.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

static int read_loop(int fd, void *buf, size_t size, bool at, uint64_t offset,
		     size_t *got)
{
	size_t done = 0;
	while (done < size) {
		if (at && offset + done > (uint64_t)INT64_MAX)
			break;	// beyond any file: reads as EOF
		ssize_t r = at ? pread(fd, (uint8_t *)buf + done, size - done,
				       (off_t)(offset + done))
			       : read(fd, (uint8_t *)buf + done, size - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

static int write_loop(int fd, const void *buf, size_t size, bool at,
		      uint64_t offset)
{
	const uint8_t *p = buf;
	while (size > 0) {
		if (at && offset > (uint64_t)INT64_MAX - size)
			return EFBIG;
		ssize_t n = at ? pwrite(fd, p, size, (off_t)offset)
			       : write(fd, p, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int fd_pread_full(int fd, void *buf, size_t size, uint64_t offset,
		  size_t *got)
{
	return read_loop(fd, buf, size, true, offset, got);
}

int fd_read_full(int fd, void *buf, size_t size, size_t *got)
{
	return read_loop(fd, buf, size, false, 0, got);
}

int fd_write_all(int fd, const void *buf, size_t size)
{
	return write_loop(fd, buf, size, false, 0);
}

int fd_pwrite_all(int fd, const void *buf, size_t size, uint64_t offset)
{
	return write_loop(fd, buf, size, true, offset);
}
