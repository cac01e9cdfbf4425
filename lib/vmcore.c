/*
 * vmcore.c - an ELF core of a crashed machine, read by physical address.
 *
 * What it is: /proc/vmcore in the capture kernel, or a copy of it (cp,
 * makedumpfile -E, QEMU dump-guest-memory, virsh dump --memory-only).  The
 * kernel builds it in fs/proc/vmcore.c from the ELF headers that kexec-tools
 * or kexec_file_load (crash_prepare_elf64_headers) prepared: one ELF header,
 * a PT_NOTE holding every CPU's "CORE"/NT_PRSTATUS note and the
 * "VMCOREINFO" note, and a PT_LOAD per range of RAM.  Other producers may
 * write several PT_NOTEs, pad a note segment with zeros, leave PT_LOADs
 * unsorted or overlapping (x86_64 kexec_file_load adds a kernel-text
 * segment covering RAM that the direct-map segment also covers), or give
 * p_memsz > p_filesz (zero pages not stored).
 *
 * Structure of struct vmcore, built by vmcore_open() in this order:
 *  - the ELF header (our own pread of e_ident for precise messages, then
 *    libelf's gelf for the header and the program headers);
 *  - the notes: each PT_NOTE's bytes are read into a buffer and walked with
 *    a struct rd_cursor; struct vmcore_note entries point into the buffers,
 *    names are NUL-terminated copies in one arena;
 *  - the PT_LOAD list (public, file order) and the *map*: a sorted array of
 *    disjoint physical intervals, each saying which segment supplies those
 *    bytes and how (file bytes, zero fill, or missing because the file is
 *    truncated).  Lookups bsearch the map.  Where segments overlap, file
 *    bytes beat zero fill beat missing, and among equals the segment that
 *    comes first in the file wins.  The map is built by a sweep over the
 *    segments' boundaries with a heap, O(n log n) for n PT_LOADs, so a
 *    hostile core with 65536 nested segments costs milliseconds;
 *  - a page cache of CACHE_PAGE_COUNT file pages for small reads (reads of
 *    a page or more go straight to pread);
 *  - VMCORE_MAP_WINDOWS mmap() windows of the file for vmcore_map_phys(),
 *    least recently used recycled; an mmap() failure turns them off;
 *  - optionally, the set of physical pages read, for vmcore_write_minimal().
 *
 * Numbering in messages: "PT_NOTE n" and "PT_LOAD n" use the program header
 * index n (as readelf -l counts); "note m" counts notes from 0 within their
 * segment.
 *
 * Validity conditions (vmcore_open() fails with CORRUPT naming the field,
 * unless a repair is stated):
 *  1. e_ident: ELF magic, class ELFCLASS32/64, data ELFDATA2LSB/MSB,
 *     EI_VERSION EV_CURRENT; the file holds a whole ELF header.
 *  2. e_type is ET_CORE (else UNSUPPORTED: an ELF, but not a core).
 *  3. 0 < phnum <= VMCORE_MAX_PHDRS; e_phentsize is the class's Phdr size;
 *     the program headers lie inside the file.  For e_phnum PN_XNUM the
 *     count is section 0's sh_info, which must lie inside the file too.
 *  4. Each PT_NOTE lies inside the file; p_filesz <= VMCORE_MAX_NOTES_SIZE,
 *     and so does the sum over all PT_NOTEs (our limit, so that 65536
 *     headers naming the same 64 MiB cannot make us allocate 4 TiB).
 *  5. Notes: a 12-byte header (n_namesz, n_descsz, n_type, in the dump's
 *     byte order), then the name and the desc, each padded to 4 bytes.
 *     n_namesz and n_descsz are compared with what is left of the segment
 *     by subtraction before anything moves.  A header of three zero words,
 *     or fewer than 12 zero bytes, ends the segment (a zero-padded tail);
 *     a missing last padding is tolerated.  A note that does not fit does
 *     not fail the open: it ends its segment, the notes before it are
 *     kept, and a warning names it.
 *  6. PT_LOAD: p_paddr + p_memsz does not pass 2^64.  p_filesz > p_memsz
 *     is repaired to p_memsz with a warning.  A file range past EOF is
 *     clipped; the clipped part reads as FAULT, never as zeros; one warning
 *     gives the counts.
 *  7. Several VMCOREINFO notes: the first is used, a warning says so.
 *
 * Pointer width comes from e_machine, not the class: i386 PAE cores are
 * ELF64 with EM_386 (kexec-tools commit 53e81b4 fixed that very bug).
 * Machines whose width follows their class (MIPS, RISC-V, LoongArch, s390,
 * PA-RISC) take it from the class; an unknown machine too, with a warning.
 *
 * What a crash leaves half-done here: a dump written by cp or makedumpfile
 * that ran out of space is truncated anywhere.  Truncation inside the
 * headers or notes is fatal (conditions 1-5); inside PT_LOAD data it is
 * normal and only the missing bytes fail (condition 6).
 */
#include "vmcore.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_io.h"

/** Cache and tracking granularity: 4 KiB, the smallest page of any arch. */
enum { PAGE_BITS = 12, PAGE_BYTES = 1 << PAGE_BITS };
static const uint64_t PAGE_MASK_LOW = PAGE_BYTES - 1;
enum { CACHE_PAGE_COUNT = 16 };
/** Tracked page ranges kept; past this, gaps are merged (see track_add()). */
enum { TRACK_MAX_RANGES = 4096 };
/** Chunk used to copy memory into a minimal core. */
enum { COPY_CHUNK_SIZE = 1 << 16 };
/** Bytes of an ELF note header: n_namesz, n_descsz, n_type. */
enum { NOTE_HEADER_SIZE = 12 };
/** NT_PRSTATUS, the type of the per-CPU "CORE" notes. */
enum { NOTE_TYPE_PRSTATUS = 1 };

/* How a map interval's bytes are supplied; lower values win overlaps. */
enum piece_kind { PIECE_FILE, PIECE_ZERO, PIECE_MISSING };

/* [start, end) of physical memory served by one segment in one way. */
struct map_interval {
	uint64_t start;
	uint64_t end;
	size_t segment;
	enum piece_kind kind;
};

/* One mmap() window of the file: [offset, offset + size). */
struct map_window {
	uint8_t *base;		/* NULL: empty */
	uint64_t offset;
	size_t size;
	uint64_t last_use;
};

struct cache_page {
	uint64_t file_page;	/* file offset of data[0] */
	size_t valid;		/* bytes read: less than a page at EOF */
	uint64_t last_use;	/* 0: empty */
	uint8_t data[PAGE_BYTES];
};

/* The raw bytes of a note (header to padded desc), for the writer. */
struct note_raw {
	const uint8_t *bytes;
	size_t size;
};

/* Physical page frame numbers first..last, inclusive (no overflow at 2^64). */
struct pfn_range {
	uint64_t first;
	uint64_t last;
};

struct vmcore {
	char *path;
	int fd;
	uint64_t file_size;
	vmcore_warn_fn *warn;
	void *warn_arg;
	Elf *elf;		/* only while opening */

	struct rd_format format;
	uint16_t machine;
	int elf_class;
	uint8_t ident[EI_NIDENT];
	uint32_t flags;		/* e_flags, copied to a minimal core */

	struct vmcore_segment *segments;
	uint64_t *zero_from;	/* per segment: where zero fill starts */
	size_t *segment_phdr;	/* per segment: program header index */
	size_t segment_count;
	struct map_interval *map;
	size_t map_count;

