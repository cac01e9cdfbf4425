/*
 * kdump_writer.c - write a kdump-compressed ("KDUMP   ") dump, the format
 * of makedumpfile -c/-l/-z and the one crash, libkdumpfile and drgn read.
 *
 * The file (spec dump-formats.md §1.1; block = the crashed kernel's page
 * size, bs):
 *
 *   0                      disk_dump_header, rest of the block zero
 *   bs                     kdump_sub_header, then the source's PT_NOTE
 *                          bytes verbatim, padded to sub_hdr_size blocks
 *   (1 + sub_hdr_size)*bs  1st bitmap (RAM), then 2nd bitmap (dumpable),
 *                          len_one_bitmap bytes each
 *   + 2*len_one_bitmap     page_desc[dumpable_count], 24 bytes each
 *   + 24*dumpable_count    page data: the shared zero block first (when
 *                          shared_zero_page), then payloads in pfn order
 *
 * disk_dump_header byte map (spec §1.2; makedumpfile diskdump_mod.h,
 * libkdumpfile disk_dump_header_64 and _32).  Both ILP32 variants share
 * one header (it has no 64-bit field, timeval is two 32-bit longs):
 *
 *   LP64  ILP32  size  field
 *     0     0     8    signature "KDUMP   "
 *     8     8     4    header_version = 6
 *    12    12   390    utsname (new_utsname, 6 x 65)
 *   402   402   6/2    padding
 *   408   404   8/4    timestamp.tv_sec = CRASHTIME
 *   416   408   8/4    timestamp.tv_usec = 0
 *   424   412     4    status: codec bit | 0x8 incomplete
 *   428   416     4    block_size
 *   432   420     4    sub_hdr_size (blocks)
 *   436   424     4    bitmap_blocks (both bitmaps)
 *   440   428     4    max_mapnr = min(max_mapnr, UINT_MAX)
 *   444   432    16    total_ram_blocks, device_blocks, written_blocks,
 *                      current_cpu: 0
 *   460   448     4    nr_cpus
 *   464   452          sizeof
 *
 * kdump_sub_header byte map (spec §1.4): LP64 104 bytes, i386 "32pack"
 * 80 bytes, AArch32/MIPS "32pad" 96 bytes (the sub_header_maps table).
 * phys_base and the legacy start_pfn/end_pfn are longs; dump_level and
 * split ints; size_vmcoreinfo, size_note and size_eraseinfo longs; the
 * offsets and the *_64 fields u64 everywhere.
 *
 * page_desc (spec §1.6): offset i64 (off_t, 64-bit in makedumpfile's
 * _FILE_OFFSET_BITS=64 builds; libkdumpfile's struct page_desc uses
 * uint64_t), size u32, flags u32, page_flags u64 = 0.  24 bytes for every
 * ABI: with 4-byte alignment of u64 (i386) there is no padding either.
 *
 * Rules (numbered, cited in code):
 *  K1. header_version 6; max_mapnr in the header is min(max_mapnr,
 *      UINT_MAX), the full value in max_mapnr_64 (spec §1.3).
 *  K2. sub_hdr_size = ceil((sub_header_size + notes_size) / bs); the notes
 *      start right after the sub-header, not block-aligned (spec §1.1).
 *      offset_vmcoreinfo points at the VMCOREINFO desc inside that copy.
 *  K3. len_one_bitmap = ceil(ceil(max_mapnr / 8) / bs) * bs, bitmap_blocks
 *      = 2 * len_one_bitmap / bs: readers decide from this size that there
 *      are two bitmaps (spec §1.5).  Bits are LSB first; bits past
 *      max_mapnr must be clear.
 *  K4. One descriptor per set bit of the 2nd bitmap, in pfn order; pages
 *      come in that order (checked), and the 2nd bitmap lies inside the
 *      1st (checked).
 *  K5. A raw page has flags 0 and size == bs; a compressed page the
 *      codec's flag and 0 < size < bs (spec §1.6 rule 4).
 *  K6. With shared_zero_page, one raw zero block opens the data region and
 *      every zero page's descriptor points at it (spec §1.7).  Since the
 *      data region starts past the header, no page has offset 0.
 *  K7. Nothing lost (spec §1.10): the first header write has the
 *      incomplete bit (0x8) set; finish clears it with one last header
 *      write after the data and descriptors are durable (dump_sink_sync).
 *      A lost page's descriptor keeps offset 0.  A descriptor is written
 *      only after the data it points at, so a dump cut anywhere has only
 *      valid or zero descriptors.
 *  K8. Large writes: descriptors go out in batches of DESC_BATCH_COUNT at
 *      their offsets, page data in DATA_BUFFER_SIZE appends; in a stream
 *      that means few, large records (spec §2).
 *  K9. Windows: the bitmaps come in contiguous windows of pfns
 *      (kdump_writer_window()), each starting on a multiple of 8 pfns so
 *      that it is whole bytes of the file's bitmaps; a window's pages come
 *      after its bitmaps and before the next window.  The writer keeps no
 *      bitmap of its own, only the caller's current window: its memory
 *      does not grow with max_mapnr.  Both bitmaps' bytes past max_mapnr
 *      are written with the last window.
 * K10. Identical small payloads are stored once: a compressed payload of
 *      at most SHARE_MAX_SIZE bytes equal to one stored earlier gets a
 *      descriptor pointing at that one (as K6 does for zero pages; readers
 *      read each descriptor's bytes on their own).  Equal bytes are
 *      checked, not a hash: each page is compressed on its own, so equal
 *      payloads decode to equal pages.  Poisoned or filled pages (freed
 *      init memory is all 0xcc, 19 bytes under zstd, 24 with their
 *      descriptor) are the common case.  The table has SHARE_SLOTS
 *      entries whatever the dump's size.  A page sharing data still in the
 *      pending buffer is lost with it if its write fails (K7).
 *
 * Argument errors: UNSUPPORTED for a value out of range (block size, ABI,
 * sizes), CORRUPT for arguments that contradict each other (bitmaps and
 * counts, page order, payload sizes).  Each message starts "kdump writer:".
 *
 * When a write fails (ENOSPC, EPIPE) the descriptors of the pages whose
 * data was in the failed buffer are cleared (they are lost, K7), the error
 * is returned, and the writer refuses further pages; finish then reports
 * the dump incomplete, its header still marked so.
 */
