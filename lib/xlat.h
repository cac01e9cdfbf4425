/*
 * xlat.h - kernel virtual -> kernel physical address translation.
 *
 * This layer never touches a file (it does not include vmcore.h): memory,
 * symbols and layout constants reach it only through struct xlat_reader, as
 * libkdumpfile's addrxlat is handed its callbacks.  Tests can therefore run
 * a translation against inline page tables.
 *
 * How a mapping is chosen (doc/design.md "Address translation"):
 *  1. The architecture comes from e_machine; each lib/arch/<arch>.c
 *     proposes candidate mappings (image rule + linear/direct-map rule)
 *     from VMCOREINFO, from PT_LOAD p_vaddr - p_paddr where those look
 *     sane, from a page-table walk, and from documented constants.
 *  2. Every candidate is validated by reading SYMBOL(init_uts_ns): the
 *     uts name must hold sysname "Linux" and release == OSRELEASE.  The
 *     first candidate that passes wins; if none passes, the first candidate
 *     that at least maps init_uts_ns is kept with a warning (UTS fields may
 *     be missing from a trimmed dump), else CRASH_ERR_UNSUPPORTED.
 *     Without SYMBOL(init_uts_ns) nothing can be validated: the first
 *     candidate is kept with a warning.
 *  3. SYMBOL() values are already relocated: KERNELOFFSET is never added.
 *
 * Addresses carry their space in their names: _kv kernel virtual, _phys
 * kernel physical.  Machine addresses (Xen) live in xen.h.
 */
#ifndef CRASHKIT_XLAT_H
#define CRASHKIT_XLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rd.h"
#include "vmcoreinfo.h"

/** A PT_LOAD as the translation layer sees it (no file offsets). */
struct xlat_range {
	uint64_t paddr;
	uint64_t vaddr;		/* hint: may be 0 or wrong */
	uint64_t size;		/* p_memsz */
};

/**
 * What the translation layer may use.  xlat_create() copies the struct and
 * the ranges array; @arg, @format and @vmcoreinfo stay borrowed and must
 * outlive the xlat.
 */
struct xlat_reader {
	void *arg;
	/* Read kernel-physical memory; FAULT if absent. */
	struct crash_error *(*read_phys)(void *arg, uint64_t paddr, void *buf,
					 size_t size);
	/* Warnings (one line), may be NULL. */
	void (*warn)(void *arg, const char *message);
	const struct rd_format *format;
	uint16_t machine;	/* e_machine */
	const struct vmcoreinfo *vmcoreinfo;
	const struct xlat_range *ranges;
	size_t range_count;
	/*
	 * Xen PV guest (lib/xen.h): page-table entries hold machine frames,
	 * so a walk over read_phys (pseudo-physical) would read the wrong
	 * memory.  When true, no candidate carries page tables.
	 */
	bool pgtables_hold_machine_frames;
};

struct xlat;

/**
 * xlat_create() - choose and validate a mapping (see above).
 * Errors: UNSUPPORTED (unknown e_machine, or no candidate validates),
 * NOT_FOUND is never returned, NOMEM.
 */
struct crash_error *xlat_create(const struct xlat_reader *reader,
				struct xlat **ret);

void xlat_destroy(struct xlat *x);

/** "x86_64", "i386", "arm64", ... */
const char *xlat_arch_name(const struct xlat *x);

/** How the mapping was found, e.g. "direct map from PT_LOAD"; borrowed. */
const char *xlat_method(const struct xlat *x);

/**
 * xlat_kv_to_phys() - translate one kernel-virtual address.
 * Errors: FAULT (not mapped by the chosen rules).
 */
struct crash_error *xlat_kv_to_phys(const struct xlat *x, uint64_t vaddr,
				    uint64_t *ret);

/**
 * xlat_read_kv() - read @size bytes at kernel-virtual @vaddr, translating
 * page by page (4 KiB steps) and reading physically contiguous runs at once.
 * Errors: FAULT (with the first virtual address that failed), OS.
 */
struct crash_error *xlat_read_kv(const struct xlat *x, uint64_t vaddr,
				 void *buf, size_t size);

/** Convenience: read a pointer-sized / u32 / u64 value at @vaddr. */
struct crash_error *xlat_read_ptr_kv(const struct xlat *x, uint64_t vaddr,
				     uint64_t *ret);
struct crash_error *xlat_read_u32_kv(const struct xlat *x, uint64_t vaddr,
				     uint32_t *ret);
struct crash_error *xlat_read_u64_kv(const struct xlat *x, uint64_t vaddr,
				     uint64_t *ret);

/** struct new_utsname (include/uapi/linux/utsname.h): six char[65] fields. */
enum { XLAT_UTSNAME_FIELD_SIZE = 65, XLAT_UTSNAME_SIZE = 6 * 65 };

/**
 * xlat_utsname() - the struct new_utsname read from init_uts_ns when the
 * chosen mapping validated: XLAT_UTSNAME_SIZE bytes, fields in the kernel's
 * order (sysname, nodename, release, version, machine, domainname), each
 * XLAT_UTSNAME_FIELD_SIZE bytes.  Returns NULL when the mapping was kept
 * without validating (the fallbacks above).  Borrowed: valid while @x lives.
 * These are dump bytes: a field need not be NUL-terminated or printable.
 */
const uint8_t *xlat_utsname(const struct xlat *x);

/** The reader given to xlat_create() (for consumers holding only a xlat). */
const struct xlat_reader *xlat_reader(const struct xlat *x);

#endif
