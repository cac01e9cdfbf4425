/* libFuzzer harness: the 5.10+ lockless ring decoder over a fuzzed image. */
#include "fuzz_memory.h"

/* The layout of a 64-bit 6.1 kernel; prb points at the image's start. */
static const char info[] =
	"OSRELEASE=6.1.0-fuzz\n"
	"SYMBOL(prb)=ffff888000000000\n"
	"SYMBOL(clear_seq)=ffff888000000008\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\n"
	"SIZE(dev_printk_info)=64\n"
	"OFFSET(dev_printk_info.subsystem)=0\n"
	"LENGTH(printk_info_subsystem)=16\n"
	"OFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_device)=48\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\n"
	"SIZE(atomic_long_t)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n"
	"SIZE(latched_seq)=24\n"
	"OFFSET(latched_seq.val)=8\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rd_format le64 = {RD_LITTLE_ENDIAN, 8};
	static const struct rd_format be32 = {RD_BIG_ENDIAN, 4};
	if (size < 1)
		return 0;
	// The first byte picks the word size/byte order and since_clear.
	fuzz_decode(&printk_ringbuffer_decoder, info,
		    (data[0] & 1) ? &be32 : &le64, data + 1, size - 1,
		    data[0] & 2);
	return 0;
}