#include "kdump_writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
	KDUMP_HEADER_VERSION = 6,
	// Kernel page sizes run from 4 KiB to 256 KiB; see codec.c.
	KDUMP_MIN_BLOCK_SIZE = 1 << 10,
	KDUMP_MAX_BLOCK_SIZE = 1 << 20,
	PAGE_DESC_SIZE = 24,
	// K8: 64 Ki descriptors (1.5 MiB) per write.
	DESC_BATCH_COUNT = 1 << 16,
	// K8: page data is appended in writes of up to 1 MiB (a file sink
	// queues them to its own writer thread, so larger writes only cost
	// memory).
	DATA_BUFFER_SIZE = 1 << 20,
	// K10: payloads shared when this small; entries of the table.
	SHARE_MAX_SIZE = 128,
	SHARE_SLOTS = 256,
	UTSNAME_SIZE = 390,
	// The LP64 disk_dump_header, the larger of the two.
	KDUMP_MAX_HEADER_SIZE = 464,
};

static const char kdump_signature[8] = { 'K', 'D', 'U', 'M', 'P', ' ', ' ', ' ' };

/* Where the disk_dump_header's ABI-dependent fields lie (byte map above). */
struct header_map {
	uint16_t timestamp;	/* tv_sec; tv_usec follows */
	uint8_t time_size;	/* sizeof(long) */
	uint16_t status;	/* then 9 consecutive 4-byte fields */
	uint16_t size;
};

static const struct header_map header_map_lp64 = { 408, 8, 424, 464 };
static const struct header_map header_map_ilp32 = { 404, 4, 412, 452 };

enum sub_field {
	SUB_PHYS_BASE,
	SUB_DUMP_LEVEL,
	SUB_SPLIT,
	SUB_START_PFN,
	SUB_END_PFN,
	SUB_OFFSET_VMCOREINFO,
	SUB_SIZE_VMCOREINFO,
	SUB_OFFSET_NOTE,
	SUB_SIZE_NOTE,
	SUB_OFFSET_ERASEINFO,
	SUB_SIZE_ERASEINFO,
	SUB_START_PFN_64,
	SUB_END_PFN_64,
	SUB_MAX_MAPNR_64,
	SUB_FIELD_COUNT,
};

struct sub_header_map {
	struct {
		uint8_t offset, size;
	} field[SUB_FIELD_COUNT];
	uint8_t size;
};

