/*
 * map_guard.c - the SIGBUS handler and the per-thread guard (map_guard.h).
 */
#include "map_guard.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>

struct map_guard {
	sigjmp_buf env;
};

static __thread struct map_guard *map_guard_current;

struct crash_error map_guard_sigbus_error = {
	.code = CRASH_ERR_OS,
	.errnum = EIO,
	.message = (char *)"SIGBUS reading the mapped vmcore (an I/O error under the mapping)",
	.is_static = true,
};

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	(void)si;
	(void)uctx;
	struct map_guard *g = map_guard_current;
	if (!g) {
		// Not a guarded read: die of it as without a handler (the
		// faulting instruction runs again under SIG_DFL).
		signal(sig, SIG_DFL);
		return;
	}
	map_guard_current = NULL;
	siglongjmp(g->env, 1);
}

struct crash_error *map_guard_install(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return crash_error_os(errno, "installing the SIGBUS handler");
	return NULL;
}

bool map_guard_run(void (*fn)(void *arg), void *arg)
{
	struct map_guard g;
	// G3: no signal mask saved.
	if (sigsetjmp(g.env, 0) != 0)
		return false;
	map_guard_current = &g;
	fn(arg);
	map_guard_current = NULL;
	return true;
}
