/*
 * vmcore.h - an ELF core of a crashed machine (/proc/vmcore or a saved copy).
 *
 * What it reads: the ELF header (ELF32 or ELF64, either byte order, through
 * libelf's gelf), the program headers, every PT_NOTE (several are allowed;
 * zero-padded tails end a segment's notes) and the PT_LOAD map.  Memory is
 * read by *physical* address through PT_LOAD p_paddr/p_offset/p_filesz;
 * bytes in [p_filesz, p_memsz) read as zeros.  p_vaddr is kept only as a
 * hint for the translation layer.
 *
 * What it does not do: kernel-virtual translation (xlat.h), VMCOREINFO
 * parsing (vmcoreinfo.h).  It never loads the whole file: open reads the
 * headers and notes; memory is read on demand with pread() through a small
 * page cache.  Its cost does not grow with the dump's size.
 *
 * Pointer width comes from e_machine, not the ELF class: i386 PAE cores are
 * ELF64 with EM_386.
 *
 * Validation at open (each failure is CRASH_ERR_CORRUPT naming the field):
 *  1. ELF magic, version, class, data encoding; e_type ET_CORE.
 *  2. program headers inside the file; at most VMCORE_MAX_PHDRS.
 *  3. each PT_NOTE inside the file and at most VMCORE_MAX_NOTES_SIZE bytes;
 *     each note's namesz/descsz inside what is left of its segment.  A note
 *     that does not fit ends its segment: the notes before it are kept and
 *     a warning names the note and field (a VMCOREINFO note before a torn
 *     one still leads to the log).
 *  4. PT_LOAD file ranges inside the file (a range past EOF is clipped and
 *     reported through the warning callback: truncated dumps are normal).
 */
#ifndef CRASHKIT_VMCORE_H
#define CRASHKIT_VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rd.h"

/** Upper bound on program headers we accept (a 64 TiB machine has ~1000). */
enum { VMCORE_MAX_PHDRS = 65536 };
/** Upper bound on the bytes of one PT_NOTE segment. */
enum { VMCORE_MAX_NOTES_SIZE = 64 << 20 };

struct vmcore;

/** One PT_LOAD, clipped to the file. */
struct vmcore_segment {
	uint64_t paddr;
	uint64_t vaddr;		/* a hint only: may be 0 or wrong */
	uint64_t file_offset;
	uint64_t file_size;	/* bytes present in the file */
	uint64_t mem_size;	/* >= file_size; the rest reads as zeros */
};

/** One ELF note.  Borrowed: valid while the vmcore is open. */
struct vmcore_note {
	const char *name;	/* NUL-terminated copy of the name */
	uint32_t type;
	const uint8_t *desc;
	uint32_t desc_size;
	uint64_t file_offset;	/* where the note header starts */
};

/** Receives warnings from lib/ (one line, no newline); may be NULL. */
typedef void vmcore_warn_fn(void *arg, const char *message);

/**
 * vmcore_open() - open and validate an ELF core.
 * Errors: OS (open/read failed), CORRUPT (not an ELF core, or headers that
 * contradict the file), UNSUPPORTED (an ELF that is not a core).
 */
struct crash_error *vmcore_open(const char *path, vmcore_warn_fn *warn,
				void *warn_arg, struct vmcore **ret);

/** vmcore_close() - close and free; NULL is ignored. */
void vmcore_close(struct vmcore *vm);

/** The path given to vmcore_open(). */
const char *vmcore_path(const struct vmcore *vm);

/** Byte order and pointer width of the crashed machine. */
const struct rd_format *vmcore_format(const struct vmcore *vm);

/** e_machine (EM_X86_64, EM_386, EM_AARCH64, EM_S390, EM_PPC64, ...). */
uint16_t vmcore_machine(const struct vmcore *vm);

/** ELFCLASS32 or ELFCLASS64. */
int vmcore_elf_class(const struct vmcore *vm);

/** The file's size in bytes. */
uint64_t vmcore_file_size(const struct vmcore *vm);

/** The PT_LOAD map, in file order. */
const struct vmcore_segment *vmcore_segments(const struct vmcore *vm,
					     size_t *count_ret);

/** All notes of all PT_NOTE segments, in file order. */
const struct vmcore_note *vmcore_notes(const struct vmcore *vm,
				       size_t *count_ret);

/**
 * vmcore_vmcoreinfo() - the VMCOREINFO note's text (not NUL-terminated).
 * Uses the first VMCOREINFO note; later ones are reported as warnings.
 * Returns crash_not_found if there is none.
 */
struct crash_error *vmcore_vmcoreinfo(const struct vmcore *vm,
				      const char **text_ret, size_t *size_ret);

/** Number of CORE/NT_PRSTATUS notes: the CPUs saved at crash time. */
unsigned int vmcore_cpu_count(const struct vmcore *vm);

