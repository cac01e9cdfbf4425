/* vmcore_xlat.c - see vmcore_xlat.h. */
#include "vmcore_xlat.h"

#include <stdlib.h>

static struct crash_error *read_phys(void *arg, uint64_t paddr, void *buf,
				     size_t size)
{
	return vmcore_read_phys(arg, paddr, buf, size);
}

struct crash_error *vmcore_xlat_create(struct vmcore *vm,
				       const struct vmcoreinfo *vi,
				       void (*warn)(void *arg,
						    const char *message),
				       struct xlat **ret)
{
	size_t count;
	const struct vmcore_segment *segs = vmcore_segments(vm, &count);
	// xlat_create() copies the ranges: this array lives only for the call.
	struct xlat_range *ranges = calloc(count ? count : 1, sizeof(*ranges));
	if (!ranges)
		return &crash_enomem;
	for (size_t i = 0; i < count; i++) {
		ranges[i].paddr = segs[i].paddr;
		ranges[i].vaddr = segs[i].vaddr;
		ranges[i].size = segs[i].mem_size;
	}
	struct xlat_reader reader = {
		.arg = vm,
		.read_phys = read_phys,
		.warn = warn,
		.format = vmcore_format(vm),
		.machine = vmcore_machine(vm),
		.vmcoreinfo = vi,
		.ranges = ranges,
		.range_count = count,
	};
	struct crash_error *err = xlat_create(&reader, ret);
	free(ranges);
	return err;
}