	uint8_t **note_buffers;
	size_t note_buffer_count;
	struct vmcore_note *notes;
	struct note_raw *notes_raw;
	size_t note_count;
	char *note_names;
	size_t vmcoreinfo_index;	/* SIZE_MAX: none */
	unsigned int cpu_count;

	struct cache_page cache[CACHE_PAGE_COUNT];
	uint64_t cache_clock;

	struct map_window windows[VMCORE_MAP_WINDOWS];
	uint64_t window_clock;
	bool mmap_failed;
	enum vmcore_map_policy map_policy;	/* what vmcore_map_phys() maps */
	uint8_t *zeros;		/* VMCORE_MAP_ZEROS_MAX read-only zero bytes */

	bool tracking;
	bool track_failed;	/* the range list could not be allocated */
	struct pfn_range *track;
	size_t track_count;
};

void vmcore_warn(const struct vmcore *vm, const char *fmt, ...)
{
	if (!vm->warn)
		return;
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	vm->warn(vm->warn_arg, message);
}

/* CRASH_ERR_CORRUPT (or @code) "vmcore: PATH: <message>". */
__attribute__((format(printf, 3, 4)))
static struct crash_error *vmcore_error(const struct vmcore *vm,
					enum crash_error_code code,
					const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct crash_error *err = crash_error_vcreate(code, fmt, ap);
	va_end(ap);
	return crash_error_prefix(err, "vmcore: %s", vm->path);
}

static struct crash_error *libelf_error(const struct vmcore *vm,
					const char *function)
{
	return vmcore_error(vm, CRASH_ERR_CORRUPT, "%s: %s", function,
			    elf_errmsg(-1));
}

/* Read exactly @size bytes at @offset of the dump; CORRUPT if the file ends. */
static struct crash_error *read_exact(const struct vmcore *vm, void *buf,
				      size_t size, uint64_t offset,
				      const char *what)
{
	size_t got = 0;
	int errnum = fd_pread_full(vm->fd, buf, size, offset, &got);
	if (errnum)
		return crash_error_os(errnum, "vmcore: %s: reading %s at 0x%llx",
				      vm->path, what, (unsigned long long)offset);
	if (got < size)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "%s at 0x%llx: file ends after %zu of %zu bytes",
				    what, (unsigned long long)offset, got, size);
	return NULL;
}

/* ---- ELF header ------------------------------------------------------ */

/* Pointer width by e_machine; 0: follows the ELF class. */
static const struct {
	uint16_t machine;
	uint8_t ptr_size;
} machine_ptr_sizes[] = {
	{ EM_386, 4 },     { EM_ARM, 4 },	{ EM_PPC, 4 },
	{ EM_SH, 4 },      { EM_SPARC, 4 },	{ EM_X86_64, 8 },
	{ EM_AARCH64, 8 }, { EM_PPC64, 8 },	{ EM_IA_64, 8 },
	{ EM_SPARCV9, 8 }, { EM_MIPS, 0 },	{ EM_RISCV, 0 },
	{ EM_LOONGARCH, 0 }, { EM_S390, 0 },	{ EM_PARISC, 0 },
};

static unsigned int machine_ptr_size(const struct vmcore *vm, bool *known)
{
	unsigned int by_class = vm->elf_class == ELFCLASS64 ? 8 : 4;
	for (size_t i = 0; i < sizeof(machine_ptr_sizes) / sizeof(machine_ptr_sizes[0]); i++) {
		if (machine_ptr_sizes[i].machine == vm->machine) {
			*known = true;
			return machine_ptr_sizes[i].ptr_size ?
				machine_ptr_sizes[i].ptr_size : by_class;
		}
	}
	*known = false;
	return by_class;
}

/* Validity (1): e_ident, read by hand so that messages can be precise. */
static struct crash_error *check_ident(struct vmcore *vm)
{
	uint8_t ident[EI_NIDENT] = { 0 };
	size_t want = vm->file_size < EI_NIDENT ? (size_t)vm->file_size : EI_NIDENT;
	struct crash_error *err = read_exact(vm, ident, want, 0, "ELF header");
	if (err)
		return err;
	if (want < SELFMAG)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "not an ELF file (%zu bytes long)", want);
	if (memcmp(ident, ELFMAG, SELFMAG) != 0)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "not an ELF file (magic %02x %02x %02x %02x)",
				    ident[0], ident[1], ident[2], ident[3]);
	if (want < EI_NIDENT)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "truncated in the ELF header: the file has %zu bytes",
				    want);
	if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "EI_CLASS %u is neither ELFCLASS32 nor ELFCLASS64",
				    ident[EI_CLASS]);
	if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "EI_DATA %u is neither ELFDATA2LSB nor ELFDATA2MSB",
				    ident[EI_DATA]);
	if (ident[EI_VERSION] != EV_CURRENT)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "EI_VERSION %u is not EV_CURRENT", ident[EI_VERSION]);
	uint64_t ehdr_size = ident[EI_CLASS] == ELFCLASS64 ?
		sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (vm->file_size < ehdr_size)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "truncated in the ELF header: the file has %llu bytes, an ELF%d header needs %llu",
				    (unsigned long long)vm->file_size,
				    ident[EI_CLASS] == ELFCLASS64 ? 64 : 32,
				    (unsigned long long)ehdr_size);
	memcpy(vm->ident, ident, sizeof(ident));
	vm->elf_class = ident[EI_CLASS];
	vm->format.byte_order = ident[EI_DATA] == ELFDATA2LSB ?
		RD_LITTLE_ENDIAN : RD_BIG_ENDIAN;
	return NULL;
}