/* spec §1.4; libkdumpfile kdump_sub_header_64, _32pack, _32pad. */
static const struct sub_header_map sub_header_maps[] = {
	[KDUMP_ABI_LP64] = { { { 0, 8 }, { 8, 4 }, { 12, 4 }, { 16, 8 },
			       { 24, 8 }, { 32, 8 }, { 40, 8 }, { 48, 8 },
			       { 56, 8 }, { 64, 8 }, { 72, 8 }, { 80, 8 },
			       { 88, 8 }, { 96, 8 } }, 104 },
	[KDUMP_ABI_ILP32_PACKED] = { { { 0, 4 }, { 4, 4 }, { 8, 4 }, { 12, 4 },
				       { 16, 4 }, { 20, 8 }, { 28, 4 },
				       { 32, 8 }, { 40, 4 }, { 44, 8 },
				       { 52, 4 }, { 56, 8 }, { 64, 8 },
				       { 72, 8 } }, 80 },
	[KDUMP_ABI_ILP32_PADDED] = { { { 0, 4 }, { 4, 4 }, { 8, 4 }, { 12, 4 },
				       { 16, 4 }, { 24, 8 }, { 32, 4 },
				       { 40, 8 }, { 48, 4 }, { 56, 8 },
				       { 64, 4 }, { 72, 8 }, { 80, 8 },
				       { 88, 8 } }, 96 },
};

struct kdump_writer {
	struct dump_sink *sink;
	struct kdump_header_info info;
	struct kdump_layout layout;
	uint32_t codec_flag;
	// K9: the window the pages now come from: pfns [win_start, win_end),
	// bit (pfn - win_start) of win_dump (the caller's, or owned_bitmap).
	const uint8_t *win_dump;
	uint64_t win_start, win_end;
	uint8_t *owned_bitmap;	/* kdump_writer_create()'s copy */
	// K9: set bits of the 2nd bitmap given in windows so far.
	uint64_t windowed_count;
	uint64_t dumpable_count;
	// Descriptors handed out so far (pages and lost pages).
	uint64_t next_index;
	// The next pfn to look for a set bit from.
	uint64_t scan_pfn;
	uint64_t zero_offset;
	// K8: the pending descriptors, for indices desc_first onwards.
	uint8_t *desc_buf;
	size_t desc_count;
	uint64_t desc_first;
	// K8: pending page data, ending at file offset data_end.
	uint8_t *data_buf;
	size_t data_len;
	uint64_t data_end;
	// K10: earlier small payloads by a hash of their bytes; pages
	// sharing data still in data_buf.
	struct share_entry *shares;
	uint64_t pending_shared;
	// Set once a write failed: no more pages (see the overview).
	int failed_errnum;
	bool failed;
	bool finished;
	struct kdump_writer_counts counts;
};

/* K10: a payload stored at @offset (0: the entry is empty). */
struct share_entry {
	uint64_t offset;
	uint32_t size, flags;
	uint8_t bytes[SHARE_MAX_SIZE];
};

static const struct header_map *header_map_of(enum kdump_abi abi)
{
	return abi == KDUMP_ABI_LP64 ? &header_map_lp64 : &header_map_ilp32;
}

static uint64_t div_round_up(uint64_t n, uint64_t d)
{
	return n / d + (n % d != 0);
}

