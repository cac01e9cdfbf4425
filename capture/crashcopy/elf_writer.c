/*
 * elf_writer.c - the filtered ELF core of crashcopy -E (elf_writer.h).
 *
 * Header fields are stored with rd_put_uint() in the crashed machine's byte
 * order; offsets below are the ELF specification's (gABI "ELF Header",
 * "Program Header"), for ELFCLASS64 and ELFCLASS32.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "elf_writer.h"

/* gABI sizes and field offsets. */
enum {
	EHDR64_SIZE = 64, PHDR64_SIZE = 56,
	EHDR32_SIZE = 52, PHDR32_SIZE = 32,
	/* PN_XNUM would need section header 0: not written (elf_writer.h). */
	MAX_PHNUM = 0xfffe,
	E_FLAGS_INCOMPLETE = 1,	/* makedumpfile's mark, read by crash */
};

struct elf_writer {
	struct dump_sink *sink;
	struct rd_format format;
	int elf_class;
	uint16_t machine;
	struct elf_writer_load *loads;
	size_t load_count, load_capacity;
	uint64_t data_size;
	uint8_t *header;	/* ELF header + program headers + notes */
	size_t header_size;
	size_t ehdr_size;
};

static struct crash_error *add_load(struct elf_writer *w, uint64_t paddr,
				    uint64_t vaddr, uint64_t file_size,
				    uint64_t mem_size)
{
	if (w->load_count == w->load_capacity) {
		size_t n = w->load_capacity ? 2 * w->load_capacity : 64;
		struct elf_writer_load *l = realloc(w->loads, n * sizeof(*l));
		if (!l)
			return &crash_enomem;
		w->loads = l;
		w->load_capacity = n;
	}
	if (w->load_count >= MAX_PHNUM - 1)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "elf output: more than %d PT_LOADs needed",
					  MAX_PHNUM - 1);
	w->loads[w->load_count++] = (struct elf_writer_load){
		.paddr = paddr, .vaddr = vaddr, .file_size = file_size,
		.mem_size = mem_size,
	};
	return NULL;
}

static bool page_kept(const struct elf_writer_info *info, uint64_t pfn)
{
	return pfn < info->max_mapnr &&
	       (info->dump_bitmap[pfn >> 3] >> (pfn & 7) & 1);
}

/*
 * Split one source segment by the rules of elf_writer.h (1)-(3).  The walk
 * is bounded by the segment's pages; bytes are kept exact at the segment's
 * ends, which need not be page-aligned.
 */
static struct crash_error *plan_segment(struct elf_writer *w,
					const struct elf_writer_info *info,
					const struct vmcore_segment *seg)
{
	uint64_t ps = info->page_size, start = seg->paddr, end;
	if (seg->mem_size == 0)
		return NULL;
	if (__builtin_add_overflow(seg->paddr, seg->mem_size, &end))
		return crash_error_create(CRASH_ERR_CORRUPT,
					  "elf output: PT_LOAD at 0x%" PRIx64 " size 0x%" PRIx64 " wraps",
					  seg->paddr, seg->mem_size);
	uint64_t load_start = start, kept_end = start, excluded_run = 0;
	bool any_kept = false;
	struct crash_error *err;
	for (uint64_t pfn = start / ps; pfn <= (end - 1) / ps; pfn++) {
		uint64_t lo = pfn * ps > start ? pfn * ps : start;
		uint64_t hi = (pfn + 1) * ps < end ? (pfn + 1) * ps : end;
		if (!page_kept(info, pfn)) {
			excluded_run++;
			continue;
		}
		if (excluded_run >= ELF_WRITER_EXCLUDED_SPLIT) {
			// (2): the run becomes the tail of the load so far.
			err = add_load(w, load_start, seg->vaddr + (load_start - start),
				       any_kept ? kept_end - load_start : 0,
				       lo - load_start);
			if (err)
				return err;
			load_start = lo;
		}
		excluded_run = 0;
		kept_end = hi;
		any_kept = true;
	}
	// (3): trailing exclusions are p_memsz > p_filesz.
	return add_load(w, load_start, seg->vaddr + (load_start - start),
			any_kept && kept_end > load_start ? kept_end - load_start : 0,
			end - load_start);
}

static void put_ehdr(const struct elf_writer *w, uint8_t *b, size_t phnum,
		     uint32_t flags)
{
	const struct rd_format *f = &w->format;
	bool is64 = w->elf_class == ELFCLASS64;
	memset(b, 0, w->ehdr_size);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = (uint8_t)w->elf_class;
	b[EI_DATA] = f->byte_order == RD_LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB;
	b[EI_VERSION] = EV_CURRENT;
	rd_put_uint(f, b + 16, 2, ET_CORE);
	rd_put_uint(f, b + 18, 2, w->machine);
	rd_put_uint(f, b + 20, 4, EV_CURRENT);
	if (is64) {
		rd_put_uint(f, b + 32, 8, EHDR64_SIZE);	/* e_phoff */
		rd_put_uint(f, b + 48, 4, flags);
		rd_put_uint(f, b + 52, 2, EHDR64_SIZE);
		rd_put_uint(f, b + 54, 2, PHDR64_SIZE);
		rd_put_uint(f, b + 56, 2, phnum);
	} else {
		rd_put_uint(f, b + 28, 4, EHDR32_SIZE);	/* e_phoff */
		rd_put_uint(f, b + 36, 4, flags);
		rd_put_uint(f, b + 40, 2, EHDR32_SIZE);
		rd_put_uint(f, b + 42, 2, PHDR32_SIZE);
		rd_put_uint(f, b + 44, 2, phnum);
	}
}

