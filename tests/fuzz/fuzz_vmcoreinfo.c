/* libFuzzer harness: VMCOREINFO splitting and every typed lookup. */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/error.h"
#include "../../lib/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmcoreinfo *vi;
	struct crash_error *err = vmcoreinfo_parse((const char *)data, size, &vi);
	if (err) {
		crash_error_destroy(err);
		return 0;
	}
	uint64_t u;
	int64_t s;
	crash_error_destroy(vmcoreinfo_symbol(vi, "prb", &u));
	crash_error_destroy(vmcoreinfo_size(vi, "printk_info", &u));
	crash_error_destroy(vmcoreinfo_offset(vi, "printk_info", "seq", &u));
	crash_error_destroy(vmcoreinfo_length(vi, "printk_info_device", &u));
	crash_error_destroy(vmcoreinfo_number(vi, "phys_base", &s));
	crash_error_destroy(vmcoreinfo_hex(vi, "KERNELOFFSET", &u));
	crash_error_destroy(vmcoreinfo_decimal(vi, "CRASHTIME", &u));
	(void)vmcoreinfo_get(vi, "OSRELEASE");
	vmcoreinfo_destroy(vi);
	return 0;
}