/**
 * vmcore_read_phys() - read @size bytes at physical address @paddr.
 * Crosses PT_LOAD boundaries; zero-fills [p_filesz, p_memsz).
 * Errors: FAULT (some byte is in no PT_LOAD, or in a part of the file that
 * is missing: the error's address is the first byte that could not be
 * read), OS (pread failed).  @buf is undefined on failure.
 */
struct crash_error *vmcore_read_phys(struct vmcore *vm, uint64_t paddr,
				     void *buf, size_t size);

/**
 * vmcore_file_span() - where the @size bytes at physical @paddr lie in the
 * file, when all of them are stored bytes of one PT_LOAD (no zero fill, no
 * truncated part, within the file as opened): the descriptor in *@fd and
 * the offset in *@offset, for a pread() of the caller's own, which (unlike
 * vmcore_read_phys()) may run in any thread.  Such reads are not recorded
 * by vmcore_track_reads().  &crash_not_found otherwise; a short or failed
 * pread() there is the caller's to handle (vmcore_read_phys() says why).
 */
struct crash_error *vmcore_file_span(const struct vmcore *vm, uint64_t paddr,
				     size_t size, int *fd, uint64_t *offset);

/** vmcore_map_phys() maps a smaller range with the granules around it. */
enum { VMCORE_MAP_GRANULE = 1 << 20 };
/** Windows vmcore_map_phys() keeps mapped at once. */
enum { VMCORE_MAP_WINDOWS = 3 };
/** Largest range vmcore_map_phys() serves from a hole as zeros. */
enum { VMCORE_MAP_ZEROS_MAX = 64 << 20 };

/**
 * vmcore_map_phys() - borrow @size bytes at physical address @paddr
 * straight from a read-only mmap() of the file, without copying: /proc/vmcore
 * maps the old kernel's memory once per window instead of ioremapping it
 * per read() (~40x faster under TCG), and a saved core skips a copy.
 *
 * The range must lie in the file bytes of one map interval (one PT_LOAD's
 * stored part).  A range of VMCORE_MAP_GRANULE bytes or more is mapped by
 * itself (to host page edges), a smaller one with the whole granules of the
 * file around it, so that neighbouring small reads share a window.  A range
 * of at most VMCORE_MAP_ZEROS_MAX bytes wholly inside a hole of a sparse
 * file (lseek SEEK_DATA) comes from a shared read-only anonymous mapping of
 * zeros instead, costing neither reads nor memory.  *@ret is borrowed: it stays
 * valid across the next VMCORE_MAP_WINDOWS - 1 calls (a call that needs a
 * new window unmaps the least recently used one) and until vmcore_close().
 * Reads are recorded as vmcore_read_phys() records them.
 * Errors: crash_not_found (static, cheap) when the range cannot be mapped:
 * zero-filled or missing bytes, a PT_LOAD edge inside the range, a hole of
 * a sparse file in part of the window (lseek SEEK_DATA/SEEK_HOLE), or mmap()
 * failed (then every later call says so too, and no window is lost): use
 * vmcore_read_phys() instead, which reads the same bytes.  A file truncated
 * under a live mapping, or an I/O error reading it, raises SIGBUS where
 * vmcore_read_phys() would return an error: callers that must survive a
 * failing disk use vmcore_read_phys() only.
 */
struct crash_error *vmcore_map_phys(struct vmcore *vm, uint64_t paddr,
				    size_t size, const uint8_t **ret);

/**
 * vmcore_map_is_zeros() - whether @p, as returned by vmcore_map_phys(), is
 * its shared mapping of zeros: the whole range was a hole of a sparse
 * file, so every byte of it is zero without looking.
 */
bool vmcore_map_is_zeros(const struct vmcore *vm, const uint8_t *p);

/** What vmcore_map_phys() may map. */
enum vmcore_map_policy {
	VMCORE_MAP_ALL,		/* file windows and holes (the default) */
	VMCORE_MAP_HOLES,	/* only holes of a sparse file, as zeros: no
				 * file mapping, so no SIGBUS from the disk */
	VMCORE_MAP_NONE,	/* nothing: every call says crash_not_found */
};

/** vmcore_set_map_policy() - limit what vmcore_map_phys() maps. */
void vmcore_set_map_policy(struct vmcore *vm, enum vmcore_map_policy policy);

/**
 * vmcore_track_reads() - start (or stop) recording which physical pages
 * vmcore_read_phys() touches, for vmcore_write_minimal().
 */
void vmcore_track_reads(struct vmcore *vm, bool on);

/**
 * vmcore_write_minimal() - write a valid ELF core holding the same header
 * class, machine and notes, and a PT_LOAD for every page range read while
 * tracking was on (p_paddr and p_vaddr kept from the source segment).  The
 * file is written as @path.incomplete, fsynced, renamed; mode 0600.
 */
struct crash_error *vmcore_write_minimal(struct vmcore *vm, const char *path);

/** Emit a warning through the vmcore's callback (printf-style). */
void vmcore_warn(const struct vmcore *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