struct crash_error *kdump_layout_compute(const struct kdump_header_info *info,
					 uint64_t dumpable_count,
					 struct kdump_layout *ret)
{
	uint32_t bs = info->block_size;
	if (bs < KDUMP_MIN_BLOCK_SIZE || bs > KDUMP_MAX_BLOCK_SIZE ||
	    (bs & (bs - 1)) != 0)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: block size %" PRIu32 " is not a power of two from %d to %d",
					  bs, KDUMP_MIN_BLOCK_SIZE,
					  KDUMP_MAX_BLOCK_SIZE);
	if (info->abi != KDUMP_ABI_LP64 && info->abi != KDUMP_ABI_ILP32_PACKED &&
	    info->abi != KDUMP_ABI_ILP32_PADDED)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: unknown ABI %d",
					  (int)info->abi);
	unsigned int want_ptr = info->abi == KDUMP_ABI_LP64 ? 8 : 4;
	if (info->format.ptr_size != want_ptr)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pointer size %u does not match the %s ABI (%u)",
					  info->format.ptr_size,
					  info->abi == KDUMP_ABI_LP64 ? "LP64" : "ILP32",
					  want_ptr);
	if (info->codec != CODEC_NONE && info->codec != CODEC_ZLIB &&
	    info->codec != CODEC_LZO && info->codec != CODEC_ZSTD)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: unknown compression %d",
					  (int)info->codec);
	if (info->max_mapnr == 0)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: max_mapnr 0, expected at least one pfn");
	if (dumpable_count > info->max_mapnr)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: %" PRIu64 " dumpable pages exceed max_mapnr %" PRIu64,
					  dumpable_count, info->max_mapnr);
	if (info->notes_size && !info->notes)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: notes_size %zu without notes",
					  info->notes_size);
	// ILP32 keeps size_note and size_vmcoreinfo in a 32-bit long.
	uint64_t note_limit = info->abi == KDUMP_ABI_LP64 ? INT32_MAX : UINT32_MAX;
	if (info->notes_size > note_limit)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: notes_size %zu exceeds %" PRIu64,
					  info->notes_size, note_limit);
	if (info->vmcoreinfo_size &&
	    !rd_field_fits(info->vmcoreinfo_offset, info->vmcoreinfo_size,
			   info->notes_size))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: VMCOREINFO at 0x%" PRIx64 " size 0x%" PRIx64 " lies outside the 0x%zx bytes of notes",
					  info->vmcoreinfo_offset,
					  info->vmcoreinfo_size, info->notes_size);

	struct kdump_layout l = { 0 };
	l.header_size = header_map_of(info->abi)->size;
	l.sub_header_size = sub_header_maps[info->abi].size;
	// K2
	uint64_t sub_blocks = div_round_up(l.sub_header_size + info->notes_size, bs);
	if (sub_blocks > INT32_MAX)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: sub_hdr_size %" PRIu64 " blocks exceeds INT_MAX",
					  sub_blocks);
	l.sub_hdr_size = (uint32_t)sub_blocks;
	// K3
	uint64_t one_blocks = div_round_up(div_round_up(info->max_mapnr, 8), bs);
	if (one_blocks > UINT32_MAX / 2)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: max_mapnr %" PRIu64 " needs %" PRIu64 " bitmap blocks, more than a u32 counts",
					  info->max_mapnr, 2 * one_blocks);
	l.bitmap_blocks = (uint32_t)(2 * one_blocks);
	l.len_one_bitmap = one_blocks * bs;
	l.bitmap_offset = (1 + sub_blocks) * bs;
	l.desc_offset = l.bitmap_offset + 2 * l.len_one_bitmap;
	// The values above are small: at most 2^32 blocks of at most 2^20.
	uint64_t desc_size;
	if (__builtin_mul_overflow(dumpable_count, (uint64_t)PAGE_DESC_SIZE,
				   &desc_size) ||
	    __builtin_add_overflow(l.desc_offset, desc_size, &l.data_offset) ||
	    l.data_offset >= UINT64_C(1) << 62)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "kdump writer: %" PRIu64 " descriptors do not fit below 2^62",
					  dumpable_count);
	*ret = l;
	return NULL;
}

void kdump_header_encode(const struct kdump_header_info *info,
			 const struct kdump_layout *layout, uint32_t status,
			 uint8_t *buf)
{
	const struct rd_format *f = &info->format;
	const struct header_map *m = header_map_of(info->abi);
	memset(buf, 0, m->size);
	memcpy(buf, kdump_signature, sizeof(kdump_signature));
	// K1
	rd_put_uint(f, buf + 8, 4, KDUMP_HEADER_VERSION);
	memcpy(buf + 12, info->utsname, UTSNAME_SIZE);
	// tv_sec is a long: a 32-bit kernel's CRASHTIME fits in 32 bits.
	rd_put_uint(f, buf + m->timestamp, m->time_size, info->crashtime);
	rd_put_uint(f, buf + m->status, 4, status);
	rd_put_uint(f, buf + m->status + 4, 4, info->block_size);
	rd_put_uint(f, buf + m->status + 8, 4, layout->sub_hdr_size);
	rd_put_uint(f, buf + m->status + 12, 4, layout->bitmap_blocks);
	// K1
	rd_put_uint(f, buf + m->status + 16, 4,
		    info->max_mapnr > UINT32_MAX ? UINT32_MAX : info->max_mapnr);
	rd_put_uint(f, buf + m->status + 36, 4, info->nr_cpus);
}

void kdump_sub_header_encode(const struct kdump_header_info *info,
			     const struct kdump_layout *layout, uint8_t *buf)
{
	const struct sub_header_map *m = &sub_header_maps[info->abi];
	uint64_t v[SUB_FIELD_COUNT] = { 0 };
	v[SUB_PHYS_BASE] = info->phys_base;
	v[SUB_DUMP_LEVEL] = (uint32_t)info->dump_level;
	// Not a --split file: split, start_pfn and end_pfn stay 0.
	if (info->notes_size) {
		// K2: the notes follow the sub-header in block 1.
		uint64_t note_offset = info->block_size + layout->sub_header_size;
		v[SUB_OFFSET_NOTE] = note_offset;
		v[SUB_SIZE_NOTE] = info->notes_size;
		if (info->vmcoreinfo_size) {
			v[SUB_OFFSET_VMCOREINFO] =
				note_offset + info->vmcoreinfo_offset;
			v[SUB_SIZE_VMCOREINFO] = info->vmcoreinfo_size;
		}
	}
	v[SUB_MAX_MAPNR_64] = info->max_mapnr;
	memset(buf, 0, m->size);
	for (int i = 0; i < SUB_FIELD_COUNT; i++)
		rd_put_uint(&info->format, buf + m->field[i].offset,
			    m->field[i].size, v[i]);
}

