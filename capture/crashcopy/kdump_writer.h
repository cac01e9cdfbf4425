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
 * kdump_writer_create() - write the headers (incomplete bit set) and both
 * bitmaps.  @ram_bitmap and @dump_bitmap have max_mapnr bits, LSB first;
 * @dumpable_count is the number of set bits in @dump_bitmap (checked).
 * The bitmaps are copied.
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

/** Counts so far (for progress and the --json summary). */
struct kdump_writer_counts {
	uint64_t pages, zero_pages, raw_pages, compressed_pages, lost_pages;
	uint64_t data_bytes;
};
void kdump_writer_counts(const struct kdump_writer *w,
			 struct kdump_writer_counts *ret);

#endif
