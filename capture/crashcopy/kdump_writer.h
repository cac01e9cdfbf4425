/*
 * kdump_writer.h - the kdump-compressed ("KDUMP   ") writer.
 *
 * Layout (spec dump-formats.md §1): block 0 the disk_dump_header
 * (header_version 6), block 1 the kdump_sub_header followed by a verbatim
 * copy of the source's notes, then two bitmaps (1st: RAM, 2nd: dumpable),
 * then one 24-byte page_desc per set bit of the 2nd bitmap in pfn order,
 * then page data (the shared zero block first when dump level bit 1 is
 * set).  Every field is in the crashed machine's byte order and C ABI
 * (LP64, or i386's packed ILP32).
 *
 * Nothing lost: the header goes out first with DUMP_DH_COMPRESSED_INCOMPLETE
 * (0x8) set; kdump_writer_finish() clears it with a final write once every
 * page is out.  A page that cannot be read is "lost": its descriptor keeps
 * offset 0, which no real page can have.
 *
 * Pages are given in increasing pfn order, exactly the set bits of the 2nd
 * bitmap; the writer checks both.
 */
#ifndef CRASHKIT_KDUMP_WRITER_H
#define CRASHKIT_KDUMP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/error.h"
#include "../../lib/rd.h"
#include "codec.h"
#include "dump_sink.h"

enum { KDUMP_STATUS_INCOMPLETE = 0x8 };

/** The C ABI of the crashed machine's headers. */
enum kdump_abi {
	KDUMP_ABI_LP64,		/* x86_64, arm64, ppc64, s390x, riscv64 */
	KDUMP_ABI_ILP32_PACKED,	/* i386: u64 aligned to 4 */
	KDUMP_ABI_ILP32_PADDED,	/* arm, mips: u64 aligned to 8 */
};

/** What goes into the headers.  Pointers are borrowed until finish. */
struct kdump_header_info {
	struct rd_format format;	/* byte order (and pointer width) */
	enum kdump_abi abi;
	uint32_t block_size;		/* the crashed kernel's page size */
	uint64_t max_mapnr;		/* pfns covered by the bitmaps */
	uint8_t utsname[390];		/* new_utsname: 6 x 65 bytes */
	uint64_t crashtime;		/* timestamp tv_sec (CRASHTIME) */
	uint32_t nr_cpus;		/* NT_PRSTATUS notes */
	uint64_t phys_base;		/* NUMBER(phys_base), two's complement */
	int32_t dump_level;
	enum codec_kind codec;
	const uint8_t *notes;		/* the source PT_NOTE bytes, verbatim */
	size_t notes_size;
	uint64_t vmcoreinfo_offset;	/* of the VMCOREINFO desc in @notes */
	uint64_t vmcoreinfo_size;	/* 0: none */
	bool shared_zero_page;		/* dump level bit 1: one zero block */
};

struct kdump_writer;

/**
 * kdump_writer_open() - write the headers (incomplete bit set) of a dump
 * of @dumpable_count pages and start its data region.  The bitmaps follow
 * in windows (kdump_writer_window()), each before its pages (K9).
 */
struct crash_error *kdump_writer_open(struct dump_sink *sink,
				      const struct kdump_header_info *info,
				      uint64_t dumpable_count,
				      struct kdump_writer **ret);

/**
 * kdump_writer_window() - the RAM and dumpable bitmaps of pfns [@start,
 * @start + @count): bit (pfn - @start) of each, LSB first.  Windows are
 * contiguous from pfn 0 to max_mapnr; @start a multiple of 8, @count too
 * unless the window is the last.  The pages given next must be this
 * window's; @dump_bits must stay valid until the next window or finish.
 * Errors: CORRUPT when the windows or their bits contradict the dump
 * (order, dumpable outside RAM, more set bits than the dumpable count, a
 * page of the last window not given), OS from the sink.
 */
struct crash_error *kdump_writer_window(struct kdump_writer *w, uint64_t start,
					uint64_t count, const uint8_t *ram_bits,
					const uint8_t *dump_bits);