/*
 * The first set bit of the window's 2nd bitmap at or after @pfn, or the
 * window's end.  Windows start at multiples of 8 (K9), so a byte of the
 * window is a byte of the file's bitmap.
 */
static uint64_t next_dumpable(const struct kdump_writer *w, uint64_t pfn)
{
	const uint8_t *b = w->win_dump;
	uint64_t end = w->win_end;
	if (pfn < w->win_start)
		pfn = w->win_start;
	// Bounded by the window's bits; whole zero bytes are skipped at once.
	while (pfn < end) {
		uint64_t bit = pfn - w->win_start;
		uint8_t byte = (uint8_t)(b[bit / 8] >> (bit % 8));
		if (byte) {
			uint64_t found = pfn + (uint64_t)__builtin_ctz(byte);
			return found < end ? found : end;
		}
		pfn = w->win_start + (bit / 8 + 1) * 8;
	}
	return end;
}

static struct crash_error *write_region(struct kdump_writer *w,
					uint64_t offset, const void *buf,
					size_t len)
{
	struct crash_error *err = dump_sink_write(w->sink, offset, buf, len);
	if (err) {
		w->failed = true;
		w->failed_errnum = err->errnum;
	}
	return err;
}

/*
 * K7: the data in the failed buffer [start, data_end) is not in the file:
 * clear the pending descriptors that point into it and count them lost.
 */
static void drop_pending_data(struct kdump_writer *w, uint64_t start)
{
	for (size_t i = 0; i < w->desc_count; i++) {
		uint8_t *d = w->desc_buf + i * PAGE_DESC_SIZE;
		uint64_t offset = rd_u64(&w->info.format, d);
		if (offset == 0 || offset < start)
			continue;
		uint32_t flags = rd_u32(&w->info.format, d + 12);
		if (w->info.shared_zero_page && offset == w->zero_offset)
			w->counts.zero_pages--;
		else if (flags)
			w->counts.compressed_pages--;
		else
			w->counts.raw_pages--;
		w->counts.pages--;
		w->counts.lost_pages++;
		memset(d, 0, PAGE_DESC_SIZE);
	}
	w->counts.data_bytes -= w->data_len;
	w->counts.shared_pages -= w->pending_shared;
	w->pending_shared = 0;
}

static struct crash_error *flush_data(struct kdump_writer *w)
{
	if (w->data_len == 0)
		return NULL;
	uint64_t start = w->data_end - w->data_len;
	struct crash_error *err = write_region(w, start, w->data_buf, w->data_len);
	if (err)
		drop_pending_data(w, start);
	w->data_len = 0;
	w->pending_shared = 0;
	return err;
}

/* K7, K8: the data first, then the descriptors that point at it. */
static struct crash_error *flush_descs(struct kdump_writer *w)
{
	struct crash_error *err = flush_data(w);
	if (err)
		return err;
	if (w->desc_count == 0)
		return NULL;
	err = write_region(w, w->layout.desc_offset + w->desc_first * PAGE_DESC_SIZE,
			   w->desc_buf, w->desc_count * PAGE_DESC_SIZE);
	w->desc_first += w->desc_count;
	w->desc_count = 0;
	return err;
}

static struct crash_error *add_desc(struct kdump_writer *w, uint64_t offset,
				    uint32_t size, uint32_t flags)
{
	uint8_t *d = w->desc_buf + w->desc_count * PAGE_DESC_SIZE;
	rd_put_uint(&w->info.format, d, 8, offset);
	rd_put_uint(&w->info.format, d + 8, 4, size);
	rd_put_uint(&w->info.format, d + 12, 4, flags);
	rd_put_uint(&w->info.format, d + 16, 8, 0);
	w->desc_count++;
	w->next_index++;
	if (w->desc_count == DESC_BATCH_COUNT)
		return flush_descs(w);
	return NULL;
}