/* Validity (2) and (3); returns the program header count. */
static struct crash_error *read_ehdr(struct vmcore *vm, size_t *phnum_ret)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return vmcore_error(vm, CRASH_ERR_UNSUPPORTED,
				    "libelf does not support EV_CURRENT");
	vm->elf = elf_begin(vm->fd, ELF_C_READ, NULL);
	if (!vm->elf)
		return libelf_error(vm, "elf_begin");
	if (elf_kind(vm->elf) != ELF_K_ELF)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "libelf does not see an ELF file");
	GElf_Ehdr ehdr;
	if (!gelf_getehdr(vm->elf, &ehdr))
		return libelf_error(vm, "gelf_getehdr");
	if (ehdr.e_type != ET_CORE)
		return vmcore_error(vm, CRASH_ERR_UNSUPPORTED,
				    "e_type %u is not ET_CORE", ehdr.e_type);
	if (ehdr.e_version != EV_CURRENT)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "e_version %u is not EV_CURRENT", ehdr.e_version);
	vm->machine = ehdr.e_machine;
	vm->flags = ehdr.e_flags;

	bool known;
	vm->format.ptr_size = machine_ptr_size(vm, &known);
	if (!known)
		vmcore_warn(vm, "vmcore: %s: unknown e_machine %u: assuming %u-byte pointers from the ELF class",
			    vm->path, vm->machine, vm->format.ptr_size);

	if (ehdr.e_phnum == 0)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "e_phnum is 0: a core needs program headers");
	// Extended numbering: the count is section 0's sh_info.  We read it
	// ourselves: elf_getphdrnum() silently clamps a count that does not
	// fit the file, and says only "invalid data" when section 0 is absent.
	size_t phnum = ehdr.e_phnum;
	if (ehdr.e_phnum == PN_XNUM) {
		bool is64 = vm->elf_class == ELFCLASS64;
		uint64_t shdr_size = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
		size_t info_at = is64 ? offsetof(Elf64_Shdr, sh_info)
				      : offsetof(Elf32_Shdr, sh_info);
		if (ehdr.e_shoff == 0 || ehdr.e_shoff > vm->file_size ||
		    vm->file_size - ehdr.e_shoff < shdr_size)
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "e_phnum is PN_XNUM but section 0 at e_shoff 0x%llx is not inside the file (0x%llx bytes)",
					    (unsigned long long)ehdr.e_shoff,
					    (unsigned long long)vm->file_size);
		uint8_t info[4];
		struct crash_error *err = read_exact(vm, info, sizeof(info),
						     ehdr.e_shoff + info_at,
						     "section 0 sh_info");
		if (err)
			return err;
		phnum = rd_u32(&vm->format, info);
	}
	if (phnum == 0 || phnum > VMCORE_MAX_PHDRS)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "%zu program headers: expected 1 to %d",
				    phnum, VMCORE_MAX_PHDRS);
	unsigned int phentsize = vm->elf_class == ELFCLASS64 ?
		sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (ehdr.e_phentsize != phentsize)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "e_phentsize %u is not %u for ELF%d",
				    ehdr.e_phentsize, phentsize,
				    vm->elf_class == ELFCLASS64 ? 64 : 32);
	// Validity (3): phnum * phentsize cannot overflow (both bounded).
	uint64_t phdrs_size = (uint64_t)phnum * phentsize;
	if (ehdr.e_phoff > vm->file_size ||
	    vm->file_size - ehdr.e_phoff < phdrs_size)
		return vmcore_error(vm, CRASH_ERR_CORRUPT,
				    "program headers at e_phoff 0x%llx (%zu x %u bytes) extend past the end of the file (0x%llx bytes)",
				    (unsigned long long)ehdr.e_phoff, phnum,
				    phentsize, (unsigned long long)vm->file_size);
	*phnum_ret = phnum;
	return NULL;
}

/* ---- Notes ----------------------------------------------------------- */

/*
 * Walk the notes of one PT_NOTE buffer (validity 5).  With @fill false,
 * only count notes and name bytes; with @fill true, also record them
 * (the arrays were sized by the counting pass).  Returns CORRUPT naming the
 * note and the field that does not fit.
 */
static struct crash_error *walk_notes(struct vmcore *vm, size_t phdr_index,
				      const uint8_t *buf, size_t size,
				      uint64_t file_offset, bool fill,
				      size_t *count, size_t *name_bytes,
				      size_t *good_size)
{
	struct rd_cursor c;
	rd_cursor_init(&c, &vm->format, buf, size);
	for (size_t index = 0; rd_cursor_left(&c) > 0; index++) {
		size_t start = rd_cursor_offset(&c);
		*good_size = start;
		size_t left = rd_cursor_left(&c);
		if (left < NOTE_HEADER_SIZE) {
			// validity (5): a short zero tail is padding.
			bool zero = true;
			for (size_t i = 0; i < left; i++)
				zero = zero && c.pos[i] == 0;
			if (zero)
				break;
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: note %zu header needs %d bytes, %zu left in the segment",
					    phdr_index, index, NOTE_HEADER_SIZE, left);
		}
		uint32_t namesz = 0, descsz = 0, type = 0;
		rd_cursor_u32(&c, &namesz);
		rd_cursor_u32(&c, &descsz);
		rd_cursor_u32(&c, &type);
		if (namesz == 0 && descsz == 0 && type == 0)
			break;	// validity (5): zero-padded tail
		const uint8_t *name;
		if (!rd_cursor_bytes(&c, namesz, &name))
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: note %zu n_namesz 0x%x exceeds the %zu bytes left in the segment",
					    phdr_index, index, namesz,
					    rd_cursor_left(&c));
		// A missing final padding is tolerated: skip what is there.
		size_t pad = (4 - namesz % 4) % 4;
		if (!rd_cursor_skip(&c, pad))
			rd_cursor_skip(&c, rd_cursor_left(&c));
		const uint8_t *desc;
		if (!rd_cursor_bytes(&c, descsz, &desc))
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: note %zu n_descsz 0x%x exceeds the %zu bytes left in the segment",
					    phdr_index, index, descsz,
					    rd_cursor_left(&c));
		pad = (4 - descsz % 4) % 4;
		if (!rd_cursor_skip(&c, pad))
			rd_cursor_skip(&c, rd_cursor_left(&c));

		if (fill) {
			char *copy = vm->note_names + *name_bytes;
			memcpy(copy, name, namesz);
			copy[namesz] = '\0';
			vm->notes[*count] = (struct vmcore_note){
				.name = copy,
				.type = type,
				.desc = desc,
				.desc_size = descsz,
				.file_offset = file_offset + start,
			};
			vm->notes_raw[*count] = (struct note_raw){
				.bytes = buf + start,
				.size = rd_cursor_offset(&c) - start,
			};
		}
		(*count)++;
		*name_bytes += (size_t)namesz + 1;
	}
	*good_size = size;
	return NULL;
}

/* Validity (4), (5), (7): read every PT_NOTE and index its notes. */
static struct crash_error *read_notes(struct vmcore *vm, size_t phnum)
{
	size_t note_segments = 0;
	uint64_t total = 0;
	GElf_Phdr phdr;
	for (size_t i = 0; i < phnum; i++) {
		if (!gelf_getphdr(vm->elf, (int)i, &phdr))
			return libelf_error(vm, "gelf_getphdr");
		if (phdr.p_type != PT_NOTE)
			continue;
		note_segments++;
		if (phdr.p_filesz > VMCORE_MAX_NOTES_SIZE)
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: p_filesz 0x%llx exceeds the limit of 0x%x",
					    i, (unsigned long long)phdr.p_filesz,
					    VMCORE_MAX_NOTES_SIZE);
		total += phdr.p_filesz;
		if (total > VMCORE_MAX_NOTES_SIZE)
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: the PT_NOTE segments hold more than the limit of 0x%x bytes",
					    i, VMCORE_MAX_NOTES_SIZE);
		if (phdr.p_offset > vm->file_size ||
		    vm->file_size - phdr.p_offset < phdr.p_filesz)
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_NOTE %zu: p_offset 0x%llx + p_filesz 0x%llx extends past the end of the file (0x%llx bytes)",
					    i, (unsigned long long)phdr.p_offset,
					    (unsigned long long)phdr.p_filesz,
					    (unsigned long long)vm->file_size);
	}
	vm->note_buffers = calloc(note_segments ? note_segments : 1,
				  sizeof(*vm->note_buffers));
	if (!vm->note_buffers)
		return &crash_enomem;

	// Pass 1: read the segments, count notes and name bytes.  A note that
	// does not fit ends its segment: the notes before it are kept (a
	// VMCOREINFO before a torn note still finds the log) and the rest is
	// reported through the warning callback.
	size_t *good_sizes = calloc(note_segments ? note_segments : 1,
				    sizeof(*good_sizes));
	if (!good_sizes)
		return &crash_enomem;
	size_t count = 0, name_bytes = 0;
	for (size_t i = 0; i < phnum; i++) {
		gelf_getphdr(vm->elf, (int)i, &phdr);
		if (phdr.p_type != PT_NOTE)
			continue;
		size_t size = (size_t)phdr.p_filesz;
		uint8_t *buf = malloc(size ? size : 1);
		if (!buf) {
			free(good_sizes);
			return &crash_enomem;
		}
		size_t segment = vm->note_buffer_count;
		vm->note_buffers[vm->note_buffer_count++] = buf;
		char what[32];
		snprintf(what, sizeof(what), "PT_NOTE %zu", i);
		struct crash_error *err =
			read_exact(vm, buf, size, phdr.p_offset, what);
		if (err) {
			free(good_sizes);
			return err;
		}
		err = walk_notes(vm, i, buf, size, phdr.p_offset, false,
				 &count, &name_bytes, &good_sizes[segment]);
		if (err) {
			vmcore_warn(vm, "%s; ignoring the rest of the segment",
				    err->message);
			crash_error_destroy(err);
		}
	}

	// Pass 2: record them.
	vm->notes = calloc(count ? count : 1, sizeof(*vm->notes));
	vm->notes_raw = calloc(count ? count : 1, sizeof(*vm->notes_raw));
	vm->note_names = malloc(name_bytes ? name_bytes : 1);
	if (!vm->notes || !vm->notes_raw || !vm->note_names) {
		free(good_sizes);
		return &crash_enomem;
	}
	size_t buffer = 0;
	count = name_bytes = 0;
	for (size_t i = 0; i < phnum; i++) {
		gelf_getphdr(vm->elf, (int)i, &phdr);
		if (phdr.p_type != PT_NOTE)
			continue;
		// Cannot fail: pass 1 walked the same bytes up to good_size.
		size_t good = good_sizes[buffer];
		walk_notes(vm, i, vm->note_buffers[buffer++], good,
			   phdr.p_offset, true, &count, &name_bytes, &good);
	}
	free(good_sizes);
	vm->note_count = count;

	size_t vmcoreinfo_count = 0;
	vm->vmcoreinfo_index = SIZE_MAX;
	for (size_t i = 0; i < count; i++) {
		const struct vmcore_note *n = &vm->notes[i];
		if (strcmp(n->name, "CORE") == 0 && n->type == NOTE_TYPE_PRSTATUS)
			vm->cpu_count++;
		if (strcmp(n->name, "VMCOREINFO") == 0) {
			if (vmcoreinfo_count++ == 0)
				vm->vmcoreinfo_index = i;
		}
	}
	if (vmcoreinfo_count > 1)	// validity (7)
		vmcore_warn(vm, "vmcore: %s: %zu VMCOREINFO notes: using the first, at file offset 0x%llx",
			    vm->path, vmcoreinfo_count,
			    (unsigned long long)vm->notes[vm->vmcoreinfo_index].file_offset);
	return NULL;
}

