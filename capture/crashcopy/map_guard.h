/*
 * map_guard.h - survive SIGBUS while reading a mapped saved core.
 *
 * A saved core on a disk is read through mmap() windows (no copy into a
 * buffer, as /proc/vmcore is).  A disk I/O error under such a mapping is
 * not a failed read() but SIGBUS on the instruction that touched the page.
 * Every read of mapped input bytes runs inside a guard:
 *
 *	if (!map_guard_run(read_the_page, &job))
 *		... SIGBUS: the page is lost ...
 *
 * map_guard_install() sets a SIGBUS handler (SA_SIGINFO | SA_NODEFER)
 * that, when the faulting thread is inside map_guard_run(), disarms the
 * guard and siglongjmp()s back into it, which then returns false.  The
 * sigsetjmp() sits in map_guard_run()'s own frame, so no caller's local
 * variable can be clobbered by the jump.
 * Without a guard the default action is restored and the fault re-raised
 * (a bug of ours, not a disk error: the process dies as before).
 *
 * Rules for the guarded code:
 *  G1. It may be abandoned at any load from the mapping: it must not leave
 *      shared state half-updated, so it only reads the mapping and writes
 *      scratch memory (codec buffers, a bounce page); results are handed
 *      on after map_guard_run() returns.
 *  G2. One guard per thread at a time (thread-local); guards do not nest.
 *      A write() or pwrite() from a mapping fails with EFAULT instead of
 *      raising SIGBUS, so mapped bytes are copied (guarded) before any
 *      system call sees them.
 *  G3. sigsetjmp() saves no signal mask (a syscall per page would cost
 *      more than the copy it saves); SA_NODEFER leaves SIGBUS unblocked
 *      when the handler jumps out, so the mask is unchanged.
 */
#ifndef CRASHKIT_MAP_GUARD_H
#define CRASHKIT_MAP_GUARD_H

#include <stdbool.h>

#include "../../lib/error.h"

/** Install the SIGBUS handler (once, before any guard).  Errors: OS. */
struct crash_error *map_guard_install(void);

/**
 * map_guard_run() - call @fn(@arg) with a guard armed for this thread;
 * true when it returned, false when a SIGBUS abandoned it (G1).
 */
bool map_guard_run(void (*fn)(void *arg), void *arg);

/** The error a page lost to SIGBUS is reported with (static; not freed). */
extern struct crash_error map_guard_sigbus_error;

#endif