/* Append to the data region (K8); returns the payload's file offset. */
static struct crash_error *add_data(struct kdump_writer *w, const void *buf,
				    size_t len, uint64_t *offset_ret)
{
	if (len > DATA_BUFFER_SIZE - w->data_len) {
		struct crash_error *err = flush_data(w);
		if (err)
			return err;
	}
	memcpy(w->data_buf + w->data_len, buf, len);
	w->data_len += len;
	*offset_ret = w->data_end;
	w->data_end += len;
	w->counts.data_bytes += len;
	return NULL;
}

static struct crash_error *writer_alloc(struct dump_sink *sink,
					const struct kdump_header_info *info,
					const struct kdump_layout *layout,
					uint64_t dumpable_count,
					struct kdump_writer **ret)
{
	struct kdump_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return &crash_enomem;
	w->sink = sink;
	w->info = *info;
	w->layout = *layout;
	w->codec_flag = codec_status_bit(info->codec);
	w->dumpable_count = dumpable_count;
	w->data_end = layout->data_offset;
	w->desc_buf = malloc((size_t)DESC_BATCH_COUNT * PAGE_DESC_SIZE);
	w->data_buf = malloc(DATA_BUFFER_SIZE);
	w->shares = calloc(SHARE_SLOTS, sizeof(*w->shares));
	if (!w->desc_buf || !w->data_buf || !w->shares) {
		kdump_writer_destroy(w);
		return &crash_enomem;
	}
	*ret = w;
	return NULL;
}

/* Block 0 and the sub-header blocks (K1, K2, K7). */
static struct crash_error *write_headers(struct kdump_writer *w)
{
	const struct kdump_header_info *info = &w->info;
	uint32_t bs = info->block_size;
	uint64_t len = (uint64_t)(1 + w->layout.sub_hdr_size) * bs;
	uint8_t *buf = calloc(1, len);
	if (!buf)
		return &crash_enomem;
	kdump_header_encode(info, &w->layout,
			    KDUMP_STATUS_INCOMPLETE | w->codec_flag, buf);
	kdump_sub_header_encode(info, &w->layout, buf + bs);
	if (info->notes_size)
		memcpy(buf + bs + w->layout.sub_header_size, info->notes,
		       info->notes_size);
	struct crash_error *err = write_region(w, 0, buf, len);
	free(buf);
	return err;
}

/* K3: @pad zero bytes closing the bitmap that starts at @base. */
static struct crash_error *write_bitmap_padding(struct kdump_writer *w,
						uint64_t base, uint64_t pad)
{
	if (pad == 0)
		return NULL;
	uint8_t *zeros = calloc(1, pad);
	if (!zeros)
		return &crash_enomem;
	struct crash_error *err = write_region(w, base + w->layout.len_one_bitmap - pad,
					       zeros, pad);
	free(zeros);
	return err;
}

struct crash_error *kdump_writer_open(struct dump_sink *sink,
				      const struct kdump_header_info *info,
				      uint64_t dumpable_count,
				      struct kdump_writer **ret)
{
	struct kdump_layout layout;
	struct crash_error *err = kdump_layout_compute(info, dumpable_count,
						       &layout);
	if (err)
		return err;
	if (dumpable_count > info->max_mapnr)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: %" PRIu64 " dumpable pages, more than max_mapnr %" PRIu64,
					  dumpable_count, info->max_mapnr);
	struct kdump_writer *w;
	err = writer_alloc(sink, info, &layout, dumpable_count, &w);
	if (err)
		return err;
	// K7: the header goes out first, marked incomplete.
	if ((err = write_headers(w)))
		goto fail;
	if (info->shared_zero_page) {
		// K6: the shared zero block opens the data region.
		memset(w->data_buf, 0, info->block_size);
		w->data_len = info->block_size;
		w->zero_offset = w->data_end;
		w->data_end += info->block_size;
		w->counts.data_bytes += info->block_size;
	}
	*ret = w;
	return NULL;
fail:
	kdump_writer_destroy(w);
	return err;
}

