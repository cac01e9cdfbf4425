/*
 * progress.h - crashcopy's progress line on stderr: percent, MB/s, ETA.
 *
 * On a terminal the line is redrawn in place ("\r") at most every 200 ms;
 * otherwise (--progress into a file or a pipe, e.g. a serial console log)
 * one line is written at most every 5 s, so a log stays readable.  Nothing
 * here fails: a write error on stderr is ignored.
 */
#ifndef CRASHKIT_PROGRESS_H
#define CRASHKIT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	bool tty;		/* redraw in place */
	int fd;
	const char *label;	/* e.g. "copying" */
	uint64_t total_size;	/* bytes to do */
	uint64_t done_size;
	uint64_t start_ns;
	uint64_t last_ns;	/* last line drawn */
	bool drawn;		/* a line is on screen (tty) */
};

/** progress_init() - start timing @total_size bytes of work on @fd. */
void progress_init(struct progress *p, int fd, bool enabled,
		   const char *label, uint64_t total_size);

/** progress_update() - @done_size bytes are done; redraw if it is time. */
void progress_update(struct progress *p, uint64_t done_size);

/** progress_deinit() - draw the final line (and end it on a tty). */
void progress_deinit(struct progress *p);

/** Seconds since progress_init(), for summaries. */
double progress_seconds(const struct progress *p);

/** The monotonic clock in nanoseconds. */
uint64_t progress_now_ns(void);

#endif