static void put_phdr(const struct elf_writer *w, uint8_t *b, uint32_t type,
		     uint32_t flags, uint64_t offset, uint64_t vaddr,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	const struct rd_format *f = &w->format;
	if (w->elf_class == ELFCLASS64) {
		rd_put_uint(f, b + 0, 4, type);
		rd_put_uint(f, b + 4, 4, flags);
		rd_put_uint(f, b + 8, 8, offset);
		rd_put_uint(f, b + 16, 8, vaddr);
		rd_put_uint(f, b + 24, 8, paddr);
		rd_put_uint(f, b + 32, 8, filesz);
		rd_put_uint(f, b + 40, 8, memsz);
		rd_put_uint(f, b + 48, 8, 0);
	} else {
		rd_put_uint(f, b + 0, 4, type);
		rd_put_uint(f, b + 4, 4, offset);
		rd_put_uint(f, b + 8, 4, vaddr);
		rd_put_uint(f, b + 12, 4, paddr);
		rd_put_uint(f, b + 16, 4, filesz);
		rd_put_uint(f, b + 20, 4, memsz);
		rd_put_uint(f, b + 24, 4, flags);
		rd_put_uint(f, b + 28, 4, 0);
	}
}

struct crash_error *elf_writer_create(struct dump_sink *sink,
				      const struct elf_writer_info *info,
				      struct elf_writer **ret)
{
	struct crash_error *err = NULL;
	struct elf_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return &crash_enomem;
	w->sink = sink;
	w->format = info->format;
	w->elf_class = info->elf_class;
	w->machine = info->machine;
	if (info->elf_class != ELFCLASS32 && info->elf_class != ELFCLASS64) {
		err = crash_error_create(CRASH_ERR_UNSUPPORTED,
					 "elf output: ELF class %d", info->elf_class);
		goto fail;
	}
	for (size_t i = 0; i < info->segment_count; i++) {
		err = plan_segment(w, info, &info->segments[i]);
		if (err)
			goto fail;
	}

	bool is64 = info->elf_class == ELFCLASS64;
	size_t phsize = is64 ? PHDR64_SIZE : PHDR32_SIZE;
	w->ehdr_size = is64 ? EHDR64_SIZE : EHDR32_SIZE;
	size_t phnum = 1 + w->load_count;
	// phnum <= MAX_PHNUM and notes_size <= VMCORE_MAX_NOTES_SIZE: no overflow.
	w->header_size = w->ehdr_size + phnum * phsize + info->notes_size;
	w->header = calloc(1, w->header_size);
	if (!w->header) {
		err = &crash_enomem;
		goto fail;
	}
	uint64_t offset = w->header_size;
	for (size_t i = 0; i < w->load_count; i++) {
		struct elf_writer_load *l = &w->loads[i];
		l->file_offset = l->file_size ? offset : 0;
		offset += l->file_size;
		w->data_size += l->file_size;
		if (!is64 && (l->paddr + l->mem_size > UINT32_MAX + 1ULL ||
			      offset > UINT32_MAX)) {
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "elf output: PT_LOAD at 0x%" PRIx64
						 " does not fit an ELF32 header", l->paddr);
			goto fail;
		}
	}

	put_ehdr(w, w->header, phnum, E_FLAGS_INCOMPLETE);
	uint8_t *ph = w->header + w->ehdr_size;
	put_phdr(w, ph, PT_NOTE, 0, w->ehdr_size + phnum * phsize, 0, 0,
		 info->notes_size, info->notes_size);
	for (size_t i = 0; i < w->load_count; i++) {
		const struct elf_writer_load *l = &w->loads[i];
		put_phdr(w, ph + (i + 1) * phsize, PT_LOAD, PF_R | PF_W | PF_X,
			 l->file_offset, l->vaddr, l->paddr, l->file_size,
			 l->mem_size);
	}
	if (info->notes_size)
		memcpy(ph + phnum * phsize, info->notes, info->notes_size);
	err = dump_sink_write(sink, 0, w->header, w->header_size);
	if (err)
		goto fail;
	*ret = w;
	return NULL;

fail:
	elf_writer_destroy(w);
	return err;
}

const struct elf_writer_load *elf_writer_loads(const struct elf_writer *w,
					       size_t *count_ret)
{
	*count_ret = w->load_count;
	return w->loads;
}

uint64_t elf_writer_data_size(const struct elf_writer *w)
{
	return w->data_size;
}

struct crash_error *elf_writer_data(struct elf_writer *w, uint64_t file_offset,
				    const void *buf, size_t len)
{
	return dump_sink_write(w->sink, file_offset, buf, len);
}

struct crash_error *elf_writer_finish(struct elf_writer *w, bool complete)
{
	if (!complete)
		return NULL;
	put_ehdr(w, w->header, 1 + w->load_count, 0);
	return dump_sink_write(w->sink, 0, w->header, w->ehdr_size);
}

void elf_writer_destroy(struct elf_writer *w)
{
	if (!w)
		return;
	free(w->loads);
	free(w->header);
	free(w);
}