/**
 * kdump_writer_create() - kdump_writer_open() and one window of all
 * max_mapnr bits.  @dumpable_count is the number of set bits in
 * @dump_bitmap (checked).  The bitmaps are copied.
 */
struct crash_error *kdump_writer_create(struct dump_sink *sink,
					const struct kdump_header_info *info,
					const uint8_t *ram_bitmap,
					const uint8_t *dump_bitmap,
					uint64_t dumpable_count,
					struct kdump_writer **ret);

/**
 * kdump_writer_page() - the next dumpable page: @pfn and its already
 * compressed payload (from codec_page(); flags 0 means raw, @size must then
 * be the block size).  With shared_zero_page, pass @is_zero for an all-zero
 * page: it points at the shared block and @payload is ignored.
 */
struct crash_error *kdump_writer_page(struct kdump_writer *w, uint64_t pfn,
				      bool is_zero, const uint8_t *payload,
				      uint32_t size, uint32_t flags);

/*
 * Writes are buffered (descriptors in batches, data in large appends), so
 * a sink error may surface at a later call or at finish.  Pages whose data
 * was not written are counted lost; after an error every call fails and
 * the dump keeps its incomplete bit.
 */

/** kdump_writer_lost() - the next dumpable page could not be read. */
struct crash_error *kdump_writer_lost(struct kdump_writer *w, uint64_t pfn);

/**
 * kdump_writer_finish() - flush descriptors; when every dumpable page was
 * given and none was lost, clear the incomplete bit (a file: pwrite of the
 * header; a stream: a final header record).  *@complete_ret says whether
 * the dump is complete.  The sink is not finished here.
 */
struct crash_error *kdump_writer_finish(struct kdump_writer *w,
					bool *complete_ret);

void kdump_writer_destroy(struct kdump_writer *w);

/**
 * struct kdump_layout - where each region of the file starts (spec §1.1),
 * computed from the header info and the dumpable count alone.
 */
struct kdump_layout {
	uint64_t header_size;		/* disk_dump_header: 464, ILP32 452 */
	uint64_t sub_header_size;	/* kdump_sub_header: 104, 80 or 96 */
	uint32_t sub_hdr_size;		/* blocks from block 1: sub-header + notes */
	uint64_t len_one_bitmap;	/* bytes of each bitmap, whole blocks */
	uint32_t bitmap_blocks;		/* blocks of both bitmaps */
	uint64_t bitmap_offset;		/* the 1st bitmap; the 2nd follows */
	uint64_t desc_offset;		/* the page_desc table */
	uint64_t data_offset;		/* page data (the shared zero block first) */
};

/**
 * kdump_layout_compute() - check @info (block size, ABI and pointer size,
 * note sizes, max_mapnr) and place the regions for @dumpable_count pages.
 * Errors: UNSUPPORTED (a value out of range), CORRUPT (arguments that
 * contradict each other, such as a VMCOREINFO range outside the notes).
 * kdump_writer_create() calls it; tests use it for sizes no test can
 * allocate (max_mapnr past 2^32).
 */
struct crash_error *kdump_layout_compute(const struct kdump_header_info *info,
					 uint64_t dumpable_count,
					 struct kdump_layout *ret);

/**
 * kdump_header_encode() - the disk_dump_header with @status into the
 * layout->header_size bytes at @buf; kdump_sub_header_encode() the
 * kdump_sub_header into layout->sub_header_size bytes.  @info and @layout
 * must have passed kdump_layout_compute().
 */
void kdump_header_encode(const struct kdump_header_info *info,
			 const struct kdump_layout *layout, uint32_t status,
			 uint8_t *buf);
void kdump_sub_header_encode(const struct kdump_header_info *info,
			     const struct kdump_layout *layout, uint8_t *buf);

/** Counts so far (for progress and the --json summary). */
struct kdump_writer_counts {
	uint64_t pages, zero_pages, raw_pages, compressed_pages, lost_pages;
	uint64_t data_bytes;
	// Compressed pages whose descriptor points at an earlier page's
	// identical payload (K10); also counted in compressed_pages.
	uint64_t shared_pages;
};
void kdump_writer_counts(const struct kdump_writer *w,
			 struct kdump_writer_counts *ret);

#endif