/* ---- PT_LOAD map ----------------------------------------------------- */

struct map_part {
	uint64_t start;
	uint64_t end;
	size_t segment;
	enum piece_kind kind;
};

static int part_compare(const void *a, const void *b)
{
	const struct map_part *pa = a, *pb = b;
	return pa->start < pb->start ? -1 : pa->start > pb->start;
}

static int u64_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Heap order: kind first (file beats zero beats missing), then file order. */
static bool part_before(const struct map_part *a, const struct map_part *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->segment < b->segment;
}

static void heap_push(const struct map_part *parts, size_t *heap, size_t *n,
		      size_t part)
{
	size_t i = (*n)++;
	heap[i] = part;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!part_before(&parts[heap[i]], &parts[heap[parent]]))
			break;
		size_t t = heap[i];
		heap[i] = heap[parent];
		heap[parent] = t;
		i = parent;
	}
}

static void heap_pop(const struct map_part *parts, size_t *heap, size_t *n)
{
	heap[0] = heap[--*n];
	size_t i = 0;
	for (;;) {
		size_t best = i, l = 2 * i + 1, r = l + 1;
		if (l < *n && part_before(&parts[heap[l]], &parts[heap[best]]))
			best = l;
		if (r < *n && part_before(&parts[heap[r]], &parts[heap[best]]))
			best = r;
		if (best == i)
			break;
		size_t t = heap[i];
		heap[i] = heap[best];
		heap[best] = t;
		i = best;
	}
}

/*
 * Build vm->map: cut physical memory at every part boundary and give each
 * elementary interval to the best part covering it (heap top after
 * dropping parts that ended).  Adjacent intervals from the same segment and
 * kind are merged.
 */
static struct crash_error *build_map(struct vmcore *vm)
{
	size_t part_count = 0;
	struct map_part *parts = calloc(3 * vm->segment_count + 1, sizeof(*parts));
	uint64_t *points = calloc(6 * vm->segment_count + 1, sizeof(*points));
	size_t *heap = calloc(3 * vm->segment_count + 1, sizeof(*heap));
	struct crash_error *err = NULL;
	if (!parts || !points || !heap) {
		err = &crash_enomem;
		goto out;
	}
	for (size_t i = 0; i < vm->segment_count; i++) {
		const struct vmcore_segment *s = &vm->segments[i];
		uint64_t present = s->paddr + s->file_size;
		uint64_t zero = s->paddr + vm->zero_from[i];
		uint64_t end = s->paddr + s->mem_size;	// no overflow: validity (6)
		if (present > s->paddr)
			parts[part_count++] = (struct map_part){ s->paddr, present, i, PIECE_FILE };
		if (zero > present)
			parts[part_count++] = (struct map_part){ present, zero, i, PIECE_MISSING };
		if (end > zero)
			parts[part_count++] = (struct map_part){ zero, end, i, PIECE_ZERO };
	}
	size_t point_count = 0;
	for (size_t i = 0; i < part_count; i++) {
		points[point_count++] = parts[i].start;
		points[point_count++] = parts[i].end;
	}
	qsort(parts, part_count, sizeof(*parts), part_compare);
	qsort(points, point_count, sizeof(*points), u64_compare);

	vm->map = calloc(point_count + 1, sizeof(*vm->map));
	if (!vm->map) {
		err = &crash_enomem;
		goto out;
	}
	size_t next_part = 0, heap_count = 0;
	for (size_t i = 0; i + 1 < point_count; i++) {
		uint64_t x = points[i];
		if (x == points[i + 1])
			continue;
		while (next_part < part_count && parts[next_part].start <= x)
			heap_push(parts, heap, &heap_count, next_part++);
		while (heap_count && parts[heap[0]].end <= x)
			heap_pop(parts, heap, &heap_count);
		if (!heap_count)
			continue;
		const struct map_part *best = &parts[heap[0]];
		struct map_interval *last =
			vm->map_count ? &vm->map[vm->map_count - 1] : NULL;
		if (last && last->end == x && last->segment == best->segment &&
		    last->kind == best->kind) {
			last->end = points[i + 1];
			continue;
		}
		vm->map[vm->map_count++] = (struct map_interval){
			.start = x,
			.end = points[i + 1],
			.segment = best->segment,
			.kind = best->kind,
		};
	}
out:
	free(parts);
	free(points);
	free(heap);
	return err;
}

/* Validity (6): the PT_LOAD list, clipped to the file, then the map. */
static struct crash_error *read_loads(struct vmcore *vm, size_t phnum)
{
	GElf_Phdr phdr;
	size_t count = 0;
	for (size_t i = 0; i < phnum; i++) {
		gelf_getphdr(vm->elf, (int)i, &phdr);
		count += phdr.p_type == PT_LOAD;
	}
	vm->segments = calloc(count ? count : 1, sizeof(*vm->segments));
	vm->zero_from = calloc(count ? count : 1, sizeof(*vm->zero_from));
	vm->segment_phdr = calloc(count ? count : 1, sizeof(*vm->segment_phdr));
	if (!vm->segments || !vm->zero_from || !vm->segment_phdr)
		return &crash_enomem;

