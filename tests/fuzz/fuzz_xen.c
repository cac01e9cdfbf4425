/*
 * libFuzzer harness: crashdmesg's path over a fuzzed Xen machine core -
 * Xen notes (CRASH_INFO, CRASH_REGS, VMCOREINFO_XEN), dom0's VMCOREINFO
 * found by the note or a scan, the p2m walk and its statistics, dom0's
 * translation and page-table cross-check, the ringbuffer decoder through
 * the p2m, and Xen's console ring by a scan - through a memfd so
 * lib/vmcore.c reads it as it reads a file.  Seeds: fixtures/real/xen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../lib/vmcore.h"
#include "../../lib/vmcore_xen.h"
#include "../../lib/xen.h"
#include "../../lib/xlat.h"
#include "fuzz_memory.h"

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
	int fd = memfd_create("fuzz-xen", 0);
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
	struct xen *xen = NULL;
	struct vmcore_xen_dom0 dom0 = {0};
	struct vmcoreinfo *vi = NULL;
	struct xlat *x = NULL;
	err = vmcore_xen_create(vm, quiet, &xen);
	if (!err) {
		struct xen_p2m_stats st;
		crash_error_destroy(xen_p2m_stats(xen, &st));
		struct xen_conring ring = {0};
		crash_error_destroy(xen_conring_scan(xen, 0, &ring));
		xen_conring_deinit(&ring);
		err = vmcore_xen_dom0(vm, xen, NULL, NULL, &dom0);
	}
	if (!err)
		err = vmcoreinfo_parse(dom0.text, dom0.size, &vi);
	if (!err)
		err = vmcore_xen_dom0_xlat_create(vm, xen, vi, quiet, &x);
	if (!err) {
		unsigned checked;
		crash_error_destroy(vmcore_xen_dom0_crosscheck(xen, x, vi, &checked));
		if (printk_ringbuffer_decoder.detect(vi)) {
			struct printk_source src = {
				.vmcoreinfo = vi, .format = vmcore_format(vm),
				.arg = x, .read_kv = read_kv,
				.options = {.max_buffer = 1 << 24},
			};
			struct printk_sink sink = {.record = fuzz_record,
						   .note = fuzz_note};
			struct printk_stats stats = {0};
			crash_error_destroy(printk_ringbuffer_decoder.decode(
				&src, &sink, &stats));
		}
	}
	crash_error_destroy(err);
	xlat_destroy(x);
	vmcoreinfo_destroy(vi);
	vmcore_xen_dom0_deinit(&dom0);
	xen_destroy(xen);
	vmcore_close(vm);
	close(fd);
	return 0;
}
