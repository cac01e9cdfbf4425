/*
 * Unit tests for capture/crashcopy/map_guard.c: a read past the end of a
 * file's shared mapping raises SIGBUS (as a disk I/O error under a mapping
 * does); inside map_guard_run() it abandons the function and returns
 * false, the process goes on, and the next guarded read of a good page
 * works; the same in two threads at once, each with its own guard.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../capture/crashcopy/map_guard.h"
#include "test.h"

enum { PAGE = 4096 };

struct read_job {
	const volatile uint8_t *p;
	size_t size;
	unsigned sum;
	bool finished;
};

static void read_job_run(void *arg)
{
	struct read_job *j = arg;
	unsigned sum = 0;
	for (size_t i = 0; i < j->size; i++)
		sum += j->p[i];
	j->sum = sum;
	j->finished = true;
}

/* A 4-page file mapped, then cut to 2 pages: pages 2 and 3 SIGBUS. */
static const uint8_t *cut_mapping(int *fd_ret)
{
	char path[] = "/tmp/map_guard_test.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	static uint8_t buf[4 * PAGE];
	memset(buf, 1, sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return NULL;
	void *m = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || ftruncate(fd, 2 * PAGE) < 0)
		return NULL;
	*fd_ret = fd;
	return m;
}

static void test_guard_single(void)
{
	int fd = -1;
	const uint8_t *m = cut_mapping(&fd);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_OK(map_guard_install());
	struct read_job good = {.p = m, .size = 2 * PAGE};
	CHECK(map_guard_run(read_job_run, &good));
	CHECK(good.finished && good.sum == 2 * PAGE);
	for (int round = 0; round < 3; round++) {
		struct read_job bad = {.p = m + PAGE, .size = 2 * PAGE};
		CHECK(!map_guard_run(read_job_run, &bad));
		CHECK(!bad.finished);
		// The guard is disarmed and SIGBUS unblocked: it works again.
		good.finished = false;
		CHECK(map_guard_run(read_job_run, &good));
		CHECK(good.finished);
	}
	CHECK(map_guard_sigbus_error.is_static);
	munmap((void *)m, 4 * PAGE);
	close(fd);
}

struct thread_arg {
	const uint8_t *m;
	int faults, reads;
};

static void *thread_run(void *arg)
{
	struct thread_arg *t = arg;
	for (int i = 0; i < 200; i++) {
		struct read_job j = {.p = t->m + (size_t)(i % 4) * PAGE, .size = PAGE};
		if (map_guard_run(read_job_run, &j))
			t->reads++;
		else
			t->faults++;
	}
	return NULL;
}

static void test_guard_threads(void)
{
	int fd = -1;
	const uint8_t *m = cut_mapping(&fd);
	CHECK(m != NULL);
	if (!m)
		return;
	struct thread_arg a = {.m = m}, b = {.m = m};
	pthread_t ta, tb;
	CHECK(pthread_create(&ta, NULL, thread_run, &a) == 0);
	CHECK(pthread_create(&tb, NULL, thread_run, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ_U64(a.reads, 100);
	CHECK_EQ_U64(a.faults, 100);
	CHECK_EQ_U64(b.reads, 100);
	CHECK_EQ_U64(b.faults, 100);
	munmap((void *)m, 4 * PAGE);
	close(fd);
}

int main(void)
{
	RUN(test_guard_single);
	RUN(test_guard_threads);
	return test_summary("map_guard_test");
}