struct crash_error *kdump_writer_window(struct kdump_writer *w, uint64_t start,
					uint64_t count, const uint8_t *ram_bits,
					const uint8_t *dump_bits)
{
	uint64_t max = w->info.max_mapnr;
	if (w->failed)
		return crash_error_os(w->failed_errnum,
				      "kdump writer: %s: window at pfn 0x%" PRIx64 " not written: an earlier write failed",
				      dump_sink_name(w->sink), start);
	// K9: contiguous windows in order, each on a byte of the bitmaps.
	if (start != w->win_end || count == 0 || count > max - start ||
	    (start + count < max && count % 8 != 0))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: window of %" PRIu64 " pfns at 0x%" PRIx64 ", expected one at 0x%" PRIx64 " of a multiple of 8 pfns (or the last)",
					  count, start, w->win_end);
	// K4: every dumpable page of the last window was given (counted: the
	// caller may already have refilled the last window's bits).
	if (w->next_index != w->windowed_count)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: window at pfn 0x%" PRIx64 " opened before %" PRIu64 " dumpable pages of the last one were given",
					  start, w->windowed_count - w->next_index);
	uint64_t bytes = div_round_up(count, 8), dump_count = 0;
	bool last = start + count == max;
	unsigned int tail_bits = count % 8;
	// K3: no bit past max_mapnr.
	if (tail_bits && (dump_bits[bytes - 1] >> tail_bits))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: the dumpable bitmap has bits set past max_mapnr %" PRIu64,
					  max);
	if (tail_bits && (ram_bits[bytes - 1] >> tail_bits))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: the RAM bitmap has bits set past max_mapnr %" PRIu64,
					  max);
	for (uint64_t i = 0; i < bytes; i++)
		dump_count += (uint64_t)__builtin_popcount(dump_bits[i]);
	if (last && w->windowed_count + dump_count != w->dumpable_count)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: dumpable count %" PRIu64 ", but the dumpable bitmap has %" PRIu64 " bits set",
					  w->dumpable_count, w->windowed_count + dump_count);
	if (dump_count > w->dumpable_count - w->windowed_count)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: the dumpable bitmap has more than the %" PRIu64 " bits set the dump was opened with",
					  w->dumpable_count);
	for (uint64_t i = 0; i < bytes; i++) {
		// K4: the 2nd bitmap lies inside the 1st.
		uint8_t outside = (uint8_t)(dump_bits[i] & ~ram_bits[i]);
		if (outside)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "kdump writer: pfn 0x%" PRIx64 " is dumpable but not RAM",
						  start + i * 8 + (uint64_t)__builtin_ctz(outside));
	}
	// Each bitmap's bytes, and with the last window its padding (K3),
	// in file order: a stream gets few, large records (K8).
	uint64_t at = start / 8, len_one = w->layout.len_one_bitmap;
	for (int b = 0; b < 2; b++) {
		uint64_t base = w->layout.bitmap_offset + (uint64_t)b * len_one;
		struct crash_error *err = write_region(w, base + at,
						       b ? dump_bits : ram_bits, bytes);
		if (!err && last)
			err = write_bitmap_padding(w, base, len_one - at - bytes);
		if (err)
			return err;
	}
	w->windowed_count += dump_count;
	w->win_dump = dump_bits;
	w->win_start = start;
	w->win_end = start + count;
	return NULL;
}

struct crash_error *kdump_writer_create(struct dump_sink *sink,
					const struct kdump_header_info *info,
					const uint8_t *ram_bitmap,
					const uint8_t *dump_bitmap,
					uint64_t dumpable_count,
					struct kdump_writer **ret)
{
	struct kdump_writer *w;
	struct crash_error *err = kdump_writer_open(sink, info, dumpable_count, &w);
	if (err)
		return err;
	uint64_t bytes = div_round_up(info->max_mapnr, 8);
	w->owned_bitmap = malloc(bytes ? bytes : 1);
	if (!w->owned_bitmap) {
		kdump_writer_destroy(w);
		return &crash_enomem;
	}
	memcpy(w->owned_bitmap, dump_bitmap, bytes);
	if (info->max_mapnr &&
	    (err = kdump_writer_window(w, 0, info->max_mapnr, ram_bitmap,
				       w->owned_bitmap))) {
		kdump_writer_destroy(w);
		return err;
	}
	*ret = w;
	return NULL;
}

/* K4: @pfn must be the next set bit of the 2nd bitmap. */
static struct crash_error *check_next(struct kdump_writer *w, uint64_t pfn)
{
	if (w->finished)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pfn 0x%" PRIx64 " given after finish",
					  pfn);
	if (w->failed)
		return crash_error_os(w->failed_errnum,
				      "kdump writer: %s: pfn 0x%" PRIx64 " not written: an earlier write failed",
				      dump_sink_name(w->sink), pfn);
	uint64_t want = next_dumpable(w, w->scan_pfn);
	if (want >= w->win_end && w->win_end == w->info.max_mapnr)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pfn 0x%" PRIx64 " given after all %" PRIu64 " dumpable pages",
					  pfn, w->dumpable_count);
	if (want >= w->win_end)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pfn 0x%" PRIx64 " given past the window that ends at pfn 0x%" PRIx64,
					  pfn, w->win_end);
	if (pfn != want)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pfn 0x%" PRIx64 " given, expected pfn 0x%" PRIx64 " (the next set bit of the dumpable bitmap)",
					  pfn, want);
	return NULL;
}

