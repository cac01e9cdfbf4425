/*
 * xen.h - a Xen machine core: the hypervisor's notes, dom0's p2m, Xen's
 * own virtual addresses, dom0's VMCOREINFO and Xen's console ring.
 *
 * (1) What a Xen core is (spec xen-dom0.md §0, §7).  When dom0 or Xen
 * panics with a crash image loaded, Xen (not Linux) saves the state and
 * kexec-tools, run in the capture kernel, describes *machine* memory: the
 * PT_LOAD p_paddr values are machine addresses, and the notes are Xen's:
 *   "CORE" NT_PRSTATUS      per physical CPU, Xen's registers
 *   "Xen"  0x1000002        XEN_ELFNOTE_CRASH_REGS: crash_xen_core_t,
 *                           cr0, cr2, cr3, cr4 (longs) per physical CPU
 *   "Xen"  0x1000001        XEN_ELFNOTE_CRASH_INFO: crash_xen_info_t, from
 *                           the crashing CPU (xen/include/xen/elfcore.h):
 *     major, minor, extra_version, changeset, compiler, compile_date,
 *     compile_time (string pointers as machine addresses: __pa()),
 *     tainted [, xen_phys_start], dom0_pfn_to_mfn_frame_list_list
 *     - 8 longs + 1 in Xen 3.x before changeset 439a3e9459f2 ("v1"),
 *       8 + 2 since ("v2", every supported Xen, 4.17 included)
 *   "VMCOREINFO_XEN" type 0 Xen's VMCOREINFO (xen/common/kexec.c
 *                           crash_save_vmcoreinfo(): 13 keys, the text
 *                           NUL-padded to 4068 bytes)
 * There is no dom0 VMCOREINFO note: kexec-tools writes Xen's instead
 * (crashdump-elf.c, xen_present()).  Dom0's note stays in dom0's memory,
 * found through a hint (its machine address, /sys/kernel/vmcoreinfo in
 * dom0 before the crash) or by scanning machine memory for its header.
 *
 * (2) Address spaces.  _mach: machine addresses (the dump's p_paddr).
 * _phys: dom0 pseudo-physical.  _xv: Xen virtual.  Only this file turns a
 * pfn into an mfn.
 *  - dom0 pseudo-physical -> machine: the p2m rooted at CRASH_INFO's
 *    dom0_pfn_to_mfn_frame_list_list (an mfn).  Three levels of 512
 *    longs (Linux arch/x86/xen/p2m.c, xen_build_mfn_list_list()):
 *      list_list[pfn / 512^2] -> mfn of a frame list page
 *      list[(pfn / 512) % 512] -> mfn of a p2m page
 *      p2m[pfn % 512]           -> the mfn, or INVALID_P2M_ENTRY (~0) for
 *                                  a missing frame, or IDENTITY_FRAME_BIT
 *                                  (1 << 62) set: machine == pseudo-physical
 *                                  (I/O holes); FOREIGN_FRAME_BIT (1 << 63)
 *                                  marks a frame granted by another domain.
 *    Unused parts point at shared "missing"/"identity" pages, so a 512 GiB
 *    p2m costs a few hundred pages.  A pfn is at most 512^3 (2^27).
 *  - Xen virtual -> machine: the Xen image at XEN_VIRT_START maps to
 *    xen_phys_start, the direct map at 0xffff830000000000 maps machine 0;
 *    anything else through Xen's page tables (VMCOREINFO_XEN
 *    SYMBOL(pgd_l4)), whose entries hold machine frames.
 *  - dom0 kernel virtual -> pseudo-physical: as native x86_64 (lib/xlat.h)
 *    with dom0's VMCOREINFO; a PV kernel has no KASLR.  Dom0's page tables
 *    hold *machine* frames (PV), so the native walk cannot run over
 *    pseudo-physical reads: xen_dom0_walk() walks them over machine memory
 *    instead, as the cross-check.
 *
 * (3) Validation (each failure CORRUPT or FAULT naming field and value):
 *  1. CRASH_INFO's size is 9 or 10 longs of the dump's width (other sizes
 *     are CORRUPT: truncated or unknown); its major version is below 100.
 *  2. Every frame number we follow (list_list, list, p2m entry) lies below
 *     the end of machine memory the dump describes; a pfn below 512^3.
 *  3. A dom0 VMCOREINFO note: namesz 11, name "VMCOREINFO\0", 0 < descsz
 *     <= XEN_DOM0_VMCOREINFO_MAX, text starting "OSRELEASE=" with printable
 *     lines only.
 *  4. A console ring: its size a power of two, 4 KiB..16 MiB.
 *
 * (4) Hostile input: every walk has a fixed depth (3 p2m levels, 4 or 5
 * page-table levels), so loops in the p2m or page tables cost a bounded
 * number of reads.  Scans read each machine byte at most once.
 *
 * This layer never touches a file (it does not include vmcore.h): memory
 * and notes reach it through struct xen_reader.  lib/vmcore_xen.h is the
 * glue to an opened vmcore.
 */
