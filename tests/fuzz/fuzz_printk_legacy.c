/* libFuzzer harness: the <= 3.4 byte-ring decoder. */
#include "fuzz_memory.h"

static const char info[] =
	"OSRELEASE=3.0.0-fuzz\n"
	"SYMBOL(log_buf)=ffff888000000000\n"
	"SYMBOL(log_buf_len)=ffff888000000008\n"
	"SYMBOL(log_end)=ffff88800000000c\n"
	"SYMBOL(logged_chars)=ffff888000000010\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rd_format le64 = {RD_LITTLE_ENDIAN, 8};
	static const struct rd_format be32 = {RD_BIG_ENDIAN, 4};
	if (size < 1)
		return 0;
	fuzz_decode(&printk_legacy_decoder, info,
		    (data[0] & 1) ? &be32 : &le64, data + 1, size - 1,
		    data[0] & 2);
	return 0;
}
