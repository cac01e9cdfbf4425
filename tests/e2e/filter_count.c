/*
 * filter_count.c - run the page filter over a whole real core and print
 * per-category counts, for tests/e2e/filter-check.sh to compare with
 * makedumpfile's "Excluded pages" report.
 *
 * Usage: filter_count VMCORE [DUMP_LEVEL [WINDOW_PFNS [VMCOREINFO_FILE]]]
 *   WINDOW_PFNS (default 32768) is the window handed to page_filter_window();
 *   VMCOREINFO_FILE replaces the core's VMCOREINFO (hostile variants).
 * Output, one "key value" per line: ram, cache, cache_private, user, free,
 * hwpoison, offline, unaccepted, kept_image, image_start, image_end,
 * unreadable, bad, and the same five categories with image protection off
 * (noimg_*), which is what makedumpfile counts.  Exit 0; 3 with
 * "fallback: <reason>" on stdout when the filter falls back; 1 with one
 * line on stderr on an error.
 *
 * filter_count --find-ptr VMCORE HEX prints the kernel-virtual address of
 * the first 8-byte word holding HEX inside the PT_LOAD that maps _stext
 * (to find the 4.15+ `mem_section` pointer variable for the check of
 * makedumpfile's second get_mem_section() reading); exit 1 if none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../capture/crashcopy/page_filter.h"
#include "../../capture/crashcopy/page_filter_internal.h"
#include "../../lib/vmcore.h"
#include "../../lib/vmcoreinfo.h"
#include "../../lib/xlat.h"

enum { WINDOW_PFNS_DEFAULT = 1 << 15, WINDOW_PFNS_MAX = 1 << 20 };

static void warn_stderr(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "filter_count: warning: %s\n", message);
}

static struct crash_error *read_phys(void *arg, uint64_t paddr, void *buf,
				     size_t size)
{
	return vmcore_read_phys(arg, paddr, buf, size);
}

/* Set @keep bits for pfns of [start, start+count) inside a PT_LOAD. */
static void ram_bitmap(struct vmcore *vm, uint64_t page_size, uint64_t start,
		       uint64_t count, uint8_t *keep, uint64_t *ram)
{
	size_t n;
	const struct vmcore_segment *s = vmcore_segments(vm, &n);
	memset(keep, 0, (count + 7) / 8);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = s[i].paddr / page_size;
		uint64_t b = (s[i].paddr + s[i].mem_size + page_size - 1) / page_size;
		if (a < start)
			a = start;
		if (b > start + count)
			b = start + count;
		for (uint64_t p = a; p < b; p++) {
			uint64_t j = p - start;
			if (!(keep[j / 8] >> (j % 8) & 1)) {
				keep[j / 8] |= (uint8_t)(1u << (j % 8));
				(*ram)++;
			}
		}
	}
}

static int run(struct vmcore *vm, const struct vmcoreinfo *vi,
	       const struct xlat *x, unsigned level, bool protect,
	       uint64_t page_size, uint64_t max_pfn, uint64_t window,
	       struct page_filter_counts *c,
	       uint64_t *ram, uint64_t *img_start, uint64_t *img_end,
	       uint64_t *unreadable, uint64_t *bad)
{
	struct page_filter *f;
	struct crash_error *err = page_filter_create(vm, vi, x, level, &f);
	if (err) {
		fprintf(stderr, "filter_count: %s\n", err->message);
		crash_error_destroy(err);
		return 1;
	}
	if (page_filter_fallback(f)) {
		printf("fallback: %s\n", page_filter_fallback(f));
		page_filter_destroy(f);
		return 3;
	}
	page_filter_set_protect_image(f, protect);
	static uint8_t keep[WINDOW_PFNS_MAX / 8];
	*ram = 0;
	for (uint64_t start = 0; start < max_pfn; start += window) {
		ram_bitmap(vm, page_size, start, window, keep, ram);
		err = page_filter_window(f, start, window, keep);
		if (err) {
			fprintf(stderr, "filter_count: %s\n", err->message);
			crash_error_destroy(err);
			page_filter_destroy(f);
			return 1;
		}
	}
	page_filter_counts(f, c);
	page_filter_image_range(f, img_start, img_end);
	page_filter_warnings(f, unreadable, bad);
	page_filter_destroy(f);
	return 0;
}

/* --find-ptr: scan the kernel-text PT_LOAD for an 8-byte little-endian
 * word; bounded by the segment's size. */