#ifndef CRASHKIT_XEN_H
#define CRASHKIT_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rd.h"
#include "vmcoreinfo.h"
#include "xlat.h"

/** Xen's note types (xen/include/public/elfnote.h). */
enum {
	XEN_ELFNOTE_CRASH_INFO = 0x1000001,
	XEN_ELFNOTE_CRASH_REGS = 0x1000002,
};

/** p2m geometry (Linux P2M_PER_PAGE etc. for 8-byte entries). */
enum {
	XEN_P2M_PER_PAGE = 512,
	XEN_PAGE_SIZE = 4096,
	XEN_P2M_MAX_PFN = 512 * 512 * 512,
};

/** Largest dom0 VMCOREINFO text we accept (Linux: one page). */
enum { XEN_DOM0_VMCOREINFO_MAX = 8192 };
/** Console ring size bounds (Xen conring_size: 16 KiB default). */
enum { XEN_CONRING_MIN = 4096, XEN_CONRING_MAX = 16 << 20 };
/** CR3 values kept from CRASH_REGS notes. */
enum { XEN_MAX_CPUS = 64 };

/** One ELF note as handed to xen_create(); borrowed for the call. */
struct xen_note {
	const char *name;
	uint32_t type;
	const uint8_t *desc;
	uint32_t desc_size;
};

/** Is any note a Xen note ("Xen" or "VMCOREINFO_XEN")? */
bool xen_notes_present(const struct xen_note *notes, size_t count);

/**
 * What xen_create() may use.  Copied, the ranges too; @arg and @format
 * are borrowed and must outlive the struct xen.
 */
struct xen_reader {
	void *arg;
	/* Read machine memory; FAULT if absent. */
	struct crash_error *(*read_mach)(void *arg, uint64_t maddr, void *buf,
					 size_t size);
	void (*warn)(void *arg, const char *message);	/* may be NULL */
	const struct rd_format *format;
	uint16_t machine;
	const struct xen_note *notes;	/* borrowed for xen_create() only */
	size_t note_count;
	/* The machine ranges the dump holds (p_paddr and the bytes present:
	 * scans read them all; vaddr ignored). */
	const struct xlat_range *ranges;
	size_t range_count;
};

/** crash_xen_info_t as read from the CRASH_INFO note. */
struct xen_crash_info {
	unsigned int version;	/* 1: without xen_phys_start, 2: with */
	uint64_t major, minor;
	uint64_t extra_version_mach, changeset_mach, compiler_mach;
	uint64_t compile_date_mach, compile_time_mach;
	uint64_t tainted;
	bool has_xen_phys_start;
	uint64_t xen_phys_start;
	uint64_t p2m_frame_list_list_mfn;
};

struct xen;

/**
 * xen_create() - parse the Xen notes.  Errors: NOT_FOUND (static) when
 * there is no Xen note at all; UNSUPPORTED for a machine other than
 * x86_64; CORRUPT for a CRASH_INFO note of a size we do not know
 * (valid (1)); NOMEM.  A missing CRASH_INFO is not an error here:
 * xen_crash_info() returns NULL and the p2m calls fail with NOT_FOUND.
 */
struct crash_error *xen_create(const struct xen_reader *reader,
			       struct xen **ret);
void xen_destroy(struct xen *x);