	size_t clipped = 0;
	uint64_t missing = 0;
	for (size_t i = 0; i < phnum; i++) {
		gelf_getphdr(vm->elf, (int)i, &phdr);
		if (phdr.p_type != PT_LOAD)
			continue;
		uint64_t end;
		if (__builtin_add_overflow(phdr.p_paddr, phdr.p_memsz, &end))
			return vmcore_error(vm, CRASH_ERR_CORRUPT,
					    "PT_LOAD %zu: p_paddr 0x%llx + p_memsz 0x%llx passes the end of the address space",
					    i, (unsigned long long)phdr.p_paddr,
					    (unsigned long long)phdr.p_memsz);
		uint64_t filesz = phdr.p_filesz;
		if (filesz > phdr.p_memsz) {
			vmcore_warn(vm, "vmcore: %s: PT_LOAD %zu: p_filesz 0x%llx exceeds p_memsz 0x%llx: using p_memsz",
				    vm->path, i, (unsigned long long)filesz,
				    (unsigned long long)phdr.p_memsz);
			filesz = phdr.p_memsz;
		}
		uint64_t present = 0;
		if (phdr.p_offset < vm->file_size)
			present = vm->file_size - phdr.p_offset;
		if (present > filesz)
			present = filesz;
		if (present < filesz) {
			clipped++;
			missing += filesz - present;
		}
		size_t s = vm->segment_count++;
		vm->segments[s] = (struct vmcore_segment){
			.paddr = phdr.p_paddr,
			.vaddr = phdr.p_vaddr,
			.file_offset = phdr.p_offset,
			.file_size = present,
			.mem_size = phdr.p_memsz,
		};
		vm->zero_from[s] = filesz;
		vm->segment_phdr[s] = i;
	}
	if (clipped)
		vmcore_warn(vm, "vmcore: %s: %zu of %zu PT_LOAD segments extend past the end of the file (0x%llx bytes missing): reads there fail",
			    vm->path, clipped, vm->segment_count,
			    (unsigned long long)missing);
	return build_map(vm);
}

/* ---- Open, close, accessors ------------------------------------------ */

void vmcore_close(struct vmcore *vm)
{
	if (!vm)
		return;
	if (vm->elf)
		elf_end(vm->elf);
	if (vm->fd >= 0)
		close(vm->fd);
	for (size_t i = 0; i < VMCORE_MAP_WINDOWS; i++)
		if (vm->windows[i].base)
			munmap(vm->windows[i].base, vm->windows[i].size);
	if (vm->zeros)
		munmap(vm->zeros, VMCORE_MAP_ZEROS_MAX);
	for (size_t i = 0; i < vm->note_buffer_count; i++)
		free(vm->note_buffers[i]);
	free(vm->note_buffers);
	free(vm->notes);
	free(vm->notes_raw);
	free(vm->note_names);
	free(vm->segments);
	free(vm->zero_from);
	free(vm->segment_phdr);
	free(vm->map);
	free(vm->track);
	free(vm->path);
	free(vm);
}

struct crash_error *vmcore_open(const char *path, vmcore_warn_fn *warn,
				void *warn_arg, struct vmcore **ret)
{
	struct vmcore *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return &crash_enomem;
	vm->fd = -1;
	vm->warn = warn;
	vm->warn_arg = warn_arg;
	vm->path = strdup(path);
	if (!vm->path) {
		vmcore_close(vm);
		return &crash_enomem;
	}
	struct crash_error *err = NULL;
	vm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vm->fd < 0) {
		err = crash_error_os(errno, "vmcore: %s: open", path);
		goto fail;
	}
	struct stat st;
	if (fstat(vm->fd, &st) < 0) {
		err = crash_error_os(errno, "vmcore: %s: fstat", path);
		goto fail;
	}
	vm->file_size = (uint64_t)st.st_size;

	size_t phnum = 0;
	if ((err = check_ident(vm)) || (err = read_ehdr(vm, &phnum)) ||
	    (err = read_notes(vm, phnum)) || (err = read_loads(vm, phnum)))
		goto fail;
	elf_end(vm->elf);
	vm->elf = NULL;
	*ret = vm;
	return NULL;

fail:
	vmcore_close(vm);
	return err;
}

const char *vmcore_path(const struct vmcore *vm)
{
	return vm->path;
}

const struct rd_format *vmcore_format(const struct vmcore *vm)
{
	return &vm->format;
}

uint16_t vmcore_machine(const struct vmcore *vm)
{
	return vm->machine;
}

int vmcore_elf_class(const struct vmcore *vm)
{
	return vm->elf_class;
}

uint64_t vmcore_file_size(const struct vmcore *vm)
{
	return vm->file_size;
}

const struct vmcore_segment *vmcore_segments(const struct vmcore *vm,
					     size_t *count_ret)
{
	*count_ret = vm->segment_count;
	return vm->segments;
}

const struct vmcore_note *vmcore_notes(const struct vmcore *vm,
				       size_t *count_ret)
{
	*count_ret = vm->note_count;
	return vm->notes;
}

struct crash_error *vmcore_vmcoreinfo(const struct vmcore *vm,
				      const char **text_ret, size_t *size_ret)
{
	if (vm->vmcoreinfo_index == SIZE_MAX)
		return &crash_not_found;
	const struct vmcore_note *n = &vm->notes[vm->vmcoreinfo_index];
	*text_ret = (const char *)n->desc;
	*size_ret = n->desc_size;
	return NULL;
}

unsigned int vmcore_cpu_count(const struct vmcore *vm)
{
	return vm->cpu_count;
}

/* ---- Reading --------------------------------------------------------- */

/* The map interval holding @paddr, or NULL. */
static const struct map_interval *map_find(const struct vmcore *vm,
					   uint64_t paddr)
{
	size_t lo = 0, hi = vm->map_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vm->map[mid].start <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || paddr >= vm->map[lo - 1].end)
		return NULL;
	return &vm->map[lo - 1];
}

/* The cached page at @file_page, read in (least recently used out) if new. */
static struct crash_error *cache_get(struct vmcore *vm, uint64_t file_page,
				     const struct cache_page **ret)
{
	struct cache_page *victim = &vm->cache[0];
	for (size_t i = 0; i < CACHE_PAGE_COUNT; i++) {
		struct cache_page *p = &vm->cache[i];
		if (p->last_use && p->file_page == file_page) {
			p->last_use = ++vm->cache_clock;
			*ret = p;
			return NULL;
		}
		if (p->last_use < victim->last_use)
			victim = p;
	}
	size_t got = 0;
	int errnum = fd_pread_full(vm->fd, victim->data, sizeof(victim->data),
				file_page, &got);
	if (errnum) {
		victim->last_use = 0;
		return crash_error_os(errnum, "vmcore: %s: reading file offset 0x%llx",
				      vm->path, (unsigned long long)file_page);
	}
	victim->file_page = file_page;
	victim->valid = got;
	victim->last_use = ++vm->cache_clock;
	*ret = victim;
	return NULL;
}

static struct crash_error *short_read(const struct vmcore *vm, uint64_t paddr,
				      uint64_t offset)
{
	struct crash_error *err = crash_error_fault(
		paddr, "physical address 0x%llx: file offset 0x%llx is past the end of the file (short read)",
		(unsigned long long)paddr, (unsigned long long)offset);
	return crash_error_prefix(err, "vmcore: %s", vm->path);
}

