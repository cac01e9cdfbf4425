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

int main(void)
{
	RUN(test_whole_read);
	RUN(test_holes_zero_filled);
	RUN(test_nothing_readable);
	return test_summary("printk_read");
}