/** The CRASH_INFO fields, or NULL without a CRASH_INFO note. */
const struct xen_crash_info *xen_crash_info(const struct xen *x);
/** VMCOREINFO_XEN parsed, or NULL without the note.  Borrowed. */
const struct vmcoreinfo *xen_vmcoreinfo(const struct xen *x);
/** CR3 of each CRASH_REGS note, in note order. */
size_t xen_cr3_count(const struct xen *x);
uint64_t xen_cr3(const struct xen *x, size_t index);
/**
 * xen_version() - "4.17.7+13-..." from major, minor and the extra version
 * string read from machine memory (escaped; "4.17" when unreadable), or
 * "unknown" without CRASH_INFO.  Borrowed.
 */
const char *xen_version(const struct xen *x);
/** The dump's byte order and word size.  Borrowed. */
const struct rd_format *xen_format(const struct xen *x);
/** End of the machine memory the dump describes (bytes). */
uint64_t xen_mach_end(const struct xen *x);

/** How one p2m entry reads. */
enum xen_p2m_kind {
	XEN_P2M_MFN,		/* dom0's own frame */
	XEN_P2M_FOREIGN,	/* another domain's frame mapped by dom0
				 * (a backend's grant mapping) */
	XEN_P2M_IDENTITY,
	XEN_P2M_MISSING,
};

/**
 * xen_pfn_to_mfn() - dom0 pseudo-physical frame -> machine frame.
 * *@kind_ret (may be NULL) says how.  Errors: NOT_FOUND (no CRASH_INFO);
 * FAULT for a pfn the p2m maps to nothing (INVALID entry, above 512^3);
 * CORRUPT for a p2m frame outside the dump (valid (2)); read errors.
 */
struct crash_error *xen_pfn_to_mfn(const struct xen *x, uint64_t pfn,
				   uint64_t *mfn_ret,
				   enum xen_p2m_kind *kind_ret);

/** xen_read_dom0_phys() - read dom0 pseudo-physical memory via the p2m. */
struct crash_error *xen_read_dom0_phys(const struct xen *x, uint64_t paddr,
				       void *buf, size_t size);

/** Counts over the whole p2m (bounded, see xen.c). */
struct xen_p2m_stats {
	uint64_t mfn_count;		/* entries holding a machine frame */
	uint64_t identity_count;
	uint64_t run_count;		/* runs of constant mfn - pfn */
	uint64_t max_pfn;		/* highest pfn with a frame, + 1 */
	uint64_t leaf_pages;		/* distinct p2m pages read */
};
/**
 * xen_p2m_stats() - walk every entry once.  Errors: as xen_pfn_to_mfn()
 * for the frame lists; CORRUPT when more distinct p2m pages are listed
 * than machine memory could hold.
 */
struct crash_error *xen_p2m_stats(const struct xen *x,
				  struct xen_p2m_stats *ret);

/**
 * xen_p2m_own_frames() - up to @max of dom0's own machine frames
 * (XEN_P2M_MFN entries: not identity, not foreign) into @mfns, in pfn
 * order and evenly spread: those of every k-th such entry, k the smallest
 * power of two that fits them in @max; how many to *@count_ret (also on
 * error: those found before it).  One walk.  Errors: as xen_p2m_stats().
 */
struct crash_error *xen_p2m_own_frames(const struct xen *x, uint64_t *mfns,
				       size_t max, size_t *count_ret);

/**
 * xen_walk_mach() - walk x86_64 page tables whose entries hold machine
 * frames (Xen's own, and a PV guest's), from the table at machine
 * @root_mach, @levels 4 or 5.  Errors: FAULT naming level, index, entry.
 */
struct crash_error *xen_walk_mach(const struct xen *x, uint64_t root_mach,
				  unsigned int levels, uint64_t vaddr,
				  uint64_t *maddr_ret);

/**
 * xen_dom0_walk() - dom0 kernel virtual -> machine through dom0's own page
 * tables: @pgt_phys is init_top_pgt's pseudo-physical address.
 */
struct crash_error *xen_dom0_walk(const struct xen *x, uint64_t pgt_phys,
				  unsigned int levels, uint64_t vaddr,
				  uint64_t *maddr_ret);

/**
 * xen_xv_to_mach() - Xen virtual -> machine (image, direct map, else the
 * pgd_l4 walk).  Errors: FAULT, NOT_FOUND without xen_phys_start for an
 * image address.
 */