/* Read @size file bytes at @offset, which hold physical @paddr onwards. */
static struct crash_error *read_file(struct vmcore *vm, uint64_t offset,
				     uint8_t *buf, size_t size, uint64_t paddr)
{
	if (size >= PAGE_BYTES) {
		size_t got = 0;
		int errnum = fd_pread_full(vm->fd, buf, size, offset, &got);
		if (errnum)
			return crash_error_os(errnum, "vmcore: %s: reading file offset 0x%llx",
					      vm->path, (unsigned long long)offset);
		if (got < size)
			return short_read(vm, paddr + got, offset + got);
		return NULL;
	}
	while (size) {
		uint64_t page = offset & ~PAGE_MASK_LOW;
		size_t in_page = (size_t)(offset - page);
		size_t take = (size_t)PAGE_BYTES - in_page;
		if (take > size)
			take = size;
		const struct cache_page *p = NULL;
		struct crash_error *err = cache_get(vm, page, &p);
		if (err)
			return err;
		size_t avail = p->valid > in_page ? p->valid - in_page : 0;
		if (avail < take)
			return short_read(vm, paddr + avail, offset + avail);
		memcpy(buf, p->data + in_page, take);
		buf += take;
		offset += take;
		paddr += take;
		size -= take;
	}
	return NULL;
}

/*
 * Record pages first..last as read.  Ranges stay sorted, disjoint and
 * non-adjacent.  At TRACK_MAX_RANGES, a new range is instead merged into its
 * nearer neighbour, so memory stays bounded and a minimal core may hold a
 * few unread pages, never miss a read one.
 */
static void track_add(struct vmcore *vm, uint64_t paddr, size_t size)
{
	if (!vm->track) {
		vm->track = calloc(TRACK_MAX_RANGES, sizeof(*vm->track));
		if (!vm->track) {
			vm->track_failed = true;
			return;
		}
	}
	uint64_t first = paddr >> PAGE_BITS;
	uint64_t last = (paddr + (size - 1)) >> PAGE_BITS;
	struct pfn_range *r = vm->track;
	// i: first range that ends at or after first - 1 (could merge).
	size_t lo = 0, hi = vm->track_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].last + 1 < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo, j = lo;
	while (j < vm->track_count && r[j].first <= last + 1)
		j++;
	if (j > i) {
		// Merge ranges i..j-1 with the new one.
		if (r[i].first < first)
			first = r[i].first;
		if (r[j - 1].last > last)
			last = r[j - 1].last;
		r[i] = (struct pfn_range){ first, last };
		memmove(&r[i + 1], &r[j], (vm->track_count - j) * sizeof(*r));
		vm->track_count -= j - i - 1;
		return;
	}
	if (vm->track_count == TRACK_MAX_RANGES) {
		bool left = i > 0, right = i < vm->track_count;
		if (left && (!right || first - r[i - 1].last <= r[i].first - last))
			r[i - 1].last = last;
		else
			r[i].first = first;
		return;
	}
	memmove(&r[i + 1], &r[i], (vm->track_count - i) * sizeof(*r));
	r[i] = (struct pfn_range){ first, last };
	vm->track_count++;
}

struct crash_error *vmcore_read_phys(struct vmcore *vm, uint64_t paddr,
				     void *buf, size_t size)
{
	uint8_t *out = buf;
	while (size) {
		const struct map_interval *iv = map_find(vm, paddr);
		if (!iv)
			return crash_error_prefix(
				crash_error_fault(paddr, "physical address 0x%llx is not in the dump",
						  (unsigned long long)paddr),
				"vmcore: %s", vm->path);
		const struct vmcore_segment *s = &vm->segments[iv->segment];
		if (iv->kind == PIECE_MISSING)
			return crash_error_prefix(
				crash_error_fault(paddr, "physical address 0x%llx: PT_LOAD %zu is truncated at file offset 0x%llx",
						  (unsigned long long)paddr,
						  vm->segment_phdr[iv->segment],
						  (unsigned long long)(s->file_offset + s->file_size)),
				"vmcore: %s", vm->path);
		// iv->end <= UINT64_MAX, so paddr + n cannot wrap.
		size_t n = size;
		if (iv->end - paddr < n)
			n = (size_t)(iv->end - paddr);
		if (iv->kind == PIECE_ZERO) {
			memset(out, 0, n);
		} else {
			struct crash_error *err = read_file(
				vm, s->file_offset + (paddr - s->paddr), out, n,
				paddr);
			if (err)
				return err;
		}
		if (vm->tracking)
			track_add(vm, paddr, n);
		out += n;
		paddr += n;
		size -= n;
	}
	return NULL;
}

/*
 * A window holding file bytes [offset, offset + size): an existing one, or
 * the least recently used one remapped around the range (see
 * vmcore_map_phys()), clipped to the file's last host page.  NULL when
 * the new window would cover a hole of the file, or mmap() fails (which
 * sets mmap_failed).
 */
static const uint8_t *window_get(struct vmcore *vm, uint64_t offset,
				 size_t size)
{
	struct map_window *victim = &vm->windows[0];
	for (size_t i = 0; i < VMCORE_MAP_WINDOWS; i++) {
		struct map_window *w = &vm->windows[i];
		if (w->base && offset >= w->offset &&
		    offset - w->offset <= w->size &&
		    w->size - (offset - w->offset) >= size) {
			w->last_use = ++vm->window_clock;
			return w->base + (offset - w->offset);
		}
		if (w->last_use < victim->last_use)
			victim = w;
	}
	// A range of a granule or more gets a window of its own host pages,
	// a smaller one the granules around it, which its neighbours share.
	// Small windows keep the touched file pages (RSS) low.
	uint64_t host_page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t granule = size >= VMCORE_MAP_GRANULE ? host_page : VMCORE_MAP_GRANULE;
	uint64_t start = offset - offset % granule;
	// offset + size <= file_size (the caller checked), so no wrap below.
	uint64_t end = offset + size;
	end = end % granule ? end - end % granule + granule : end;
	uint64_t file_end = vm->file_size % host_page
		? vm->file_size - vm->file_size % host_page + host_page
		: vm->file_size;
	if (end > file_end)
		end = file_end;
	// A hole of a sparse saved core reads faster through pread() than
	// by faulting in a zeroed page per page: no window over a hole.
	// lseek() that cannot tell (EINVAL) means all data.
	off_t data = lseek(vm->fd, (off_t)start, SEEK_DATA);
	if ((data < 0 && errno == ENXIO) || (data >= 0 && (uint64_t)data != start))
		return NULL;
	off_t hole = lseek(vm->fd, (off_t)start, SEEK_HOLE);
	if (hole >= 0 && (uint64_t)hole < end && (uint64_t)hole < vm->file_size)
		return NULL;
	void *p = mmap(NULL, (size_t)(end - start), PROT_READ, MAP_SHARED,
		       vm->fd, (off_t)start);
	if (p == MAP_FAILED) {
		vm->mmap_failed = true;
		return NULL;
	}
	madvise(p, (size_t)(end - start), MADV_SEQUENTIAL);
	if (victim->base)
		munmap(victim->base, victim->size);
	*victim = (struct map_window){
		.base = p, .offset = start, .size = (size_t)(end - start),
		.last_use = ++vm->window_clock,
	};
	return victim->base + (offset - start);
}

void vmcore_set_map_policy(struct vmcore *vm, enum vmcore_map_policy policy)
{
	vm->map_policy = policy;
}

