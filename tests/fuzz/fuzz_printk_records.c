/* libFuzzer harness: the 3.5-5.9 structured-record decoder. */
#include "fuzz_memory.h"

/* log_buf (a pointer) at +0; the u32 variables after it. */
static const char info_printk_log[] =
	"OSRELEASE=5.4.0-fuzz\n"
	"SYMBOL(log_buf)=ffff888000000000\n"
	"SYMBOL(log_buf_len)=ffff888000000008\n"
	"SYMBOL(log_first_idx)=ffff88800000000c\n"
	"SYMBOL(log_next_idx)=ffff888000000010\n"
	"SYMBOL(clear_idx)=ffff888000000014\n"
	"SIZE(printk_log)=20\n"
	"OFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\n"
	"OFFSET(printk_log.text_len)=10\n"
	"OFFSET(printk_log.dict_len)=12\n"
	"OFFSET(printk_log.caller_id)=16\n";

/* 3.5: no SIZE/OFFSET exported at all. */
static const char info_35[] =
	"OSRELEASE=3.5.0-fuzz\n"
	"SYMBOL(log_buf)=ffff888000000000\n"
	"SYMBOL(log_buf_len)=ffff888000000008\n"
	"SYMBOL(log_first_idx)=ffff88800000000c\n"
	"SYMBOL(log_next_idx)=ffff888000000010\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rd_format le64 = {RD_LITTLE_ENDIAN, 8};
	static const struct rd_format be64 = {RD_BIG_ENDIAN, 8};
	if (size < 1)
		return 0;
	fuzz_decode(&printk_records_decoder,
		    (data[0] & 4) ? info_35 : info_printk_log,
		    (data[0] & 1) ? &be64 : &le64, data + 1, size - 1,
		    data[0] & 2);
	return 0;
}
