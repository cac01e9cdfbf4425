/* Unit tests for crashdmesg/printk_read.c: bulk reads with holes. */
#include <stdint.h>
#include <string.h>

#include "../../crashdmesg/printk.h"
#include "test.h"

/* 5 pages of memory at BASE; page 2 and 3 missing when `holes` is set. */
#define BASE 0xffff888000010000ull
struct memory {
	uint8_t bytes[5 * 4096];
	int missing_from, missing_to;	/* page indexes, [from, to) */
	unsigned reads;
};

static struct crash_error *read_kv(void *arg, uint64_t vaddr, void *buf,
				   size_t size)
{
	struct memory *m = arg;
	m->reads++;
	if (vaddr < BASE || vaddr - BASE > sizeof(m->bytes) ||
	    sizeof(m->bytes) - (vaddr - BASE) < size)
		return crash_error_fault(vaddr, "0x%llx not mapped",
					 (unsigned long long)vaddr);
	uint64_t start = (vaddr - BASE) / 4096, end = (vaddr - BASE + size + 4095) / 4096;
	for (uint64_t p = start; p < end; p++)
		if ((int)p >= m->missing_from && (int)p < m->missing_to)
			return crash_error_fault(BASE + p * 4096, "page %d missing",
						 (int)p);
	memcpy(buf, m->bytes + (vaddr - BASE), size);
	return NULL;
}

static char last_note[512];
static int notes;
static void on_note(void *arg, const char *message)
{
	(void)arg;
	notes++;
	snprintf(last_note, sizeof(last_note), "%s", message);
}

static struct memory mem;
static uint8_t buf[5 * 4096];

static void setup(int from, int to)
{
	memset(mem.bytes, 0xab, sizeof(mem.bytes));
	mem.missing_from = from;
	mem.missing_to = to;
	mem.reads = 0;
	memset(buf, 0x55, sizeof(buf));
	notes = 0;
	last_note[0] = '\0';
}

static const struct printk_sink sink = {.note = on_note};

static void test_whole_read(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	setup(9, 9);
	CHECK_OK(printk_read_bulk(&src, &sink, &stats, "ring", BASE, buf, sizeof(buf)));
	CHECK_EQ_U64(mem.reads, 1);
	CHECK_EQ_U64(stats.skipped, 0);
	CHECK_EQ_U64(notes, 0);
	CHECK(buf[0] == 0xab && buf[sizeof(buf) - 1] == 0xab);
}

static void test_holes_zero_filled(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	setup(2, 4);
	// Start mid-page so the first and last chunks are partial pages.
	CHECK_OK(printk_read_bulk(&src, &sink, &stats, "ring", BASE + 100, buf,
				  sizeof(buf) - 100));
	CHECK_EQ_U64(stats.skipped, 1);
	CHECK_EQ_U64(notes, 1);
	CHECK(buf[0] == 0xab);
	CHECK(buf[2 * 4096 - 100] == 0 && buf[4 * 4096 - 101] == 0);
	CHECK(buf[4 * 4096 - 100] == 0xab);
	CHECK_STR(last_note,
		  "ring: 8192 of 20380 bytes at 0xffff888000010064 unreadable, "
		  "from 0xffff888000012000 (page 2 missing); records there are skipped");
	CHECK_STR(stats.first_skip_reason, last_note);
	// 1 whole read, then 5 chunks: the partial first page and 4 pages.
	CHECK_EQ_U64(mem.reads, 1 + 5);
}

static void test_nothing_readable(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	setup(0, 5);
	CHECK_ERR(printk_read_bulk(&src, &sink, &stats, "ring", BASE, buf, 8192),
		  CRASH_ERR_FAULT,
		  "reading ring (8192 bytes) at 0xffff888000010000: page 0 missing");
	CHECK_EQ_U64(stats.skipped, 0);
	CHECK_EQ_U64(notes, 0);
}

/* printk_array: only the chunks asked for are read. */
static void test_array_lazy(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	struct printk_array a;
	setup(9, 9);
	mem.bytes[4 * 4096 + 7] = 0x42;
	CHECK_OK(printk_array_init(&a, &src, &sink, &stats, "ring", BASE,
				   sizeof(mem.bytes)));
	CHECK_EQ_U64(mem.reads, 1);	// the probe of chunk 0
	const uint8_t *p = printk_array_get(&a, 4 * 4096 + 7, 1);
	CHECK(*p == 0x42);
	CHECK_EQ_U64(mem.reads, 2);	// chunk 1 (bytes 16384-20479)
	printk_array_get(&a, 4 * 4096, 4096);
	printk_array_get(&a, 100, 50);
	CHECK_EQ_U64(mem.reads, 2);	// both already loaded
	CHECK_EQ_U64(stats.skipped, 0);
	printk_array_deinit(&a);
}

/* A hole is zero-filled, noted once, counted as one skip. */
static void test_array_hole(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	struct printk_array a;
	setup(4, 5);	// the last page (chunk 1) is missing
	CHECK_OK(printk_array_init(&a, &src, &sink, &stats, "ring", BASE,
				   sizeof(mem.bytes)));
	const uint8_t *p = printk_array_get(&a, 4 * 4096, 8);
	CHECK(p[0] == 0 && p[7] == 0);
	printk_array_get(&a, 4 * 4096 + 100, 8);
	CHECK_EQ_U64(notes, 1);
	CHECK_EQ_U64(stats.skipped, 1);
	CHECK_STR(last_note,
		  "ring: bytes at 0xffff888000014000 unreadable (page 4 missing); "
		  "records there are skipped");
	printk_array_deinit(&a);
}

/* Both ends unreadable: the array is not in the dump. */
static void test_array_absent(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv};
	struct printk_stats stats = {0};
	struct printk_array a;
	setup(0, 5);
	CHECK_ERR(printk_array_init(&a, &src, &sink, &stats, "ring", BASE,
				    sizeof(mem.bytes)),
		  CRASH_ERR_FAULT,
		  "reading ring (20480 bytes) at 0xffff888000010000: page 0 missing");
	CHECK(a.buf == NULL);
	// Only the first end missing: a hole, not an error.
	setup(0, 1);
	CHECK_OK(printk_array_init(&a, &src, &sink, &stats, "ring", BASE,
				   sizeof(mem.bytes)));
	CHECK_EQ_U64(notes, 1);
	CHECK(printk_array_get(&a, 0, 1)[0] == 0);
	CHECK(printk_array_get(&a, 4096, 1)[0] == 0);	// chunk 0 is 16 KiB
	CHECK(printk_array_get(&a, 4 * 4096, 1)[0] == 0xab);
	printk_array_deinit(&a);
}

/* whole_arrays (for --save-minimal) reads every chunk at init. */
static void test_array_whole(void)
{
	struct printk_source src = {.arg = &mem, .read_kv = read_kv,
				    .options = {.whole_arrays = true}};
	struct printk_stats stats = {0};
	struct printk_array a;
	setup(9, 9);
	CHECK_OK(printk_array_init(&a, &src, &sink, &stats, "ring", BASE,
				   sizeof(mem.bytes)));
	CHECK_EQ_U64(mem.reads, 2);
	printk_array_get(&a, 4 * 4096, 4096);
	CHECK_EQ_U64(mem.reads, 2);
	printk_array_deinit(&a);
}

int main(void)
{
	RUN(test_whole_read);
	RUN(test_holes_zero_filled);
	RUN(test_nothing_readable);
	RUN(test_array_lazy);
	RUN(test_array_hole);
	RUN(test_array_absent);
	RUN(test_array_whole);
	return test_summary("printk_read");
}