static int find_ptr(const char *path, const char *hex)
{
	struct vmcore *vm;
	struct crash_error *err = vmcore_open(path, warn_stderr, NULL, &vm);
	if (err) {
		fprintf(stderr, "filter_count: %s\n", err->message);
		crash_error_destroy(err);
		return 1;
	}
	uint64_t want = strtoull(hex, NULL, 16);
	size_t n;
	const struct vmcore_segment *s = vmcore_segments(vm, &n);
	static uint8_t page[4096];
	int rc = 1;
	for (size_t i = 0; i < n && rc; i++) {
		if (s[i].vaddr < UINT64_C(0xffffffff80000000))
			continue;
		for (uint64_t off = 0; off + sizeof(page) <= s[i].file_size && rc;
		     off += sizeof(page)) {
			err = vmcore_read_phys(vm, s[i].paddr + off, page,
					       sizeof(page));
			if (err) {
				crash_error_destroy(err);
				continue;
			}
			for (size_t w = 0; w + 8 <= sizeof(page); w += 8) {
				if (rd_u64(vmcore_format(vm), page + w) == want) {
					printf("%" PRIx64 "\n", s[i].vaddr + off + w);
					rc = 0;
					break;
				}
			}
		}
	}
	vmcore_close(vm);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--find-ptr") == 0)
		return find_ptr(argv[2], argv[3]);
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: filter_count VMCORE [DUMP_LEVEL "
				"[WINDOW_PFNS [VMCOREINFO_FILE]]]\n");
		return 2;
	}
	unsigned level = argc >= 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 31;
	uint64_t window = argc >= 4 ? strtoull(argv[3], NULL, 10)
				    : WINDOW_PFNS_DEFAULT;
	if (window == 0 || window > WINDOW_PFNS_MAX) {
		fprintf(stderr, "filter_count: window must be 1-%d pfns\n",
			WINDOW_PFNS_MAX);
		return 2;
	}
	static char vi_file[VMCOREINFO_MAX_SIZE];
	struct vmcore *vm = NULL;
	struct vmcoreinfo *vi = NULL;
	struct xlat *x = NULL;
	int rc = 1;
	const char *text = NULL;
	size_t size = 0;
	struct crash_error *err = vmcore_open(argv[1], warn_stderr, NULL, &vm);
	if (!err && argc == 5) {
		FILE *fp = fopen(argv[4], "rb");
		if (!fp) {
			err = crash_error_os(errno, "%s", argv[4]);
		} else {
			size = fread(vi_file, 1, sizeof(vi_file), fp);
			fclose(fp);
			text = vi_file;
		}
	} else if (!err) {
		err = vmcore_vmcoreinfo(vm, &text, &size);
	}
	if (!err)
		err = vmcoreinfo_parse(text, size, &vi);
	size_t n = 0;
	const struct vmcore_segment *s = vm ? vmcore_segments(vm, &n) : NULL;
	struct xlat_range *ranges = calloc(n ? n : 1, sizeof(*ranges));
	if (!err && !ranges)
		err = &crash_enomem;
	uint64_t max_paddr = 0;
	for (size_t i = 0; !err && i < n; i++) {
		ranges[i] = (struct xlat_range){ s[i].paddr, s[i].vaddr,
						 s[i].mem_size };
		if (s[i].paddr + s[i].mem_size > max_paddr)
			max_paddr = s[i].paddr + s[i].mem_size;
	}
	if (!err) {
		struct xlat_reader reader = {
			.arg = vm, .read_phys = read_phys, .warn = warn_stderr,
			.format = vmcore_format(vm), .machine = vmcore_machine(vm),
			.vmcoreinfo = vi, .ranges = ranges, .range_count = n,
		};
		err = xlat_create(&reader, &x);
	}
	uint64_t page_size = 0;
	if (!err)
		err = vmcoreinfo_decimal(vi, "PAGESIZE", &page_size);
	if (err) {
		fprintf(stderr, "filter_count: %s: %s\n", argv[1], err->message);
		crash_error_destroy(err);
		goto out;
	}
	uint64_t max_pfn = (max_paddr + page_size - 1) / page_size;
	struct page_filter_counts c, c0;
	uint64_t ram, is, ie, unreadable, bad, u0, b0;
	rc = run(vm, vi, x, level, true, page_size, max_pfn, window, &c, &ram,
		 &is, &ie, &unreadable, &bad);
	if (!rc)
		rc = run(vm, vi, x, level, false, page_size, max_pfn, window, &c0,
			 &ram, &is, &ie, &u0, &b0);
	if (rc)
		goto out;
	printf("ram %" PRIu64 "\ncache %" PRIu64 "\ncache_private %" PRIu64
	       "\nuser %" PRIu64 "\nfree %" PRIu64 "\nhwpoison %" PRIu64
	       "\noffline %" PRIu64 "\nunaccepted %" PRIu64
	       "\nkept_image %" PRIu64 "\nimage_start %" PRIu64
	       "\nimage_end %" PRIu64 "\nunreadable %" PRIu64 "\nbad %" PRIu64
	       "\n",
	       ram, c.cache, c.cache_private, c.user, c.free, c.hwpoison,
	       c.offline, c.unaccepted, c.kept_image, is, ie, unreadable, bad);
	printf("noimg_cache %" PRIu64 "\nnoimg_cache_private %" PRIu64
	       "\nnoimg_user %" PRIu64 "\nnoimg_free %" PRIu64 "\n",
	       c0.cache, c0.cache_private, c0.user, c0.free);
	rc = 0;
out:
	xlat_destroy(x);
	free(ranges);
	vmcoreinfo_destroy(vi);
	vmcore_close(vm);
	return rc;
}
