/*
 * vmcore_xen.h - a Xen machine core over an opened vmcore: the glue
 * between vmcore.h (the file) and xen.h (Xen's notes, the p2m), above both
 * layers as vmcore_xlat.h is.  Both tools open a Xen dump through it.
 *
 * Where dom0's VMCOREINFO comes from, in this order (vmcore_xen_dom0()):
 *  1. a machine address the user gave (crashdmesg --dom0-vmcoreinfo=);
 *  2. a "VMCOREINFO" note in the dump itself (crashcopy -X adds one; so
 *     could any tool that knows it);
 *  3. the capture kernel's command line, crashkit.dom0_vmcoreinfo=0xADDR
 *     (crashctl load puts dom0's /sys/kernel/vmcoreinfo address there;
 *     xen_dom0_vmcoreinfo= is accepted too), read from @cmdline_path;
 *  4. a scan of machine memory for the note header (xen.h).
 * A candidate from 1 or 3 that does not hold a valid note is an error, not
 * a reason to scan: the user asked for that address.  Among several scan
 * hits the first whose translation validates (init_uts_ns reads "Linux"
 * and OSRELEASE through dom0's p2m) wins.
 */
#ifndef CRASHKIT_VMCORE_XEN_H
#define CRASHKIT_VMCORE_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "vmcore.h"
#include "vmcoreinfo.h"
#include "xen.h"
#include "xlat.h"

/**
 * vmcore_xen_create() - xen_create() over @vm's notes and PT_LOAD map.
 * @warn's first argument is @vm.  Errors: NOT_FOUND (static) for a core
 * without Xen notes, and those of xen_create().
 */
struct crash_error *vmcore_xen_create(struct vmcore *vm,
				      void (*warn)(void *arg,
						   const char *message),
				      struct xen **ret);

/**
 * vmcore_xen_dom0_xlat_create() - dom0's kernel-virtual -> pseudo-physical
 * translation (lib/xlat.h) whose physical reads go through dom0's p2m.
 * @vm, @xen and @vi must outlive the xlat.
 */
struct crash_error *vmcore_xen_dom0_xlat_create(struct vmcore *vm,
						const struct xen *xen,
						const struct vmcoreinfo *vi,
						void (*warn)(void *arg,
							     const char *message),
						struct xlat **ret);

/** Hints from the capture kernel's command line. */
struct vmcore_xen_hints {
	bool has_dom0_vmcoreinfo;
	uint64_t dom0_vmcoreinfo;	/* machine address */
	bool has_conring;
	struct xen_conring_syms conring;
};

/**
 * vmcore_xen_cmdline() - parse crashkit.dom0_vmcoreinfo=0xADDR and
 * crashkit.xen_conring=0xCONRING,0xSIZE,0xPROD[,0xCONS] (Xen virtual
 * addresses of conring, conring_size, conringp, conringc) from the file at
 * @path.  A missing file gives no hints; a malformed value is CORRUPT.
 */
struct crash_error *vmcore_xen_cmdline(const char *path,
				       struct vmcore_xen_hints *ret);

/** Dom0's VMCOREINFO as found. */
struct vmcore_xen_dom0 {
	char *text;		/* malloc'ed, NUL-terminated */
	size_t size;
	bool has_maddr;
	uint64_t maddr;		/* where the note was, if in memory */
	const char *source;	/* static: how it was found */
	unsigned int scan_hits;
};

/**
 * vmcore_xen_dom0() - find dom0's VMCOREINFO (see above).  @hint: a
 * machine address or NULL; @hints from vmcore_xen_cmdline() or NULL.
 * Errors: NOT_FOUND naming what was tried, CORRUPT/FAULT for a hinted
 * address without a valid note, NOMEM.
 */
struct crash_error *vmcore_xen_dom0(struct vmcore *vm, const struct xen *xen,
				    const uint64_t *hint,
				    const struct vmcore_xen_hints *hints,
				    struct vmcore_xen_dom0 *ret);
void vmcore_xen_dom0_deinit(struct vmcore_xen_dom0 *d);

/**
 * vmcore_xen_dom0_crosscheck() - translate dom0's init_uts_ns and prb (or
 * log_buf) both ways: through @x and the p2m, and through dom0's own page
 * tables from SYMBOL(init_top_pgt) (xen_dom0_walk()).  Returns NULL when
 * they agree (*@checked_ret symbols compared), CORRUPT naming the symbol
 * and both machine addresses when they differ, NOT_FOUND without
 * init_top_pgt, or the walk's error.
 */
struct crash_error *vmcore_xen_dom0_crosscheck(const struct xen *xen,
					       const struct xlat *x,
					       const struct vmcoreinfo *vi,
					       unsigned int *checked_ret);

#endif
