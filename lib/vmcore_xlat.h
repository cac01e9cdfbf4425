/*
 * vmcore_xlat.h - translation over an opened vmcore.
 *
 * The translation layer never sees a file (xlat.h); this glue, above both
 * layers, hands it one: physical reads through vmcore_read_phys(), the
 * PT_LOAD map as xlat ranges, the dump's byte order and e_machine.  Both
 * tools open a dump the same way through it.
 */
#ifndef CRASHKIT_VMCORE_XLAT_H
#define CRASHKIT_VMCORE_XLAT_H

#include "error.h"
#include "vmcore.h"
#include "vmcoreinfo.h"
#include "xlat.h"

/**
 * vmcore_xlat_create() - xlat_create() over @vm with @vi.  @warn receives
 * translation warnings (its first argument is @vm).  @vm and @vi are
 * borrowed and must outlive the xlat.  Errors: those of xlat_create().
 */
struct crash_error *vmcore_xlat_create(struct vmcore *vm,
				       const struct vmcoreinfo *vi,
				       void (*warn)(void *arg,
						    const char *message),
				       struct xlat **ret);

#endif