/* K10: the table entry for @payload (FNV-1a of its bytes). */
static struct share_entry *share_lookup(struct kdump_writer *w,
					const uint8_t *payload, uint32_t size)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < size; i++)
		h = (h ^ payload[i]) * 16777619u;
	return &w->shares[(h ^ h >> 16) % SHARE_SLOTS];
}

struct crash_error *kdump_writer_page(struct kdump_writer *w, uint64_t pfn,
				      bool is_zero, const uint8_t *payload,
				      uint32_t size, uint32_t flags)
{
	struct crash_error *err = check_next(w, pfn);
	if (err)
		return err;
	uint32_t bs = w->info.block_size;
	if (is_zero && !w->info.shared_zero_page)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: pfn 0x%" PRIx64 " given as a zero page, but the dump has no shared zero block",
					  pfn);
	if (!is_zero) {
		// K5
		if (flags == 0 && size != bs)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "kdump writer: pfn 0x%" PRIx64 ": raw payload of %" PRIu32 " bytes, expected the block size %" PRIu32,
						  pfn, size, bs);
		if (flags != 0 && flags != w->codec_flag)
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "kdump writer: pfn 0x%" PRIx64 ": flags 0x%" PRIx32 ", expected 0 or 0x%" PRIx32 " (%s)",
						  pfn, flags, w->codec_flag,
						  codec_name(w->info.codec));
		if (flags != 0 && (size == 0 || size >= bs))
			return crash_error_create(CRASH_ERR_CORRUPT,
						  "kdump writer: pfn 0x%" PRIx64 ": compressed payload of %" PRIu32 " bytes, expected 1 to %" PRIu32,
						  pfn, size, bs - 1);
	}

	w->scan_pfn = pfn + 1;
	if (is_zero) {
		// K6
		w->counts.pages++;
		w->counts.zero_pages++;
		return add_desc(w, w->zero_offset, bs, 0);
	}
	struct share_entry *e = flags && size <= SHARE_MAX_SIZE
				? share_lookup(w, payload, size) : NULL;
	bool share = e && e->offset && e->size == size && e->flags == flags &&
		     memcmp(e->bytes, payload, size) == 0;
	uint64_t offset;
	if (share) {
		offset = e->offset;
		w->counts.shared_pages++;
		// K7, K10: lost with the pending data if its write fails.
		if (offset >= w->data_end - w->data_len)
			w->pending_shared++;
	} else if ((err = add_data(w, payload, size, &offset))) {
		// The page's data is not out: it is lost (K7).
		w->counts.lost_pages++;
		return err;
	} else if (e) {
		e->offset = offset;
		e->size = size;
		e->flags = flags;
		memcpy(e->bytes, payload, size);
	}
	w->counts.pages++;
	if (flags)
		w->counts.compressed_pages++;
	else
		w->counts.raw_pages++;
	return add_desc(w, offset, size, flags);
}

struct crash_error *kdump_writer_lost(struct kdump_writer *w, uint64_t pfn)
{
	struct crash_error *err = check_next(w, pfn);
	if (err)
		return err;
	w->scan_pfn = pfn + 1;
	w->counts.lost_pages++;
	// K7: offset 0 marks the page lost.
	return add_desc(w, 0, 0, 0);
}

struct crash_error *kdump_writer_finish(struct kdump_writer *w,
					bool *complete_ret)
{
	if (w->finished)
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "kdump writer: finish called twice");
	if (w->failed)
		return crash_error_os(w->failed_errnum,
				      "kdump writer: %s: an earlier write failed; the dump stays marked incomplete",
				      dump_sink_name(w->sink));
	struct crash_error *err = flush_descs(w);
	if (err)
		return err;
	w->finished = true;
	bool complete = w->next_index == w->dumpable_count &&
			w->counts.lost_pages == 0;
	if (complete) {
		// K7: everything durable first, then the header without 0x8.
		if ((err = dump_sink_sync(w->sink)))
			return err;
		uint8_t header[KDUMP_MAX_HEADER_SIZE];
		kdump_header_encode(&w->info, &w->layout, w->codec_flag, header);
		if ((err = write_region(w, 0, header, w->layout.header_size)))
			return err;
	}
	*complete_ret = complete;
	return NULL;
}

void kdump_writer_destroy(struct kdump_writer *w)
{
	if (!w)
		return;
	free(w->owned_bitmap);
	free(w->desc_buf);
	free(w->data_buf);
	free(w->shares);
	free(w);
}

void kdump_writer_counts(const struct kdump_writer *w,
			 struct kdump_writer_counts *ret)
{
	*ret = w->counts;
}
