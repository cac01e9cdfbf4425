/*
 * fd_io_test.c - lib/fd_io.c: whole transfers through a pipe that delivers
 * in pieces (short reads), EOF before the size asked, positioned reads and
 * writes, the 2^63 bounds (EOF for reads, EFBIG for writes), and errors
 * passed back as errno values (/dev/full, a closed pipe, a bad fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/fd_io.h"
#include "test.h"

/* A pipe whose writer sends @len bytes of @buf in 7-byte pieces. */
static int piecemeal_pipe(const uint8_t *buf, size_t len, pid_t *pid)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(p[0]);
		for (size_t off = 0; off < len; off += 7) {
			size_t n = len - off < 7 ? len - off : 7;
			if (write(p[1], buf + off, n) != (ssize_t)n)
				_exit(1);
			usleep(100);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void test_read_full(void)
{
	uint8_t src[1000], dst[1200];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13);
	pid_t pid;
	int fd = piecemeal_pipe(src, sizeof(src), &pid);
	CHECK(fd >= 0);
	size_t got = 0;
	// All of it across many short reads, then EOF short of the size.
	CHECK(fd_read_full(fd, dst, sizeof(dst), &got) == 0);
	CHECK_EQ_U64(got, sizeof(src));
	CHECK(memcmp(src, dst, sizeof(src)) == 0);
	close(fd);
	waitpid(pid, NULL, 0);
	got = 99;
	CHECK(fd_read_full(-1, dst, 4, &got) == EBADF);
	CHECK_EQ_U64(got, 0);
}

static void test_positioned(void)
{
	char path[] = "/tmp/fd_io_test.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	uint8_t data[5000], back[6000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	CHECK(fd_pwrite_all(fd, data, sizeof(data), 100) == 0);
	size_t got = 0;
	CHECK(fd_pread_full(fd, back, sizeof(back), 100, &got) == 0);
	CHECK_EQ_U64(got, sizeof(data));
	CHECK(memcmp(back, data, sizeof(data)) == 0);
	// Past the end: nothing, no error.
	CHECK(fd_pread_full(fd, back, 10, 1 << 20, &got) == 0);
	CHECK_EQ_U64(got, 0);
	// The 2^63 bounds: reads stop (EOF), writes refuse.
	CHECK(fd_pread_full(fd, back, 10, UINT64_MAX - 4, &got) == 0);
	CHECK_EQ_U64(got, 0);
	CHECK(fd_pwrite_all(fd, data, 10, (uint64_t)INT64_MAX - 4) == EFBIG);
	// The file position is untouched by either.
	CHECK(lseek(fd, 0, SEEK_CUR) == 0);
	close(fd);
}

static void test_write_errors(void)
{
	uint8_t data[4096] = {1};
	int fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0);
	CHECK(fd_write_all(fd, data, sizeof(data)) == ENOSPC);
	close(fd);
	int p[2];
	CHECK(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(fd_write_all(p[1], data, sizeof(data)) == EPIPE);
	close(p[1]);
	CHECK(fd_pwrite_all(-1, data, 1, 0) == EBADF);
}

int main(void)
{
	RUN(test_read_full);
	RUN(test_positioned);
	RUN(test_write_errors);
	return test_summary("fd_io_test");
}
