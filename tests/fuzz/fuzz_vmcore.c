/*
 * libFuzzer harness: the whole path of crashdmesg over a fuzzed ELF core -
 * headers, notes, VMCOREINFO, translation and every decoder - through a
 * memfd so lib/vmcore.c reads it as it reads a file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>

#include "../../lib/vmcore.h"
#include "../../lib/xlat.h"
#include "fuzz_memory.h"

static struct crash_error *read_phys(void *arg, uint64_t paddr, void *buf,
				     size_t size)
{
	return vmcore_read_phys(arg, paddr, buf, size);
}

static struct crash_error *read_kv(void *arg, uint64_t vaddr, void *buf,
				   size_t size)
{
	return xlat_read_kv(arg, vaddr, buf, size);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-vmcore", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	struct vmcore *vm;
	struct crash_error *err = vmcore_open(path, quiet, NULL, &vm);
	if (err) {
		crash_error_destroy(err);
		close(fd);
		return 0;
	}
	const char *text;
	size_t text_size;
	struct vmcoreinfo *vi = NULL;
	struct xlat *x = NULL;
	struct xlat_range ranges[64];
	size_t count;
	const struct vmcore_segment *segs = vmcore_segments(vm, &count);
	if (count > 64)
		count = 64;
	for (size_t i = 0; i < count; i++) {
		ranges[i].paddr = segs[i].paddr;
		ranges[i].vaddr = segs[i].vaddr;
		ranges[i].size = segs[i].mem_size;
	}
	(void)vmcore_cpu_count(vm);
	err = vmcore_vmcoreinfo(vm, &text, &text_size);
	if (!err)
		err = vmcoreinfo_parse(text, text_size, &vi);
	if (!err) {
		struct xlat_reader reader = {
			.arg = vm, .read_phys = read_phys, .warn = quiet,
			.format = vmcore_format(vm),
			.machine = vmcore_machine(vm), .vmcoreinfo = vi,
			.ranges = ranges, .range_count = count,
		};
		err = xlat_create(&reader, &x);
	}
	if (!err) {
		const struct printk_decoder *decs[] = {
			&printk_ringbuffer_decoder, &printk_records_decoder,
			&printk_legacy_decoder,
		};
		for (size_t i = 0; i < 3; i++) {
			if (!decs[i]->detect(vi))
				continue;
			struct printk_source src = {
				.vmcoreinfo = vi, .format = vmcore_format(vm),
				.arg = x, .read_kv = read_kv,
				.options = {.max_buffer = 1 << 24},
			};
			struct printk_sink sink = {.record = fuzz_record,
						   .note = fuzz_note};
			struct printk_stats stats = {0};
			crash_error_destroy(decs[i]->decode(&src, &sink, &stats));
		}
	}
	crash_error_destroy(err);
	xlat_destroy(x);
	vmcoreinfo_destroy(vi);
	vmcore_close(vm);
	close(fd);
	return 0;
}