struct crash_error *xen_xv_to_mach(const struct xen *x, uint64_t vaddr,
				   uint64_t *ret);
/** Read @size bytes of Xen virtual memory. */
struct crash_error *xen_read_xv(const struct xen *x, uint64_t vaddr, void *buf,
				size_t size);
/** How Xen virtual addresses are mapped (e.g. "image at 0xffff82d040000000
 *  checked by the pgd_l4 walk").  Borrowed. */
const char *xen_xv_method(const struct xen *x);

/**
 * xen_dom0_vmcoreinfo_at() - read and check (valid (3)) the dom0
 * VMCOREINFO note at machine @maddr; *@text_ret is malloc'ed, its size in
 * *@size_ret (trailing NULs dropped).  Errors: CORRUPT naming the field,
 * FAULT, NOMEM.
 */
struct crash_error *xen_dom0_vmcoreinfo_at(const struct xen *x, uint64_t maddr,
					   char **text_ret, size_t *size_ret);

/** Candidates xen_dom0_vmcoreinfo_scan() reports at most. */
enum { XEN_SCAN_MAX_HITS = 16 };
/**
 * xen_dom0_vmcoreinfo_scan() - scan machine memory for dom0 VMCOREINFO
 * notes ({11, descsz, 0} "VMCOREINFO\0\0OSRELEASE=", 4-byte aligned), at
 * most @max_bytes of it (0: all).  Page-aligned hits come first in
 * @hits_ret (at most XEN_SCAN_MAX_HITS); *@count_ret may be 0.  Only
 * notes that pass valid (3) are reported.  Errors: read errors other than
 * FAULT, NOMEM.
 */
struct crash_error *xen_dom0_vmcoreinfo_scan(const struct xen *x,
					     uint64_t max_bytes,
					     uint64_t hits_ret[XEN_SCAN_MAX_HITS],
					     size_t *count_ret);

/** Xen virtual addresses of the console ring's variables. */
struct xen_conring_syms {
	uint64_t conring;	/* char *conring */
	uint64_t conring_size;	/* uint32_t */
	uint64_t conringp;	/* uint32_t producer */
	uint64_t conringc;	/* uint32_t consumer; 0: unknown */
};

/**
 * xen_symbols_parse() - the console symbols from a System.map-style text
 * ("ADDR TYPE NAME" lines; xen-syms .map or dom0's /proc/xen/xensyms,
 * where names read "drivers/char/console.c#conring").  Errors: NOT_FOUND
 * naming the first missing symbol, CORRUPT for a malformed address.
 */
struct crash_error *xen_symbols_parse(const char *text, size_t size,
				      struct xen_conring_syms *ret);

/** Xen's console text, as read. */
struct xen_conring {
	uint8_t *text;		/* malloc'ed, @size bytes, not NUL-terminated */
	size_t size;
	uint64_t ring_mach;	/* machine address of the ring */
	uint64_t ring_size;
	uint64_t producer;	/* conringp, or the bytes found by a scan */
	bool wrapped;		/* older text was overwritten */
	const char *method;	/* "symbols" or "scan" (static) */
};

/**
 * xen_conring_read() - Xen's console ring through its symbols: the bytes
 * the ring still holds, oldest first.  Errors: CORRUPT (valid (4)),
 * FAULT, NOMEM.
 */
struct crash_error *xen_conring_read(const struct xen *x,
				     const struct xen_conring_syms *syms,
				     struct xen_conring *ret);

/**
 * xen_conring_scan() - find the ring without symbols: the first 16 KiB
 * block of machine memory (at most @max_bytes scanned, 0: all) holding
 * "(XEN) Xen version " in its first page-sized part; the text runs from
 * the block start to the first NUL.  Works while the ring has not wrapped
 * (the boot banner is still at its start; conring is a naturally aligned
 * power-of-two xenheap block of at least 16 KiB).  Errors: NOT_FOUND
 * (static) when no such block exists, NOMEM, read errors.
 */
struct crash_error *xen_conring_scan(const struct xen *x, uint64_t max_bytes,
				     struct xen_conring *ret);

void xen_conring_deinit(struct xen_conring *c);

#endif
