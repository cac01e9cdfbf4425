/*
 * fuzz_memory.h - shared pieces of the decoder harnesses: the fuzz input is
 * a kernel-virtual memory image starting at FUZZ_BASE; reads outside it
 * fault.  Each harness supplies a VMCOREINFO text whose symbols point into
 * the image, so the fuzzer steers pointers, indexes and sizes.
 */
#ifndef CRASHKIT_FUZZ_MEMORY_H
#define CRASHKIT_FUZZ_MEMORY_H

#include <stdint.h>
#include <string.h>

#include "../../crashdmesg/printk.h"
#include "../../lib/error.h"
#include "../../lib/vmcoreinfo.h"

#define FUZZ_BASE 0xffff888000000000ull

struct fuzz_memory {
	const uint8_t *data;
	size_t size;
};

static inline struct crash_error *fuzz_read_kv(void *arg, uint64_t vaddr, void *buf,
					size_t size)
{
	const struct fuzz_memory *m = arg;
	if (vaddr < FUZZ_BASE || vaddr - FUZZ_BASE > m->size ||
	    m->size - (vaddr - FUZZ_BASE) < size)
		return crash_error_fault(vaddr, "fuzz: 0x%llx not in the image",
					 (unsigned long long)vaddr);
	memcpy(buf, m->data + (vaddr - FUZZ_BASE), size);
	return NULL;
}

static inline struct crash_error *fuzz_record(void *arg,
				       const struct printk_record *rec)
{
	// Touch every byte the record lends us, so ASan sees bad pointers.
	volatile uint8_t sum = 0;
	(void)arg;
	for (size_t i = 0; i < rec->text_len; i++)
		sum += rec->text[i];
	for (size_t i = 0; i < rec->dict_len; i++)
		sum += rec->dict[i];
	for (size_t i = 0; i < rec->subsystem_len; i++)
		sum += rec->subsystem[i];
	for (size_t i = 0; i < rec->device_len; i++)
		sum += rec->device[i];
	for (size_t i = 0; i < rec->raw_len; i++)
		sum += rec->raw[i];
	(void)sum;
	return NULL;
}

static inline void fuzz_note(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Decode @data with @dec under the given VMCOREINFO and pointer format. */
static inline void fuzz_decode(const struct printk_decoder *dec,
			       const char *info,
			const struct rd_format *format, const uint8_t *data,
			size_t size, int since_clear)
{
	struct vmcoreinfo *vi;
	struct crash_error *err = vmcoreinfo_parse(info, strlen(info), &vi);
	if (err) {
		crash_error_destroy(err);
		return;
	}
	struct fuzz_memory mem = {data, size};
	struct printk_source src = {
		.vmcoreinfo = vi,
		.format = format,
		.arg = &mem,
		.read_kv = fuzz_read_kv,
		.options = {.since_clear = since_clear, .max_buffer = 1 << 20},
	};
	struct printk_sink sink = {.record = fuzz_record, .note = fuzz_note};
	struct printk_stats stats = {0};
	crash_error_destroy(dec->decode(&src, &sink, &stats));
	vmcoreinfo_destroy(vi);
}

#endif