struct crash_error *vmcore_file_span(const struct vmcore *vm, uint64_t paddr,
				     size_t size, int *fd, uint64_t *offset)
{
	const struct map_interval *iv = map_find(vm, paddr);
	if (size == 0 || !iv || iv->kind != PIECE_FILE || iv->end - paddr < size)
		return &crash_not_found;
	const struct vmcore_segment *s = &vm->segments[iv->segment];
	uint64_t off = s->file_offset + (paddr - s->paddr);
	if (off > vm->file_size || vm->file_size - off < size)
		return &crash_not_found;
	*fd = vm->fd;
	*offset = off;
	return NULL;
}

struct crash_error *vmcore_map_phys(struct vmcore *vm, uint64_t paddr,
				    size_t size, const uint8_t **ret)
{
	// Windows start on granules, which are whole host pages whatever
	// the offset.  The file part was clipped to the file at open.
	int fd;
	uint64_t offset;
	if (vm->mmap_failed || vm->map_policy == VMCORE_MAP_NONE ||
	    vmcore_file_span(vm, paddr, size, &fd, &offset))
		return &crash_not_found;
	const uint8_t *p = NULL;
	// A range wholly inside a hole of a sparse file reads as zeros: the
	// anonymous zero mapping serves it without touching the file.
	off_t data = size <= VMCORE_MAP_ZEROS_MAX
		? lseek(vm->fd, (off_t)offset, SEEK_DATA) : 0;
	// ENXIO also means "past the end": a file cut short after open must
	// not read as zeros.  Ask its size now; the pread() path then reports
	// the missing bytes as lost.
	struct stat st;
	if (data < 0 && errno == ENXIO &&
	    (fstat(vm->fd, &st) != 0 || st.st_size < 0 ||
	     (uint64_t)st.st_size < offset + size))
		return &crash_not_found;
	if ((data < 0 && errno == ENXIO) ||
	    (data > 0 && (uint64_t)data - offset >= size)) {
		if (!vm->zeros) {
			void *z = mmap(NULL, VMCORE_MAP_ZEROS_MAX, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				       -1, 0);
			if (z != MAP_FAILED)
				vm->zeros = z;
		}
		p = vm->zeros;
	}
	if (!p && vm->map_policy == VMCORE_MAP_ALL)
		p = window_get(vm, offset, size);
	if (!p)
		return &crash_not_found;
	if (vm->tracking)
		track_add(vm, paddr, size);
	*ret = p;
	return NULL;
}

bool vmcore_map_is_zeros(const struct vmcore *vm, const uint8_t *p)
{
	// vmcore_map_phys() hands out the zero mapping from its start only.
	return p && p == vm->zeros;
}

void vmcore_track_reads(struct vmcore *vm, bool on)
{
	vm->tracking = on;
}

/* ---- Minimal core ---------------------------------------------------- */

/* A PT_LOAD of the minimal core. */
struct out_load {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t size;
};

/* Store field @field of ELF struct @type at @base in the dump's format. */
#define PUT(f, base, type, field, value)                                     \
	rd_put_uint((f), (uint8_t *)(base) + offsetof(type, field),          \
		    sizeof(((type *)0)->field), (value))

/*
 * The PT_LOADs of the minimal core: for each source segment in file order,
 * each readable part of it (file bytes or zero fill) intersected with each
 * tracked range.  Overlapping source segments thus stay overlapping, with
 * their own p_vaddr, and the reader's choice among them is the same.
 */
static struct crash_error *plan_loads(const struct vmcore *vm,
				      struct out_load **loads_ret,
				      size_t *count_ret)
{
	size_t count = 0, capacity = 0;
	struct out_load *loads = NULL;
	for (size_t i = 0; i < vm->segment_count; i++) {
		const struct vmcore_segment *s = &vm->segments[i];
		uint64_t parts[2][2] = {
			{ s->paddr, s->paddr + s->file_size },
			{ s->paddr + vm->zero_from[i], s->paddr + s->mem_size },
		};
		if (vm->zero_from[i] == s->file_size) {	// no gap: one part
			parts[0][1] = parts[1][1];
			parts[1][0] = parts[1][1];
		}
		for (size_t p = 0; p < 2; p++) {
			uint64_t start = parts[p][0], end = parts[p][1];
			if (start >= end)
				continue;
			// First tracked range ending at or after start.
			size_t lo = 0, hi = vm->track_count;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if ((vm->track[mid].last << PAGE_BITS | PAGE_MASK_LOW) < start)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t t = lo; t < vm->track_count &&
			     vm->track[t].first << PAGE_BITS < end; t++) {
				uint64_t a = vm->track[t].first << PAGE_BITS;
				uint64_t b = vm->track[t].last << PAGE_BITS | PAGE_MASK_LOW;
				if (a < start)
					a = start;
				if (b > end - 1)
					b = end - 1;
				if (count == capacity) {
					capacity = capacity ? 2 * capacity : 64;
					struct out_load *grown =
						realloc(loads, capacity * sizeof(*loads));
					if (!grown) {
						free(loads);
						return &crash_enomem;
					}
					loads = grown;
				}
				loads[count++] = (struct out_load){
					.paddr = a,
					// p_vaddr 0 means "no virtual address",
					// except at p_paddr 0: s390x's kdump
					// kernel writes its identity-mapped RAM
					// (virtual = physical) as one PT_LOAD
					// at 0/0, and vmcore-dmesg translates
					// through the p_vaddr we keep.
					.vaddr = s->vaddr || s->paddr == 0 ?
						 s->vaddr + (a - s->paddr) : 0,
					.size = b - a + 1,
				};
				// The PT_NOTE too must fit below PN_XNUM.
				if (count + 1 >= PN_XNUM) {
					free(loads);
					return vmcore_error(vm, CRASH_ERR_UNSUPPORTED,
							    "a minimal core would need more than %d program headers",
							    PN_XNUM - 1);
				}
			}
		}
	}
	*loads_ret = loads;
	*count_ret = count;
	return NULL;
}

/*
 * The first load holding the same physical bytes as loads[@i] (the same
 * paddr and size), or @i itself.  x86_64 cores map the kernel's RAM twice
 * (the kernel-text segment and the direct map), so a minimal core keeps
 * both program headers but one copy of the bytes: ELF lets PT_LOADs share
 * file offsets.  Quadratic in the load count, which is bounded by the
 * 4096 tracked ranges times the (few) segments covering each.
 */
static size_t load_bytes_owner(const struct out_load *loads, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (loads[j].paddr == loads[i].paddr &&
		    loads[j].size == loads[i].size)
			return j;
	return i;
}

/*
 * Build ELF header, program headers and notes in one buffer.  Layout: the
 * ELF header, phnum program headers (PT_NOTE first), the notes, then the
 * bytes of each PT_LOAD that owns its bytes (load_bytes_owner()), back to
 * back.
 */
