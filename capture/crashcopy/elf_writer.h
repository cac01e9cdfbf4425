/*
 * elf_writer.h - crashcopy -E: a filtered ELF core (spec dump-formats.md §3).
 *
 * Layout: the ELF header (the source's class, machine and byte order), one
 * PT_NOTE and N PT_LOAD program headers, the notes verbatim, then the
 * segments' bytes packed one after another (no page alignment), as
 * makedumpfile -E writes them.
 *
 * Each source PT_LOAD becomes one or more output PT_LOADs.  Walking its
 * pages with the dump bitmap:
 *  1. a run of fewer than ELF_WRITER_EXCLUDED_SPLIT excluded pages stays
 *     inside the PT_LOAD (a new program header costs more); crashcopy
 *     writes those pages as zeros, never their bytes;
 *  2. a run of at least that many closes the current PT_LOAD: the run
 *     becomes its tail as p_memsz > p_filesz, and the next kept page starts
 *     a new PT_LOAD;
 *  3. excluded pages at the end of a segment are p_memsz > p_filesz too;
 *     a segment with no kept page is one PT_LOAD with p_filesz 0.
 * Readers (crash, gdb, libkdumpfile, drgn) return zeros past p_filesz, so
 * an excluded page of an ELF dump cannot be told from a zero page.
 *
 * Nothing lost: the header goes out first with e_flags bit 0 set (the
 * "incomplete" mark crash warns about); elf_writer_finish() rewrites it
 * with the source's flags once every byte is out.
 *
 * The writer does not read memory: the caller copies each load's
 * [paddr, paddr + file_size) to file_offset through elf_writer_data().
 */
#ifndef CRASHKIT_ELF_WRITER_H
#define CRASHKIT_ELF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/error.h"
#include "../../lib/rd.h"
#include "../../lib/vmcore.h"
#include "dump_sink.h"

/** makedumpfile's PFN_EXCLUDED: a shorter excluded run stays in the load. */
enum { ELF_WRITER_EXCLUDED_SPLIT = 256 };

/** What the writer needs; everything is borrowed during create only. */
struct elf_writer_info {
	struct rd_format format;	/* byte order */
	int elf_class;			/* ELFCLASS32 or ELFCLASS64 */
	uint16_t machine;		/* e_machine, kept */
	uint32_t page_size;
	const uint8_t *notes;		/* PT_NOTE bytes */
	size_t notes_size;
	const struct vmcore_segment *segments;	/* source PT_LOADs */
	size_t segment_count;
	const uint8_t *dump_bitmap;	/* 1 = keep, bit pfn, LSB first */
	uint64_t max_mapnr;		/* bits in @dump_bitmap */
};

/** One output PT_LOAD. */
struct elf_writer_load {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t file_offset;	/* 0 when file_size is 0 */
	uint64_t file_size;
	uint64_t mem_size;
};

struct elf_writer;

/**
 * elf_writer_create() - plan the output PT_LOADs and write the headers
 * (incomplete mark set) and the notes.  Errors: NOMEM, UNSUPPORTED (more
 * than 65534 program headers, or an address an ELF32 header cannot hold),
 * the sink's OS errors.
 */
struct crash_error *elf_writer_create(struct dump_sink *sink,
				      const struct elf_writer_info *info,
				      struct elf_writer **ret);

/** The planned loads, in file order; borrowed while the writer lives. */
const struct elf_writer_load *elf_writer_loads(const struct elf_writer *w,
					       size_t *count_ret);

/** Bytes of segment data the file will hold (the sum of file sizes). */
uint64_t elf_writer_data_size(const struct elf_writer *w);

/** elf_writer_data() - place @len bytes of load data at @file_offset. */
struct crash_error *elf_writer_data(struct elf_writer *w, uint64_t file_offset,
				    const void *buf, size_t len);

/**
 * elf_writer_finish() - when @complete, rewrite the header without the
 * incomplete mark.  The sink is not finished here.
 */
struct crash_error *elf_writer_finish(struct elf_writer *w, bool complete);

void elf_writer_destroy(struct elf_writer *w);

#endif