static struct crash_error *build_headers(const struct vmcore *vm,
					 const struct out_load *loads,
					 size_t load_count, uint8_t **buf_ret,
					 size_t *size_ret)
{
	bool is64 = vm->elf_class == ELFCLASS64;
	size_t ehdr_size = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phent_size = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t phnum = load_count + 1;
	size_t notes_size = 0;
	for (size_t i = 0; i < vm->note_count; i++)
		notes_size += (vm->notes_raw[i].size + 3) & ~(size_t)3;
	size_t notes_offset = ehdr_size + phnum * phent_size;
	size_t header_size = notes_offset + notes_size;

	uint64_t total = header_size;
	for (size_t i = 0; i < load_count; i++)
		if (load_bytes_owner(loads, i) == i &&
		    __builtin_add_overflow(total, loads[i].size, &total))
			total = UINT64_MAX;
	if (!is64 && total > UINT32_MAX)
		return vmcore_error(vm, CRASH_ERR_UNSUPPORTED,
				    "a minimal ELF32 core would need 0x%llx bytes, more than ELF32 offsets reach",
				    (unsigned long long)total);

	uint8_t *buf = calloc(1, header_size);
	if (!buf)
		return &crash_enomem;
	const struct rd_format *f = &vm->format;
	memcpy(buf, vm->ident, EI_NIDENT);
	memset(buf + EI_PAD, 0, EI_NIDENT - EI_PAD);
	if (is64) {
		PUT(f, buf, Elf64_Ehdr, e_type, ET_CORE);
		PUT(f, buf, Elf64_Ehdr, e_machine, vm->machine);
		PUT(f, buf, Elf64_Ehdr, e_version, EV_CURRENT);
		PUT(f, buf, Elf64_Ehdr, e_phoff, ehdr_size);
		PUT(f, buf, Elf64_Ehdr, e_flags, vm->flags);
		PUT(f, buf, Elf64_Ehdr, e_ehsize, ehdr_size);
		PUT(f, buf, Elf64_Ehdr, e_phentsize, phent_size);
		PUT(f, buf, Elf64_Ehdr, e_phnum, phnum);
	} else {
		PUT(f, buf, Elf32_Ehdr, e_type, ET_CORE);
		PUT(f, buf, Elf32_Ehdr, e_machine, vm->machine);
		PUT(f, buf, Elf32_Ehdr, e_version, EV_CURRENT);
		PUT(f, buf, Elf32_Ehdr, e_phoff, ehdr_size);
		PUT(f, buf, Elf32_Ehdr, e_flags, vm->flags);
		PUT(f, buf, Elf32_Ehdr, e_ehsize, ehdr_size);
		PUT(f, buf, Elf32_Ehdr, e_phentsize, phent_size);
		PUT(f, buf, Elf32_Ehdr, e_phnum, phnum);
	}
	uint64_t data_offset = header_size;
	uint64_t *load_offsets = calloc(load_count ? load_count : 1,
					sizeof(*load_offsets));
	if (!load_offsets) {
		free(buf);
		return &crash_enomem;
	}
	for (size_t i = 0; i < phnum; i++) {
		uint8_t *ph = buf + ehdr_size + i * phent_size;
		uint32_t type = i == 0 ? PT_NOTE : PT_LOAD;
		uint32_t flags = i == 0 ? 0 : PF_R | PF_W | PF_X;
		uint64_t offset = notes_offset;
		uint64_t size = i == 0 ? notes_size : loads[i - 1].size;
		uint64_t paddr = i == 0 ? 0 : loads[i - 1].paddr;
		uint64_t vaddr = i == 0 ? 0 : loads[i - 1].vaddr;
		if (i > 0) {
			size_t owner = load_bytes_owner(loads, i - 1);
			if (owner == i - 1) {
				load_offsets[i - 1] = data_offset;
				data_offset += size;
			}
			offset = load_offsets[owner];
		}
		if (is64) {
			PUT(f, ph, Elf64_Phdr, p_type, type);
			PUT(f, ph, Elf64_Phdr, p_flags, flags);
			PUT(f, ph, Elf64_Phdr, p_offset, offset);
			PUT(f, ph, Elf64_Phdr, p_vaddr, vaddr);
			PUT(f, ph, Elf64_Phdr, p_paddr, paddr);
			PUT(f, ph, Elf64_Phdr, p_filesz, size);
			PUT(f, ph, Elf64_Phdr, p_memsz, size);
		} else {
			PUT(f, ph, Elf32_Phdr, p_type, type);
			PUT(f, ph, Elf32_Phdr, p_flags, flags);
			PUT(f, ph, Elf32_Phdr, p_offset, offset);
			PUT(f, ph, Elf32_Phdr, p_vaddr, vaddr);
			PUT(f, ph, Elf32_Phdr, p_paddr, paddr);
			PUT(f, ph, Elf32_Phdr, p_filesz, size);
			PUT(f, ph, Elf32_Phdr, p_memsz, size);
		}
	}
	free(load_offsets);
	uint8_t *note = buf + notes_offset;
	for (size_t i = 0; i < vm->note_count; i++) {
		memcpy(note, vm->notes_raw[i].bytes, vm->notes_raw[i].size);
		note += (vm->notes_raw[i].size + 3) & ~(size_t)3;
	}
	*buf_ret = buf;
	*size_ret = header_size;
	return NULL;
}

/* Write headers and each load's bytes (read back through the map) to @fd. */
static struct crash_error *write_core(struct vmcore *vm, int fd,
				      const char *tmp_path,
				      const struct out_load *loads,
				      size_t load_count)
{
	uint8_t *headers = NULL;
	size_t header_size = 0;
	struct crash_error *err =
		build_headers(vm, loads, load_count, &headers, &header_size);
	if (err)
		return err;
	int errnum = fd_write_all(fd, headers, header_size);
	free(headers);
	if (errnum)
		return crash_error_os(errnum, "vmcore: %s: write", tmp_path);
	uint8_t *chunk = malloc(COPY_CHUNK_SIZE);
	if (!chunk)
		return &crash_enomem;
	for (size_t i = 0; i < load_count && !err; i++) {
		if (load_bytes_owner(loads, i) != i)
			continue;	// shares an earlier load's bytes
		for (uint64_t done = 0; done < loads[i].size && !err;) {
			size_t n = COPY_CHUNK_SIZE;
			if (loads[i].size - done < n)
				n = (size_t)(loads[i].size - done);
			err = vmcore_read_phys(vm, loads[i].paddr + done, chunk, n);
			if (!err && (errnum = fd_write_all(fd, chunk, n)))
				err = crash_error_os(errnum, "vmcore: %s: write",
						     tmp_path);
			done += n;
		}
	}
	free(chunk);
	return err;
}

struct crash_error *vmcore_write_minimal(struct vmcore *vm, const char *path)
{
	if (vm->track_failed)
		return &crash_enomem;
	struct out_load *loads = NULL;
	size_t load_count = 0;
	struct crash_error *err = plan_loads(vm, &loads, &load_count);
	if (err)
		return err;
	char *tmp_path;
	if (asprintf(&tmp_path, "%s.incomplete", path) < 0) {
		free(loads);
		return &crash_enomem;
	}
	bool was_tracking = vm->tracking;
	vm->tracking = false;	// our own reads are not the caller's
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = crash_error_os(errno, "vmcore: %s: open", tmp_path);
		goto out;
	}
	if (fchmod(fd, 0600) < 0)
		err = crash_error_os(errno, "vmcore: %s: fchmod", tmp_path);
	if (!err)
		err = write_core(vm, fd, tmp_path, loads, load_count);
	if (!err && fsync(fd) < 0)
		err = crash_error_os(errno, "vmcore: %s: fsync", tmp_path);
	if (close(fd) < 0 && !err)
		err = crash_error_os(errno, "vmcore: %s: close", tmp_path);
	if (!err && rename(tmp_path, path) < 0)
		err = crash_error_os(errno, "vmcore: rename %s to %s", tmp_path,
				     path);
	if (err)
		unlink(tmp_path);
out:
	vm->tracking = was_tracking;
	free(tmp_path);
	free(loads);
	return err;
}
